package org.hoststated.parent;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.Charset;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.hoststated.core.log.LogConfig;
import org.hoststated.core.posix.ExitStatus;
import org.hoststated.core.posix.Fds;
import org.hoststated.core.posix.SocketPair;
import org.hoststated.core.posix.SpawnedProcess;
import org.hoststated.core.posix.Spawner;

/**
 * Puts the daemon in the background. A JVM cannot fork, so the foreground JVM, once it has
 * checked the configuration, starts a copy of itself in a new session with its standard
 * input and output on /dev/null, waits until that copy serves its control socket (or dies),
 * and exits.
 *
 * <p>The copy's standard error is a socket this JVM reads while it waits: a copy that fails
 * to start ("cannot listen on ...: Address already in use") prints why there, and that reason
 * is shown on the terminal, as nginx and HAProxy show theirs, rather than only in a system
 * log that a container or a minimal system may not have. Once this JVM has exited, what the
 * copy writes there is discarded, as it was on /dev/null.
 */
final class Daemonizer {
    private static final Duration START_TIMEOUT = Duration.ofSeconds(20);
    /** How much of the copy's standard error is kept for the terminal. */
    private static final int MAX_SHOWN = 16 * 1024;
    private static String[] arguments = new String[0];

    private Daemonizer() {
    }

    static void rememberArguments(String[] args) {
        arguments = args.clone();
    }

    static int detach(PrintWriter err, String socket) throws IOException, InterruptedException {
        List<String> argv = new ArrayList<>();
        argv.add("hoststated: parent");
        argv.addAll(ManagementFactory.getRuntimeMXBean().getInputArguments());
        argv.add("-cp");
        argv.add(System.getProperty("java.class.path"));
        argv.add(Hoststated.class.getName());
        argv.add("--detached");
        argv.addAll(List.of(arguments));
        Path sock = Path.of(socket);
        // Refused here, before the copy starts, so the caller sees why and a running
        // daemon keeps its socket; the waiting below needs the stale one gone.
        try {
            ControlSocketPath.clear(sock);
        } catch (IOException e) {
            err.println("hoststated: " + e.getMessage());
            return 1;
        }
        boolean syslog = LogConfig.syslogListening();
        // Where the rest of the daemon's words went: not to a system log that is not there (probe AC 4).
        String more = syslog ? "; see the system log" : "; run it with -d to see its messages";
        if (!syslog) {
            // The last chance to say so where anyone reads it.
            err.println("hoststated: warning: no syslog daemon listens on " + LogConfig.DEV_LOG
                    + ": the daemon's messages are lost until one does (-d logs to stderr)");
        }
        int devNull = Fds.openDevNull();
        int[] stderr;
        SpawnedProcess p;
        // This process only waits for the copy from now on; the copy starts with them ignored.
        StartSignals.ignoreForChild();
        try {
            stderr = SocketPair.open();
            try {
                p = new Spawner().spawn(EngineProcess.javaExecutable(), argv, environment(),
                        Map.of(0, devNull, 1, devNull, 2, stderr[1]), true);
            } catch (IOException | RuntimeException e) {
                Fds.close(stderr[0]);
                throw e;
            } finally {
                Fds.close(stderr[1]);
            }
        } finally {
            Fds.closeFd(devNull);
        }
        ByteArrayOutputStream said = new ByteArrayOutputStream();
        try {
            SocketPair.setNonBlocking(stderr[0]);
            long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
            while (System.nanoTime() < deadline) {
                drain(stderr[0], said);
                Optional<ExitStatus> st = p.tryReap();
                if (st.isPresent()) {
                    drain(stderr[0], said);
                    show(err, said);
                    err.println("hoststated: the daemon failed to start (" + st.get() + ")" + more);
                    return 1;
                }
                if (Files.exists(sock)) {
                    return 0;
                }
                Thread.sleep(50);
            }
        } finally {
            Fds.close(stderr[0]);
        }
        show(err, said);
        err.println("hoststated: the daemon did not open " + socket + " in time" + more);
        return 1;
    }

    /** Reads what the copy has written so far, keeping the first {@link #MAX_SHOWN} bytes. */
    private static void drain(int fd, ByteArrayOutputStream into) {
        byte[] buf = new byte[4096];
        try {
            int n;
            while ((n = Fds.read(fd, buf)) > 0) {
                into.write(buf, 0, Math.min(n, Math.max(0, MAX_SHOWN - into.size())));
            }
        } catch (IOException e) {
            // EAGAIN: nothing more for now
        }
    }

    private static void show(PrintWriter err, ByteArrayOutputStream said) {
        String text = said.toString(Charset.defaultCharset()).stripTrailing();
        if (!text.isEmpty()) {
            err.println(text);
        }
    }

    private static List<String> environment() {
        List<String> env = new ArrayList<>();
        for (String k : List.of("PATH", "LANG", EngineSpec.RELAY_TRANSPORT_VARIABLE)) {
            String v = System.getenv(k);
            if (v != null) {
                env.add(k + "=" + v);
            }
        }
        return env;
    }
}
