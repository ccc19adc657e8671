package org.hoststated.hce.check;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.TimeUnit;
import org.hoststated.core.msg.HostError;
import org.hoststated.hce.TestLoop;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A host that drops SYNs and echo requests (an nft drop rule in a network namespace): every
 * check of it is down when the table timeout expires, not before and not much later. As root
 * only. The bound after the deadline is generous (the machine is shared); the point is that
 * nothing waits for the kernel's own connect timeout of about two minutes.
 */
class SilentHostTest {
    private static final int PORT = 8080;
    private static final int TIMEOUT_MS = 300;
    private static DropNetns ns;
    private final TestLoop loop = new TestLoop();
    private final PlainProbe plain = new PlainProbe(loop.loop());

    @BeforeAll
    static void setUp() {
        ns = DropNetns.create(PORT);
        Assumptions.assumeTrue(ns != null, "no namespace with a drop rule: " + DropNetns.why);
    }

    @AfterAll
    static void tearDownNs() {
        if (ns != null) {
            ns.close();
        }
    }

    @AfterEach
    void tearDown() {
        loop.close();
    }

    @Test
    void droppedSynsAreAConnectTimeoutAtTheDeadline() {
        assertDownAtDeadline(new TcpCheck(plain), HostError.TCP_CONNECT_TIMEOUT);
        assertDownAtDeadline(HttpCheck.code(plain, "/", null, 200), HostError.TCP_CONNECT_TIMEOUT);
        assertDownAtDeadline(new SendExpectCheck(plain, null, "220*"), HostError.TCP_CONNECT_TIMEOUT);
        assertDownAtDeadline(new SslCheck(new TlsProbe(loop.loop())), HostError.TCP_CONNECT_TIMEOUT);
    }

    @Test
    void anotherPortOfTheSameHostIsRefused() {
        // The drop rule, not the route, makes the timeout: the host's kernel answers other ports.
        assertEquals(CheckResult.down(HostError.TCP_CONNECT_REFUSED),
                CheckRunner.run(loop, new TcpCheck(plain), ns.host, PORT + 3, 2000));
    }

    @Test
    void unreachableIsSaidAsSuchAtOnce() {
        // ICMP unreachables end the connect with ENETUNREACH and EHOSTUNREACH, well before the
        // deadline. The plain checks name each; the TLS one connects through Netty, which
        // gives both as one exception: "network or host unreachable".
        Check tcp = new TcpCheck(plain);
        assertEquals(CheckResult.down(HostError.TCP_CONNECT_NET_UNREACHABLE),
                CheckRunner.run(loop, tcp, ns.host, PORT + 1, 5000));
        assertEquals(CheckResult.down(HostError.TCP_CONNECT_HOST_UNREACHABLE),
                CheckRunner.run(loop, tcp, ns.host, PORT + 2, 5000));
        Check tls = new SslCheck(new TlsProbe(loop.loop()));
        for (int port : new int[] {PORT + 1, PORT + 2}) {
            assertEquals(CheckResult.down(HostError.TCP_CONNECT_UNREACHABLE),
                    CheckRunner.run(loop, tls, ns.host, port, 5000));
        }
    }

    @Test
    void droppedEchoRequestsAreAnIcmpTimeoutAtTheDeadline() {
        IcmpSockets sockets;
        try {
            sockets = IcmpSockets.open();
        } catch (Exception e) {
            Assumptions.abort("no raw icmp socket: " + e.getMessage());
            return;
        }
        try (IcmpPinger pinger = new IcmpPinger(loop.loop(), sockets)) {
            assertDownAtDeadline(new IcmpCheck(pinger), HostError.ICMP_READ_TIMEOUT);
        } finally {
            sockets.close();
        }
    }

    private void assertDownAtDeadline(Check c, HostError expected) {
        long t0 = System.nanoTime();
        CheckResult r = CheckRunner.run(loop, c, ns.host, PORT, TIMEOUT_MS);
        long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
        assertEquals(CheckResult.down(expected), r, c.kind());
        assertTrue(ms >= TIMEOUT_MS - 10, c.kind() + ": down after " + ms + " ms, before the deadline");
        assertTrue(ms < TIMEOUT_MS + 2000, c.kind() + ": down after " + ms + " ms, long after the deadline");
    }
}
