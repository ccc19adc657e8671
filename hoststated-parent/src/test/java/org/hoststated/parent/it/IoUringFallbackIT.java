package org.hoststated.parent.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A relay engine whose io_uring worker loops cannot start with the first configuration (a limit
 * of locked memory of 64 KiB, as some containers give) serves its relays on epoll: refused, the
 * configuration left its listeners taking connections nobody accepted, with the daemon ready and
 * the relay "active" (probe AK).
 */
class IoUringFallbackIT {
    static final String LISTEN = "127.22.9.1";

    @TempDir
    Path dir;

    @Test
    void loopsThatCannotStartOnIoUringServeOnEpoll() throws Exception {
        Assumptions.assumeTrue("root".equals(System.getProperty("user.name")), "needs root: skipped");
        Assumptions.assumeTrue(Daemon.installed("prlimit"), "needs prlimit (util-linux): skipped");
        try (RelayEchoBackend x = new RelayEchoBackend("x", "127.22.9.11"); Daemon daemon = new Daemon(dir)) {
            int port = RelayClient.freePort(LISTEN);
            daemon.writeConfig(daemon.globals() + "prefork 5\n" + RelayReloadIT.relay("a", LISTEN, port, x, ""));
            daemon.startVia(List.of("prlimit", "--memlock=65536:65536"), Map.of());
            daemon.awaitLogged("relay a serving", Duration.ofSeconds(20),
                    () -> "x".equals(RelayClient.session(LISTEN, port)));
            assertEquals("x", RelayClient.session(LISTEN, port));
            String log = daemon.logText();
            if (log.contains("io_uring worker loops cannot start")) {
                // The transport named is the one the loops run on (probe BA: io_uring was named first).
                assertTrue(log.contains("using the epoll transport") && !log.contains("using the io_uring transport"),
                        log);
            }
            assertTrue(!log.contains("refused configuration 1"), log);
        }
    }
}
