package org.hoststated.parent.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A reload whose listening sockets reach a relay engine with no descriptor free: the kernel
 * drops them, and the engine asks the parent for them again (LISTENER_REQUEST) until they get
 * through, instead of exiting and cutting its live sessions; when they never get through, it
 * exits as before and the parent starts it again. The engine's descriptor limit is lowered
 * under the descriptors it has open with {@code prlimit}, the engines running as root for that.
 * {@code -Dhoststated.it.listenerlost}
 * moves the test to other loopback addresses.
 */
class ListenerLostIT {
    private static final String NET = System.getProperty("hoststated.it.listenerlost", "127.39.12");
    private static final Duration WAIT = Duration.ofSeconds(20);
    private static final String TITLE = "hoststated: relay engine";
    private static final String A = NET + ".1";
    private static final String C = NET + ".3";

    @Test
    void lostListenersAreAskedForAgainAndLiveSessionsGoOn(@TempDir Path dir) throws Exception {
        Assumptions.assumeTrue("root".equals(System.getProperty("user.name")), "needs root: skipped");
        try (RelayEchoBackend x = new RelayEchoBackend("x", NET + ".11"); Daemon d = new Daemon(dir)) {
            int portA = RelayClient.freePort(A);
            int portC = RelayClient.freePort(C);
            d.writeConfig(first(d, x, portA));
            d.start();
            d.awaitLogged("relay a serves", WAIT, () -> "x".equals(RelayClient.session(A, portA)));
            long relay = d.child(TITLE).orElseThrow();
            try (Socket before = RelayClient.open(A, portA)) {
                assertEquals("x", RelayClient.readLine(before.getInputStream()));
                assertEquals("one", RelayClient.echo(before, "one"));
                String[] limit = lowerLimit(relay);
                try {
                    d.writeConfig(first(d, x, portA) + relay("c", C, portC, x));
                    assertEquals(0, d.ctl("reload").status(), d.logText());
                    d.awaitLogged("a listener lost and asked for again", WAIT,
                            () -> d.logText().contains("was lost (no descriptor free); asking the parent for it again"));
                } finally {
                    prlimit(relay, limit[0] + ":" + limit[1]);
                }
                d.awaitLogged("relay c serves", WAIT, () -> "x".equals(RelayClient.session(C, portC)));
                assertEquals("x", RelayClient.session(A, portA));
                assertEquals("two", RelayClient.echo(before, "two"), "the session from before the reload still relays");
            }
            assertEquals(relay, d.child(TITLE).orElseThrow(), "the same relay engine\n" + d.logText());
            assertTrue(d.logText().contains("passing the listening socket of relay c again"), d.logText());
            keep(d, "asked-again");
        }
    }

    @Test
    void aListenerThatNeverGetsThroughRestartsTheEngineAsBefore(@TempDir Path dir) throws Exception {
        Assumptions.assumeTrue("root".equals(System.getProperty("user.name")), "needs root: skipped");
        try (RelayEchoBackend x = new RelayEchoBackend("x", NET + ".11"); Daemon d = new Daemon(dir)) {
            int portA = RelayClient.freePort(A);
            int portC = RelayClient.freePort(C);
            d.writeConfig(first(d, x, portA));
            d.start();
            d.awaitLogged("relay a serves", WAIT, () -> "x".equals(RelayClient.session(A, portA)));
            long relay = d.child(TITLE).orElseThrow();
            lowerLimit(relay);
            d.writeConfig(first(d, x, portA) + relay("c", C, portC, x));
            assertEquals(0, d.ctl("reload").status(), d.logText());
            d.awaitLogged("relay c served by a new relay engine", WAIT,
                    () -> "x".equals(RelayClient.session(C, portC)) && d.child(TITLE).orElse(relay) != relay);
            assertTrue(d.logText().contains("was lost: this process has no descriptor free (Too many open files); "
                    + "exiting, to be started again"), d.logText());
            assertEquals("x", RelayClient.session(A, portA));
            keep(d, "restarted");
        }
    }

    /** Keeps the daemon's log for a look after the run; the test's directory is removed. */
    private static void keep(Daemon d, String name) throws Exception {
        Files.writeString(Path.of("target", "ListenerLostIT-" + name + ".log"), d.logText());
    }

    /**
     * Relay a; the engines run as root, whose descriptor limit the test (root without
     * CAP_SYS_RESOURCE in a container) may change: another user's it may not.
     */
    private static String first(Daemon d, RelayEchoBackend x, int portA) {
        return d.globals().replace("user \"nobody\"", "user \"root\"") + "log updates\n" + relay("a", A, portA, x);
    }

    private static String relay(String name, String ip, int port, RelayEchoBackend to) {
        return "relay " + name + " {\n  listen on " + ip + " port " + port + "\n  forward to "
                + to.address.getAddress().getHostAddress() + " port " + to.port() + "\n}\n";
    }

    /**
     * Lowers {@code pid}'s soft descriptor limit to 3, under every descriptor it has open, so
     * that it can open none (a new descriptor takes the lowest free number); its soft and hard
     * limits before.
     */
    private static String[] lowerLimit(long pid) throws Exception {
        String line;
        try (Stream<String> lines = Files.lines(Path.of("/proc/" + pid + "/limits"))) {
            line = lines.filter(l -> l.startsWith("Max open files")).findFirst().orElseThrow();
        }
        String[] f = line.split("\\s+");
        prlimit(pid, "3:" + f[4]);
        return new String[] {f[3], f[4]};
    }

    private static void prlimit(long pid, String nofile) throws Exception {
        Process p = new ProcessBuilder("prlimit", "--pid", Long.toString(pid), "--nofile=" + nofile).inheritIO().start();
        assertEquals(0, p.waitFor(), "prlimit " + nofile);
    }
}
