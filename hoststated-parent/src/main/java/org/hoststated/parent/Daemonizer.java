package org.hoststated.parent;

import java.io.IOException;
import java.io.PrintWriter;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.hoststated.core.posix.ExitStatus;
import org.hoststated.core.posix.Fds;
import org.hoststated.core.posix.SpawnedProcess;
import org.hoststated.core.posix.Spawner;

/**
 * Puts the daemon in the background. A JVM cannot fork, so the foreground JVM, once it has
 * checked the configuration, starts a copy of itself in a new session with its standard
 * input and output on /dev/null, waits until that copy serves its control socket (or dies),
 * and exits.
 */
final class Daemonizer {
    private static final Duration START_TIMEOUT = Duration.ofSeconds(20);
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
        int devNull = Fds.openDevNull();
        SpawnedProcess p;
        try {
            p = new Spawner().spawn(EngineProcess.javaExecutable(), argv, environment(),
                    Spawner.stdioTo(devNull, Map.of()), true);
        } finally {
            Fds.closeFd(devNull);
        }
        long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
        while (System.nanoTime() < deadline) {
            Optional<ExitStatus> st = p.tryReap();
            if (st.isPresent()) {
                err.println("hoststated: the daemon failed to start (" + st.get() + "); see the system log");
                return 1;
            }
            if (Files.exists(sock)) {
                return 0;
            }
            Thread.sleep(50);
        }
        err.println("hoststated: the daemon did not open " + socket + " in time; see the system log");
        return 1;
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
