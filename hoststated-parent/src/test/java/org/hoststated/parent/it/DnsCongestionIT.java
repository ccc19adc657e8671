package org.hoststated.parent.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * DNS relays whose way out is congested, with the real daemon in network namespaces (root
 * needed; skipped otherwise; {@code -Dhoststated.it.netns=PREFIX} names them). The balancer
 * sends the queries of relay {@code toward} to its host, and the answers of relay {@code back}
 * (4,000 bytes each) to its clients, at 100 kbit/s, through queues longer than a socket's send
 * buffer, so the relay's sockets fill and the kernel takes no more. A client floods each relay.
 * The relay must drop what the kernel refuses rather than queue it: queued, each datagram held
 * the 64 KiB buffer it was read into. Queries took three quarters of the relay engine's direct
 * memory (1 GiB) within 2 s, when the engine starts closing the stalled sessions of every
 * relay; answers took all of it, and the engine's worker loop died with every relay on it. A
 * TCP relay shares that loop ({@code prefork 1}) and must still serve.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class DnsCongestionIT {
    private static final int TOWARD_PORT = 46054;
    private static final int BACK_PORT = 46055;
    private static final String CONFIG = """
            interval 1
            timeout 300
            prefork 1
            log updates
            protocol resolver {
            \tprotocol dns
            }
            relay toward {
            \tlisten on 10.21.1.1 port %1$d
            \tprotocol resolver
            \tforward to 10.21.2.11 port %1$d
            }
            relay back {
            \tlisten on 10.21.1.1 port %2$d
            \tprotocol resolver
            \tforward to 10.21.2.11 port %2$d
            }
            relay web {
            \tlisten on 10.21.1.1 port 80
            \tforward to 10.21.2.11 port 80
            }
            """.formatted(TOWARD_PORT, BACK_PORT);

    private L3Fixture l3;

    @BeforeAll
    void start() throws Exception {
        l3 = L3Fixture.openOrSkip("dnscongestion");
        shape("l3-s0", "dport", TOWARD_PORT);
        shape("l3-c1", "sport", BACK_PORT);
        l3.startBackends("dns", "10.21.2.11/80", "10.21.2.11/" + BACK_PORT);
        l3.startDaemon(CONFIG);
        Daemon.awaitTrue("the TCP relay to serve", Duration.ofSeconds(30), () -> served());
    }

    /**
     * UDP with port {@code port} as {@code which} ("dport", "sport") leaves the balancer by
     * {@code dev} at 100 kbit/s, through a queue longer than a socket's send buffer (so the
     * kernel refuses sends rather than drops); everything else unshaped.
     */
    private static void shape(String dev, String which, int port) throws Exception {
        List<String> commands = List.of(
                "tc qdisc add dev " + dev + " root handle 1: htb default 2",
                "tc class add dev " + dev + " parent 1: classid 1:1 htb rate 100kbit",
                "tc qdisc add dev " + dev + " parent 1:1 handle 10: pfifo limit 100000",
                "tc class add dev " + dev + " parent 1: classid 1:2 htb rate 10gbit quantum 60000",
                "tc filter add dev " + dev + " parent 1: protocol ip u32 match ip protocol 17 0xff match ip " + which
                        + " " + port + " 0xffff flowid 1:1");
        for (String c : commands) {
            L3Netns.Out o = L3Netns.sh(L3Netns.in(L3Netns.LB, c));
            Assumptions.assumeTrue(o.status() == 0, "cannot shape the balancer's links (" + c + "): " + o.text());
        }
    }

    @AfterAll
    void stop() throws Exception {
        if (l3 != null) {
            l3.close();
        }
    }

    private static boolean served() throws Exception {
        return L3Netns.fetch("10.21.1.1", 1).equals(List.of("10.21.2.11"));
    }

    @Test
    @Order(1)
    void queries_towards_a_congested_host_are_dropped_not_queued() throws Exception {
        flood(TOWARD_PORT, 60_000, 12_000);
        assertStillServing();
    }

    @Test
    @Order(2)
    void answers_towards_congested_clients_are_dropped_not_queued() throws Exception {
        flood(BACK_PORT, 60_000, 8_000);
        assertStillServing();
        assertTrue(l3.daemon.daemon.logText().contains("dropped: queue towards the clients full"),
                "no answer was dropped for the congested link");
    }

    private static void flood(int port, int count, int rate) throws Exception {
        Process flood = L3Netns.probe(L3Netns.CLI, "dnsflood", "10.21.1.1", Integer.toString(port),
                Integer.toString(count), Integer.toString(rate));
        assertTrue(flood.waitFor(60, TimeUnit.SECONDS), "the flood did not end");
        assertEquals("sent " + count,
                new String(flood.getInputStream().readAllBytes(), StandardCharsets.US_ASCII).strip());
    }

    /** The shaped link is still full: the relays' loop must serve meanwhile, in plenty of memory. */
    private void assertStillServing() {
        Daemon.awaitTrue("the TCP relay on the DNS relays' loop to serve after the flood", Duration.ofSeconds(10),
                () -> served());
        String log = l3.daemon.daemon.logText();
        // Short of memory, the engine closes stalled sessions of every relay (MemoryGuard).
        assertFalse(log.contains("direct memory short"), "the flood took most of the relay engine's direct memory");
        assertFalse(log.contains("OutOfDirectMemoryError"), "the relay engine ran out of direct memory");
    }
}
