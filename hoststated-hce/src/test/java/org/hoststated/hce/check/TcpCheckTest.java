package org.hoststated.hce.check;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import org.hoststated.core.msg.HostError;
import org.hoststated.core.msg.HostState;
import org.hoststated.hce.TestLoop;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class TcpCheckTest {
    private final TestLoop loop = new TestLoop();
    private final TestServers servers = new TestServers();
    private final TcpCheck check = new TcpCheck(new PlainProbe(loop.loop()));

    @AfterEach
    void tearDown() {
        servers.close();
        loop.close();
    }

    @Test
    void listeningPortIsUp() throws Exception {
        int port = servers.serve(TestServers.SILENT);
        assertEquals(CheckResult.up(HostError.TCP_CONNECT_OK), CheckRunner.run(loop, check, port, 500));
    }

    @Test
    void ipv6ListeningPortIsUp() throws Exception {
        InetAddress v6 = InetAddress.getByName("::1");
        int port = servers.serve(v6, TestServers.SILENT);
        assertEquals(CheckResult.up(HostError.TCP_CONNECT_OK), CheckRunner.run(loop, check, v6, port, 500));
    }

    @Test
    void refusedIsDown() throws Exception {
        assertEquals(CheckResult.down(HostError.TCP_CONNECT_REFUSED),
                CheckRunner.run(loop, check, TestServers.refusedPort(), 500));
    }

    @Test
    void unansweredConnectTimesOut() throws Exception {
        int port = servers.blackhole();
        long t0 = System.nanoTime();
        CheckResult r = CheckRunner.run(loop, check, port, 300);
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertEquals(CheckResult.down(HostError.TCP_CONNECT_TIMEOUT), r);
        assertTrue(ms >= 290, "timed out after " + ms + " ms, before the deadline");
    }

    @Test
    void resultIsNeverAnException() throws Exception {
        // Port 0 cannot be connected to: a failure result, not an exception.
        CheckResult r = CheckRunner.run(loop, check, 0, 300);
        assertEquals(HostState.DOWN, r.state());
    }
}
