package org.hoststated.hce.check;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.util.concurrent.TimeUnit;
import org.hoststated.core.msg.HostError;
import org.hoststated.hce.TestLoop;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Raw ICMP sockets need root: skipped otherwise. */
class IcmpCheckTest {
    private final TestLoop loop = new TestLoop();
    private IcmpSockets sockets;
    private IcmpPinger pinger;

    @BeforeEach
    void open() {
        try {
            sockets = IcmpSockets.open();
        } catch (Exception e) {
            Assumptions.abort("icmp check tests need root (raw sockets): " + e.getMessage());
        }
        pinger = new IcmpPinger(loop.loop(), sockets);
    }

    @AfterEach
    void tearDown() {
        if (pinger != null) {
            pinger.close();
        }
        if (sockets != null) {
            sockets.close();
        }
        loop.close();
    }

    @Test
    void loopbackAnswers() throws Exception {
        IcmpCheck c = new IcmpCheck(pinger);
        assertEquals(CheckResult.up(HostError.ICMP_OK), CheckRunner.run(loop, c, InetAddress.getByName("127.0.0.1"), 0, 500));
        assertEquals(CheckResult.up(HostError.ICMP_OK), CheckRunner.run(loop, c, InetAddress.getByName("127.0.3.7"), 0, 500));
    }

    @Test
    void ipv6LoopbackAnswers() throws Exception {
        Assumptions.assumeTrue(sockets.v6() >= 0, "no raw icmpv6 socket");
        assertEquals(CheckResult.up(HostError.ICMP_OK),
                CheckRunner.run(loop, new IcmpCheck(pinger), InetAddress.getByName("::1"), 0, 500));
    }

    @Test
    void silentHostIsDownAtTheTableTimeout() throws Exception {
        // TEST-NET-1 (RFC 5737): never answers; without a route the send fails, also down.
        long t0 = System.nanoTime();
        CheckResult r = CheckRunner.run(loop, new IcmpCheck(pinger), InetAddress.getByName("192.0.2.1"), 0, 300);
        // Some sandboxes answer every echo themselves; then there is no silent host to test with.
        Assumptions.assumeFalse(r.state() == org.hoststated.core.msg.HostState.UP,
                "this network answers echoes for 192.0.2.1");
        assertEquals(org.hoststated.core.msg.HostState.DOWN, r.state());
        if (r.error() == HostError.ICMP_READ_TIMEOUT) {
            assertTrue(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0) >= 290);
        }
    }
}
