package org.hoststated.relay;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import org.junit.jupiter.api.Test;

/** The relay's session {@code timeout}: idle sessions end, busy ones and slow readers do not. */
class SessionTimeoutTest {
    static org.hoststated.core.config.RelayConfig oneSecond(TestBackend b) {
        return RelayFixture.relay("t", RelayFixture.forward(b).target(), 1, false);
    }

    @Test
    void anIdleSessionIsClosedAfterTheTimeout() throws Exception {
        try (TestBackend b = TestBackend.identEcho("a");
                RelayFixture r = RelayFixture.start(oneSecond(b), null);
                Socket c = r.connect()) {
            InputStream in = c.getInputStream();
            assertEquals("a", TcpRelayTest.readLine(in));
            long t0 = System.nanoTime();
            assertEquals(-1, in.read());
            long ms = (System.nanoTime() - t0) / 1_000_000;
            assertTrue(ms >= 900 && ms < 5000, "closed after " + ms + " ms");
        }
    }

    /**
     * A host that drops packets: the connect to it is given up after the relay's timeout and
     * tried on the next host; the session's own clock, as long, waits for the connect instead
     * of ending the session first. Two sessions, so that one starts on each host.
     */
    @Test
    void aConnectThatTimesOutMovesToTheNextHostBeforeTheSessionTimesOut() throws Exception {
        try (TestBackend a = TestBackend.identEcho("a"); SilentListener silent = SilentListener.open()) {
            org.hoststated.relay.lb.HostSelector sel = RelayFixture.roundRobin(java.util.List.of(
                    RelayFixture.host(1, silent.address(), 0), RelayFixture.host(2, a.address(), 0)));
            org.hoststated.core.config.RelayConfig cfg = RelayFixture.relay("t",
                    new org.hoststated.core.config.TableTarget("hosts", 0, org.hoststated.core.config.Mode.ROUNDROBIN,
                            false), 1, false);
            try (RelayFixture r = RelayFixture.start(cfg, sel)) {
                for (int i = 0; i < 2; i++) {
                    try (Socket c = r.connect()) {
                        assertEquals("a", TcpRelayTest.readLine(c.getInputStream()), "session " + i);
                    }
                }
            }
        }
    }

    @Test
    void aSessionWithTrafficStaysOpenPastTheTimeout() throws Exception {
        try (TestBackend b = TestBackend.identEcho("a");
                RelayFixture r = RelayFixture.start(oneSecond(b), null);
                Socket c = r.connect()) {
            InputStream in = c.getInputStream();
            OutputStream out = c.getOutputStream();
            assertEquals("a", TcpRelayTest.readLine(in));
            for (int i = 0; i < 8; i++) {
                Thread.sleep(300); // the traffic pattern under test, not a wait for a condition
                out.write('x');
                out.flush();
                assertEquals('x', in.read());
            }
        }
    }

    /**
     * A client that reads nothing while its server streams without end: once every buffer on
     * the way is full, nothing moves, and the session ends after one timeout (it took two: the
     * bytes held for the client were first compared with nothing and taken for progress).
     */
    @Test
    void aClientThatReadsNothingIsCutAfterOneTimeout() throws Exception {
        java.util.concurrent.LinkedBlockingQueue<Long> cutAt = new java.util.concurrent.LinkedBlockingQueue<>();
        try (java.net.ServerSocket server = new java.net.ServerSocket(0, 5, java.net.InetAddress.getLoopbackAddress())) {
            Thread t = new Thread(() -> {
                try (Socket s = server.accept(); OutputStream out = s.getOutputStream()) {
                    byte[] chunk = new byte[64 * 1024];
                    while (true) {
                        out.write(chunk);
                    }
                } catch (java.io.IOException e) {
                    cutAt.add(System.nanoTime());
                }
            }, "endless-source");
            t.setDaemon(true);
            t.start();
            org.hoststated.core.config.RelayConfig cfg = RelayFixture.relay("t", new org.hoststated.core.config.ForwardTarget(
                    java.net.InetAddress.getLoopbackAddress(), "127.0.0.1", server.getLocalPort(), 0), 2, false);
            try (RelayFixture r = RelayFixture.start(cfg, null); Socket c = new Socket()) {
                c.setReceiveBufferSize(4096);
                long start = System.nanoTime();
                c.connect(r.address(), 5000);
                Long cut = cutAt.poll(10, java.util.concurrent.TimeUnit.SECONDS);
                assertTrue(cut != null, "the server's connection outlived 10 s");
                long ms = (cut - start) / 1_000_000;
                assertTrue(ms >= 1500 && ms < 3200, "server connection cut " + ms + " ms after the connect (timeout 2 s)");
            }
        }
    }

    /**
     * The same over TLS: the server's connection is cut after one timeout, as for a plain
     * client, and the client is reset rather than sent a close_notify, which would vouch for
     * the cut stream as whole. Netty's SslHandler held the close for 3 s, trying to flush that
     * close_notify to the client that read nothing, and the server's close waited for it.
     */
    @Test
    void aTlsClientThatReadsNothingIsCutAfterOneTimeout() throws Exception {
        try (SlowPeer server = SlowPeer.endlessSource(java.net.InetAddress.getLoopbackAddress(), "x", "");
                RelayFixture r = tlsRelay(server.address(), 2);
                Socket tcp = new Socket()) {
            tcp.setReceiveBufferSize(4096);
            tcp.connect(r.address(), 5000);
            javax.net.ssl.SSLSocket c = (javax.net.ssl.SSLSocket) TlsRelayTest.clientTrusting(
                    TlsRelayTest.pair().certificatePem()).getSocketFactory().createSocket(tcp, "localhost", r.port, true);
            c.setSoTimeout(20_000);
            c.startHandshake();
            long start = System.nanoTime();
            c.getOutputStream().write('x'); // the server starts sending, and the client reads nothing
            c.getOutputStream().flush();
            SlowPeer.assertCutAfterOneTimeout(server.cutAt, start, 2, 0);
            org.junit.jupiter.api.Assertions.assertThrows(java.io.IOException.class, () -> {
                while (c.getInputStream().read(new byte[65536]) >= 0) {
                    // what the relay had sent before the cut
                }
            }, "a close_notify after a stream cut by the timeout");
        }
    }

    /** An idle TLS session ends at its timeout with the relay's close_notify. */
    @Test
    void anIdleTlsSessionGetsCloseNotifyAtTheTimeout() throws Exception {
        try (TestBackend b = TestBackend.identEcho("a");
                RelayFixture r = tlsRelay(b.address(), 1);
                javax.net.ssl.SSLSocket c = TlsRelayTest.connect(r, TlsRelayTest.pair(), "TLSv1.3")) {
            InputStream in = c.getInputStream();
            assertEquals("a", TcpRelayTest.readLine(in));
            long t0 = System.nanoTime();
            assertEquals(-1, in.read(), "no close_notify");
            long ms = (System.nanoTime() - t0) / 1_000_000;
            assertTrue(ms >= 900 && ms < 2500, "closed after " + ms + " ms (timeout 1 s)");
        }
    }

    /** A TLS relay to {@code server} with a timeout of {@code timeoutSec}. */
    private static RelayFixture tlsRelay(java.net.InetSocketAddress server, int timeoutSec) throws Exception {
        org.hoststated.core.config.RelayConfig cfg = RelayFixture.relay("t", new org.hoststated.core.config.ForwardTarget(
                server.getAddress(), server.getAddress().getHostAddress(), server.getPort(), 0), timeoutSec, false);
        return RelayFixture.startTls(RelayTransport.best(), cfg,
                RelayTls.serverContext(TlsRelayTest.pair(), org.hoststated.core.config.SslOptions.defaults()));
    }

    @Test
    void aSlowReaderDrainingABigResponseIsNotIdle() throws Exception {
        long size = 24L * 1024 * 1024;
        try (TestBackend b = TestBackend.source("src", size);
                RelayFixture r = RelayFixture.start(RelayFixture.relay("t", RelayFixture.forward(b).target(), 1, false), null);
                Socket c = r.connect()) {
            c.setReceiveBufferSize(16 * 1024);
            InputStream in = c.getInputStream();
            byte[] buf = new byte[64 * 1024];
            long got = 0;
            long t0 = System.nanoTime();
            // Read slowly for longer than the timeout: each read makes progress, so no timeout.
            while (System.nanoTime() - t0 < 2_500_000_000L) {
                int n = in.read(buf);
                assertTrue(n > 0, "closed while draining after " + got + " bytes");
                got += n;
                Thread.sleep(20); // the slow reader under test
            }
            TestBackend.Received rest = Pattern.drain(in);
            assertEquals(size, got + rest.bytes());
        }
    }

    /** A relay of {@code how} ("epoll", "io_uring", or "tls" on io_uring) with timeout 2 and a big socket buffer. */
    private static RelayFixture slowSideRelay(String how, java.net.InetSocketAddress server) throws Exception {
        org.hoststated.core.config.RelayConfig cfg = RelayFixture.relay("t", new org.hoststated.core.config.ForwardTarget(
                server.getAddress(), server.getAddress().getHostAddress(), server.getPort(), 0), 2, false);
        org.hoststated.core.config.ProtocolConfig protocol = TcpOptionsTest.protocol(new org.hoststated.core.config.TcpOptions(
                org.hoststated.core.config.TcpOptions.DEFAULT_BACKLOG, null, null, SlowPeer.BIG_SOCKET_BUFFER, 0, 0));
        if (how.equals("tls")) {
            return RelayFixture.startTls(TcpOptionsTest.transport("io_uring"), cfg, protocol,
                    RelayTls.serverContext(TlsRelayTest.pair(), org.hoststated.core.config.SslOptions.defaults()));
        }
        return RelayFixture.start(TcpOptionsTest.transport(how), 1, cfg, protocol, null);
    }

    /**
     * A client that reads steadily but slowly behind a send buffer of megabytes: the kernel
     * says the socket is writable only once about half of what it holds is gone, so the bytes
     * the relay queues itself stay still for longer than the timeout. The client's reads are
     * progress all the same (they were not: it was cut after one timeout while reading), and
     * once it stops reading it is cut after about one timeout.
     */
    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(strings = {"epoll", "io_uring", "tls"})
    void aSteadySlowReaderBehindABigSendBufferIsNotCut(String how) throws Exception {
        try (SlowPeer server = SlowPeer.endlessSource(java.net.InetAddress.getLoopbackAddress(), "x", "");
                RelayFixture r = slowSideRelay(how, server.address());
                Socket tcp = new Socket()) {
            tcp.setReceiveBufferSize(SlowPeer.SMALL_RECEIVE_BUFFER);
            tcp.connect(r.address(), 5000);
            Socket c = tcp;
            if (how.equals("tls")) {
                c = TlsRelayTest.clientTrusting(TlsRelayTest.pair().certificatePem()).getSocketFactory()
                        .createSocket(tcp, "localhost", r.port, true);
            }
            c.setSoTimeout(20_000);
            long start = System.nanoTime();
            c.getOutputStream().write('x'); // the server starts sending
            c.getOutputStream().flush();
            long got = SlowPeer.readSlowly(c.getInputStream(), 6_000);
            SlowPeer.assertNotCut(server.cutAt, start, "the client read");
            long stopped = System.nanoTime();
            // Over TLS too: the client that stopped reading is reset, not sent a close_notify
            // that SslHandler waited 3 s to flush before it closed (and the server after it).
            SlowPeer.assertCutAfterOneTimeout(server.cutAt, stopped, 2, 0);
            assertTrue(got > 0);
        }
    }

    /**
     * The same towards the server: a server that reads an upload steadily but slowly behind a
     * big send buffer keeps the session up, and one that stops is cut after about one timeout.
     */
    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(strings = {"epoll", "io_uring"})
    void aServerSlowlyReadingAnUploadIsNotCut(String how) throws Exception {
        try (SlowPeer server = SlowPeer.slowSink(java.net.InetAddress.getLoopbackAddress());
                RelayFixture r = slowSideRelay(how, server.address());
                Socket c = new Socket()) {
            c.connect(r.address(), 5000);
            long start = System.nanoTime();
            java.util.concurrent.LinkedBlockingQueue<Long> clientCut = SlowPeer.writeWithoutEnd(c, "");
            Thread.sleep(6_000); // the server reads slowly meanwhile
            SlowPeer.assertNotCut(clientCut, start, "the server read the upload");
            SlowPeer.assertNotCut(server.cutAt, start, "the server read the upload");
            server.stopReading();
            long stopped = System.nanoTime();
            SlowPeer.assertCutAfterOneTimeout(clientCut, stopped, 2, 0);
        }
    }
}
