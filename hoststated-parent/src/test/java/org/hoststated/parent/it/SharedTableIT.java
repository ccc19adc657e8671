package org.hoststated.parent.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A service (layer 3) and a relay that share one table, driven as an operator would: what
 * hoststatectl does to the service leaves the relay serving. {@code -Dhoststated.it.shared}
 * moves the test to other loopback addresses (the first three bytes, as "127.26.1").
 */
class SharedTableIT {
    private static final String NET = System.getProperty("hoststated.it.shared", "127.26.1");
    private static final Duration WAIT = Duration.ofSeconds(20);

    @TempDir
    static Path dir;
    static Daemon daemon;
    static Backend one;
    static Backend two;
    static InetSocketAddress relay;

    @BeforeAll
    static void start() throws Exception {
        Assumptions.assumeTrue("root".equals(System.getProperty("user.name")), "needs root: skipped");
        one = new Backend("one", NET + ".11", 0);
        int port = one.address.getPort();
        two = new Backend("two", NET + ".12", port);
        relay = new InetSocketAddress(NET + ".1", CtlIT.freePort(NET + ".1"));
        daemon = new Daemon(dir);
        daemon.writeConfig(daemon.globals() + "interval 1\ntimeout 300\n"
                + "table web {\n  real port " + port + "\n  check tcp\n  host " + NET + ".11\n  host " + NET + ".12\n}\n"
                + "service www {\n  virtual host " + NET + ".100 port 80\n  table web\n}\n"
                + "relay www {\n  listen on " + relay.getHostString() + " port " + relay.getPort()
                + "\n  table web roundrobin\n}\n");
        daemon.start();
        daemon.awaitLogged("both hosts up", WAIT, () ->
                daemon.hostLine(NET + ".11").endsWith("up") && daemon.hostLine(NET + ".12").endsWith("up"));
    }

    @AfterAll
    static void stop() throws Exception {
        if (daemon != null) {
            daemon.close();
        }
        for (Backend b : new Backend[] {one, two}) {
            if (b != null) {
                b.close();
            }
        }
    }

    /**
     * relayd's service disable marked the table disabled in pfe's copy only: the checks and
     * the relays on it carried on. Disabling the table itself here took it from the relay,
     * which answered every client with a close (503 over HTTP) for a layer-3 change.
     */
    @Test
    void aDisabledServiceLeavesTheRelayOnItsTableServingAndTheHostsChecked() throws Exception {
        assertEquals(new Daemon.Result(0, "command succeeded\n"), daemon.ctl("service", "disable", "www"));
        assertTrue(daemon.ctl("show", "summary").output().contains("service\t   0\twww"
                + " ".repeat(21) + "\t       \tdisabled"), daemon.ctl("show", "summary").output());
        Set<String> answers = new TreeSet<>();
        for (int i = 0; i < 4; i++) {
            answers.add(Daemon.fetch(relay));
        }
        assertEquals(Set.of("one", "two"), answers, daemon.logText());
        // Still checked: a host that stops meanwhile goes down, and the relay leaves it.
        two.close();
        daemon.awaitLogged("host two down", WAIT, () -> daemon.hostLine(NET + ".12").endsWith("down"));
        for (int i = 0; i < 3; i++) {
            assertEquals("one", Daemon.fetch(relay));
        }
        assertEquals(new Daemon.Result(0, "command succeeded\n"), daemon.ctl("service", "enable", "www"));
        assertTrue(daemon.ctl("show", "summary").output().contains("active (1 hosts up)"));
    }
}
