package org.hoststated.hce.check;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.net.InetAddress;
import org.hoststated.core.msg.HostError;
import org.hoststated.hce.TestLoop;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Raw ICMP sockets need root: skipped otherwise. A silent host is in {@link SilentHostTest}. */
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

    /**
     * An echo the kernel refuses to send (here: broadcast without SO_BROADCAST, EACCES; a local
     * firewall's EPERM and a prohibit route are the same) is down at once as a failed write,
     * one not permitted. It said "icmp write timeout" after 0 ms (hosts behind an nft drop
     * rule in a test namespace).
     */
    @Test
    void anEchoThatCannotBeSentIsAFailedWrite() throws Exception {
        assertEquals(CheckResult.down(HostError.ICMP_WRITE_PROHIBITED),
                CheckRunner.run(loop, new IcmpCheck(pinger), InetAddress.getByName("255.255.255.255"), 0, 500));
    }

    @Test
    void ipv6LoopbackAnswers() throws Exception {
        Assumptions.assumeTrue(sockets.v6() >= 0, "no raw icmpv6 socket");
        assertEquals(CheckResult.up(HostError.ICMP_OK),
                CheckRunner.run(loop, new IcmpCheck(pinger), InetAddress.getByName("::1"), 0, 500));
    }
}
