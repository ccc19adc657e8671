package org.hoststated.parent.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Reloads with the relay engine on epoll ({@code HOSTSTATED_RELAY_TRANSPORT=epoll}), which the
 * other reload tests, on io_uring, do not cover. The parent keeps its own descriptor of every
 * relay listener; an engine that left the old copy in its epoll set refused the new one under
 * the same number, and after two to four reloads no relay answered.
 */
class EpollReloadIT {
    static final String A = "127.22.5.1";
    static final String B = "127.22.5.2";

    @TempDir
    static Path dir;
    static Daemon daemon;
    static RelayEchoBackend x;
    static RelayEchoBackend y;
    static int portA;
    static int portB;

    @BeforeAll
    static void start() throws Exception {
        Assumptions.assumeTrue("root".equals(System.getProperty("user.name")), "needs root: skipped");
        x = new RelayEchoBackend("x", "127.22.5.11");
        y = new RelayEchoBackend("y", "127.22.5.12");
        portA = RelayClient.freePort(A);
        portB = RelayClient.freePort(B);
        daemon = new Daemon(dir);
        daemon.writeConfig(config(x));
        daemon.start(Map.of("HOSTSTATED_RELAY_TRANSPORT", "epoll"));
        daemon.awaitLogged("relay a serving", Duration.ofSeconds(20), () -> "x".equals(RelayClient.session(A, portA)));
    }

    @AfterAll
    static void stop() throws Exception {
        if (daemon != null) {
            daemon.close();
        }
        if (x != null) {
            x.close();
        }
        if (y != null) {
            y.close();
        }
    }

    /** Relay a forwards to {@code to}; relay b always to y. */
    static String config(RelayEchoBackend to) {
        return daemon.globals() + "log updates\n"
                + RelayReloadIT.relay("a", A, portA, to, "") + RelayReloadIT.relay("b", B, portB, y, "");
    }

    @Test
    void everyRelayServesAfterEachOfManyReloads() throws Exception {
        for (int i = 0; i < 8; i++) {
            RelayEchoBackend to = i % 2 == 0 ? y : x;
            daemon.writeConfig(config(to));
            Daemon.Result r = daemon.ctl("reload");
            assertEquals(0, r.status(), r.output() + "\n" + daemon.logText());
            daemon.awaitLogged("a forwards to " + to.name + " after reload " + i, Duration.ofSeconds(10),
                    () -> to.name.equals(RelayClient.session(A, portA)));
            assertEquals("y", RelayClient.session(B, portB), "relay b after reload " + i);
        }
        String log = daemon.logText();
        assertTrue(log.contains("using the epoll transport"), log);
        assertFalse(log.contains("cannot watch descriptor"), log);
    }
}
