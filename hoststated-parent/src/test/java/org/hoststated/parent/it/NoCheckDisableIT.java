package org.hoststated.parent.it;

import static org.junit.jupiter.api.Assertions.assertEquals;

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
 * A relay on a table with {@code no check} and hoststatectl's disable commands: the relay
 * ignores what the checks say, not what the operator says. A host or table disabled for a
 * maintenance went on getting every n-th session, while hoststatectl.8 promises that a
 * disabled host gets no new connection from services and relays, and a disabled table no
 * traffic. {@code -Dhoststated.it.nocheck} moves the test to other loopback addresses (the
 * first three bytes, as "127.34.2").
 */
class NoCheckDisableIT {
    private static final String NET = System.getProperty("hoststated.it.nocheck", "127.34.2");
    private static final Duration WAIT = Duration.ofSeconds(20);
    private static final String ONE = NET + ".11";
    private static final String TWO = NET + ".12";

    @TempDir
    static Path dir;
    static Daemon daemon;
    static Backend one;
    static Backend two;
    static InetSocketAddress relay;

    @BeforeAll
    static void start() throws Exception {
        Assumptions.assumeTrue("root".equals(System.getProperty("user.name")), "needs root: skipped");
        one = new Backend("one", ONE, 0);
        int port = one.address.getPort();
        two = new Backend("two", TWO, port);
        relay = new InetSocketAddress(NET + ".1", CtlIT.freePort(NET + ".1"));
        daemon = new Daemon(dir);
        daemon.writeConfig(daemon.globals() + "interval 1\ntimeout 300\n"
                + "table web {\n  real port " + port + "\n  check tcp\n  host " + ONE + "\n  host " + TWO + "\n}\n"
                + "relay nc {\n  listen on " + relay.getHostString() + " port " + relay.getPort()
                + "\n  table web roundrobin no check\n}\n");
        daemon.start();
        daemon.awaitLogged("both hosts up", WAIT, () ->
                daemon.hostLine(ONE).endsWith("up") && daemon.hostLine(TWO).endsWith("up"));
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

    @Test
    void aHostDisabledWithHoststatectlGetsNoSessionFromANoCheckRelay() throws Exception {
        ok("host", "disable", TWO);
        assertEquals(Set.of("one"), answers(6), daemon.logText());
        ok("host", "enable", TWO);
        daemon.awaitLogged("the relay uses host two again", WAIT, () -> answers(4).equals(Set.of("one", "two")));
    }

    @Test
    void aDisabledTableLeavesANoCheckRelayWithoutHosts() throws Exception {
        ok("table", "disable", "web");
        // Accepted and closed at once, as a relay whose table has no host up.
        assertEquals(Set.of(""), answers(4), daemon.logText());
        ok("table", "enable", "web");
        daemon.awaitLogged("the relay uses the table again", WAIT, () -> answers(4).equals(Set.of("one", "two")));
    }

    private static void ok(String... args) throws Exception {
        assertEquals(new Daemon.Result(0, "command succeeded\n"), daemon.ctl(args));
    }

    private static Set<String> answers(int n) throws Exception {
        Set<String> seen = new TreeSet<>();
        for (int i = 0; i < n; i++) {
            seen.add(Daemon.fetch(relay));
        }
        return seen;
    }
}
