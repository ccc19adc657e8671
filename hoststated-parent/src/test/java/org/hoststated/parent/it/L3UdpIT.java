package org.hoststated.parent.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * UDP services end to end, with the real daemon, nftables and connection tracking in network
 * namespaces (root needed; skipped otherwise; {@code -Dhoststated.it.netns=PREFIX} names
 * them). relayd's DNS example: one service with a tcp and a udp virtual host on one address
 * and port, and {@code kill states}; a second service (the control case) on UDP without it.
 * Both use a table of two hosts checked over TCP, whose UDP echo answers with the host's
 * address. A client of each sends a datagram every 100 ms from one source port, pinned to
 * .12; then .12's checked TCP service stops while its UDP echo goes on answering. The client
 * of the killing service is answered by .11 within a check interval and a second; the other
 * stays on .12 for as long as it sends (its conntrack entry never times out).
 * Then a reload removes both services, the last ones (relays only are left): the killing
 * client's flow is cut as the rules go, the other's goes on with its old host.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class L3UdpIT {
    private static final int PORT = 46053;
    private static final String CONFIG = """
            interval 1
            timeout 300
            table dns {
            \treal port %1$d
            \tcheck tcp
            \thost 10.21.2.11
            \thost 10.21.2.12
            }
            service killing {
            \tvirtual host 10.21.9.100 port %1$d
            \tvirtual host 10.21.9.100 udp port %1$d
            \ttable dns
            \tkill states
            }
            service keeping {
            \tvirtual host 10.21.9.101 udp port %1$d
            \ttable dns
            }
            """.formatted(PORT);
    /** Relays only: pfe switches to the none backend, which leaves the kernel alone. */
    private static final String RELAYS_ONLY = """
            relay r {
            \tlisten on 127.0.0.1 port %1$d
            \tforward to 10.21.2.11 port %1$d
            }
            """.formatted(PORT);
    private static final Duration WAIT = Duration.ofSeconds(15);
    /** How long the control client is watched after the host went down. */
    private static final long WATCH_MS = 5000;

    private L3Fixture l3;
    private L3PinnedClient killing;
    private L3PinnedClient keeping;

    @BeforeAll
    void start() throws Exception {
        l3 = L3Fixture.openOrSkip("l3udp");
        l3.startBackends("udp", "10.21.2.11/" + PORT, "10.21.2.12/" + PORT);
        l3.startDaemon(CONFIG);
    }

    @AfterAll
    void stop() throws Exception {
        if (l3 != null) {
            l3.close();
        }
    }

    @Test
    @Order(1)
    void aHostGoingDownMovesTheUdpClientOfTheKillingServiceOnly() throws Exception {
        l3.daemon.daemon.awaitLogged("both hosts in the three rules", WAIT, () -> l3.netns.rules().lines()
                .filter(l -> l.contains(" dnat ") && l.contains("10.21.2.11") && l.contains("10.21.2.12")).count() >= 3);
        String rules = l3.netns.rules();
        assertTrue(rules.contains("ip daddr 10.21.9.100 tcp dport " + PORT + " dnat")
                && rules.contains("ip daddr 10.21.9.100 udp dport " + PORT + " dnat")
                && rules.contains("ip daddr 10.21.9.101 udp dport " + PORT + " dnat"), rules);
        assertTrue(L3Netns.fetchIn(L3Netns.CLI, "10.21.9.100", PORT, 2).stream().allMatch(a -> a.startsWith("10.21.2.1")),
                "the tcp virtual host of the same address and port redirects TCP");
        assertTrue(L3Netns.fetchIn(L3Netns.CLI, "10.21.9.101", PORT, 1).equals(List.of("-")),
                "the udp-only virtual host redirects no TCP");

        killing = l3.pinnedClient("udppin", "10.21.9.100", PORT, "10.21.2.12");
        keeping = l3.pinnedClient("udppin", "10.21.9.101", PORT, "10.21.2.12");
        l3.daemon.daemon.awaitLogged("both clients on .12", WAIT,
                () -> killing.count("10.21.2.12", 0) > 3 && keeping.count("10.21.2.12", 0) > 3);

        long down = System.currentTimeMillis();
        l3.backend("down 10.21.2.12");
        l3.daemon.daemon.awaitLogged("the killing client on .11", WAIT, () -> killing.first("10.21.2.11", down) > 0);
        long moved = killing.first("10.21.2.11", down) - down;
        // The UDP flow, and the TCP fetches' closed connections to .12 that linger in TIME_WAIT.
        java.util.regex.Pattern killed = java.util.regex.Pattern.compile("service killing: host 10.21.2.12 down, [1-9]\\d* states? killed");
        l3.daemon.daemon.awaitLogged("the kill logged", WAIT, () -> killed.matcher(l3.daemon.daemon.logText()).find());

        // The control case: the same host down, watched for a while; its client never leaves .12.
        long deadline = down + WATCH_MS;
        l3.daemon.daemon.awaitLogged("the control client watched", WAIT, () -> System.currentTimeMillis() > deadline);
        long lastKeeping = keeping.answers.stream().mapToLong(a -> Long.parseLong(a[0])).max().orElse(0);
        System.out.printf("udp kill states: host down to the client answered by another host %d ms (check interval 1 s); "
                + "without: %d answers from the failed host in %d ms since, none from another%n",
                moved, keeping.count("10.21.2.12", down), WATCH_MS);
        assertTrue(moved <= 1000 + 300 + 1000, "host down to the client on .11 took " + moved + " ms");
        assertEquals(0, killing.count("10.21.2.12", down + moved), "once on .11, the killing client stays there");
        assertEquals(0, keeping.count("10.21.2.11", down), "the service without kill states keeps its flow on .12");
        assertTrue(keeping.count("10.21.2.12", down) >= WATCH_MS / 100 / 2 && lastKeeping >= deadline - 500,
                "the control flow goes on answering from .12");
        assertTrue(!l3.daemon.daemon.logText().contains("service keeping: host"), l3.daemon.daemon.logText());
    }

    /**
     * The clients of the first test, killing on .11 and keeping on .12: a reload to relays only
     * removes the rules of both services, and cuts the killing service's flow right after.
     * The balancer NATs for some other network too (a masquerade rule), as a gateway does:
     * without any such rule the kernel stops tracking and translating once the daemon's table
     * is gone, and no old flow is answered, cut or not.
     */
    @Test
    @Order(2)
    void aReloadRemovingTheLastServiceCutsTheUdpClientOfTheKillingServiceOnly() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(killing != null && keeping != null, "needs the first test's clients");
        L3Netns.Out nat = L3Netns.sh(L3Netns.in(L3Netns.LB, "nft add table ip itsystem '{ chain post { "
                + "type nat hook postrouting priority 100; oifname \"uplink0\" masquerade; }; }'"));
        assertEquals(0, nat.status(), nat.text());
        l3.daemon.daemon.writeConfig(l3.daemon.globals() + RELAYS_ONLY);
        long reload = System.currentTimeMillis();
        assertEquals(0, l3.daemon.daemon.ctl("reload").status());
        l3.daemon.daemon.awaitLogged("reload", WAIT, () -> l3.daemon.daemon.logText().contains("configuration 2 running"));
        // The pinned flow, and those of the sockets the client tried and closed before one was answered by .12.
        java.util.regex.Pattern killed = java.util.regex.Pattern.compile(
                "service killing: virtual host 10.21.9.100:" + PORT + "/udp removed with its service, [1-9]\\d* states? killed");
        l3.daemon.daemon.awaitLogged("the cut logged", WAIT, () -> killed.matcher(l3.daemon.daemon.logText()).find());
        long cut = System.currentTimeMillis();
        assertTrue(!l3.netns.rules().contains("table inet hoststated"), "the rules are removed:\n" + l3.netns.rules());

        long deadline = cut + 2000;
        l3.daemon.daemon.awaitLogged("both clients watched", WAIT, () -> System.currentTimeMillis() > deadline);
        long killingAfter = killing.answers.stream().filter(a -> Long.parseLong(a[0]) > cut).count();
        long keepingAfter = keeping.count("10.21.2.12", cut);
        System.out.printf("udp kill states, last service removed: reload to the cut logged %d ms; in the 2 s after, "
                + "%d answers to the cut client, %d from the old host to the client without the option%n",
                cut - reload, killingAfter, keepingAfter);
        assertTrue(killing.count("10.21.2.11", reload - 1000) > 0, "the killing client was answered up to the reload");
        assertEquals(0, killingAfter, "the cut client's datagrams meet no rule: nothing answers them");
        assertTrue(keepingAfter >= 2000 / 100 / 2, "the flow without kill states outlives its rule on .12");
        assertTrue(!l3.daemon.daemon.logText().contains("service keeping: virtual host"), l3.daemon.daemon.logText());
    }
}
