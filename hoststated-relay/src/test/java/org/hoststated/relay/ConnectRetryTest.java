package org.hoststated.relay;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;
import org.hoststated.core.config.ForwardTarget;
import org.hoststated.core.config.TcpOptions;
import org.junit.jupiter.api.Test;

/** {@code forward to ... retry}: what is tried again, and what is not. */
class ConnectRetryTest {
    /**
     * A connect that timed out is not tried again on the same destination: {@code retry} is for
     * a connect that fails at once, and a destination that drops connection attempts held a
     * client of {@code retry 2} for three connect timeouts (probe N: 90 s, 9 s with
     * {@code timeout 3}). Here the destination is a listener whose queue is full, which drops
     * SYNs; the relay's timeout of 1 s is its connect timeout.
     */
    @Test
    void aConnectThatTimedOutIsNotRetriedOnTheSameDestination() throws Exception {
        InetAddress lo = InetAddress.getLoopbackAddress();
        List<Socket> queued = new ArrayList<>();
        try (ServerSocket full = new ServerSocket(0, 1, lo)) {
            // listen(1) queues two; later SYNs are dropped until one is accepted.
            for (int i = 0; i < 2; i++) {
                queued.add(new Socket(lo, full.getLocalPort()));
            }
            try (Socket probe = new Socket()) {
                long t = System.nanoTime();
                try {
                    probe.connect(new InetSocketAddress(lo, full.getLocalPort()), 300);
                } catch (java.net.SocketTimeoutException expected) {
                    // the destination drops connection attempts, as wanted
                }
                org.junit.jupiter.api.Assumptions.assumeTrue(System.nanoTime() - t > 250_000_000L,
                        "this kernel does not drop SYNs to a full listener");
            }
            var relay = RelayFixture.relay("fwd", new ForwardTarget(lo, "127.0.0.1", full.getLocalPort(), 2), 1, false);
            try (RelayFixture r = RelayFixture.start(RelayTransport.epoll(), 1, relay,
                    TcpOptionsTest.protocol(TcpOptions.defaults()), null);
                    Socket c = r.connect()) {
                long start = System.nanoTime();
                // A connect that failed on every host resets the client.
                assertThrows(java.net.SocketException.class, () -> c.getInputStream().read());
                long ms = (System.nanoTime() - start) / 1_000_000;
                assertTrue(ms < 2_500, "closed after " + ms + " ms: the timed-out connect was tried again");
            }
        } finally {
            for (Socket s : queued) {
                s.close();
            }
        }
    }

    /**
     * A refused connect tried again on the same destination waits first (250 ms, then 500, up
     * to 1 s each): a server restarted within that takes the session. All tries came in the
     * same millisecond before, and {@code retry 3} rode over no restart at all (probe AU).
     */
    @Test
    void aRetryOnTheSameDestinationWaitsLongEnoughForAServerBeingRestarted() throws Exception {
        InetAddress lo = InetAddress.getLoopbackAddress();
        int port;
        try (ServerSocket probe = new ServerSocket(0, 50, lo)) {
            port = probe.getLocalPort(); // free again: refused until the server below is up
        }
        var relay = RelayFixture.relay("fwd", new ForwardTarget(lo, "127.0.0.1", port, 3), 10, false);
        try (RelayFixture r = RelayFixture.start(RelayTransport.epoll(), 1, relay,
                TcpOptionsTest.protocol(TcpOptions.defaults()), null);
                Socket c = r.connect()) {
            c.setSoTimeout(10_000);
            Thread.sleep(400); // the server comes back up after the first try and the first wait
            try (ServerSocket restarted = new ServerSocket()) {
                restarted.setReuseAddress(true);
                restarted.bind(new InetSocketAddress(lo, port));
                try (Socket s = restarted.accept()) {
                    s.getOutputStream().write("up\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
                    byte[] got = c.getInputStream().readNBytes(3);
                    assertEquals("up\n", new String(got, java.nio.charset.StandardCharsets.US_ASCII));
                }
            }
        }
    }
}
