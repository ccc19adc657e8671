package org.hoststated.core.posix;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/** Test helper: the java command line for {@link SpawnChild}, and reading its report. */
final class ChildJvm {
    static final String JAVA = ProcessHandle.current().info().command()
            .orElse(System.getProperty("java.home") + "/bin/java");
    static final List<String> ENV = List.of("PATH=/usr/bin:/bin", "LANG=C.UTF-8");

    private ChildJvm() {
    }

    /** argv for SpawnChild: argv[0] is the title, not the java path. */
    static List<String> argv(String title, String... childArgs) {
        List<String> argv = new ArrayList<>(List.of(title, "-XX:-UsePerfData", "-XX:TieredStopAtLevel=1",
                "-XX:+UseSerialGC", "-Xmx64m", "-cp", System.getProperty("java.class.path"),
                SpawnChild.class.getName()));
        argv.addAll(List.of(childArgs));
        return argv;
    }

    /** Reads from {@code fd} until the text ends with {@code marker} or EOF. */
    static String readUntil(int fd, String marker) throws IOException {
        StringBuilder text = new StringBuilder();
        byte[] buf = new byte[8192];
        while (!text.toString().endsWith(marker)) {
            int n = Fds.read(fd, buf);
            if (n == 0) {
                break;
            }
            text.append(new String(buf, 0, n, StandardCharsets.UTF_8));
        }
        return text.toString();
    }

    /**
     * A {@link SpawnChild} started with {@code childArgs}, its report read; it lives until
     * {@link #close}, which lets it exit and waits for it.
     */
    static final class Reporting implements AutoCloseable {
        final SpawnedProcess process;
        final String report;
        private final int socket;
        private final int devNull;

        Reporting(String... childArgs) throws IOException {
            int[] sv = SocketPair.open();
            devNull = Fds.openDevNull();
            process = new Spawner().spawn(JAVA, argv("hoststated: test engine", childArgs), ENV,
                    Spawner.stdioTo(devNull, java.util.Map.of(3, sv[1])), true);
            SocketPair.close(sv[1]);
            socket = sv[0];
            report = readUntil(socket, "end\n");
        }

        /** The child's exit status, after it was let go. */
        int exit() throws Exception {
            SocketPair.close(socket);
            Fds.close(devNull);
            return process.waitFor(java.time.Duration.ofSeconds(30)).orElseThrow().exitCode();
        }

        @Override
        public void close() throws Exception {
            exit();
        }
    }
}
