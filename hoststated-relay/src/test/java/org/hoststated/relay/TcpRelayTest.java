package org.hoststated.relay;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelOutboundBuffer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.hoststated.core.config.ForwardTarget;
import org.hoststated.core.config.Mode;
import org.hoststated.core.config.RelayConfig;
import org.hoststated.core.config.TcpOptions;
import org.hoststated.relay.handler.RelayFrontendHandler;
import org.hoststated.relay.lb.HostSelector;
import org.hoststated.relay.lb.RelayHosts;
import org.hoststated.relay.lb.RoundRobin;
import org.hoststated.relay.lb.TargetHost;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The plain TCP relay against real loopback sockets: a backend server, a relay, a client. Run
 * once per transport by the subclasses.
 */
abstract class TcpRelayTest {
    /** The transport under test. */
    abstract RelayTransport transport();

    RelayFixture start(org.hoststated.core.config.RelayConfig relay, HostSelector selector) throws IOException {
        return RelayFixture.start(transport(), 2, relay, org.hoststated.core.config.ProtocolConfig.builtinDefault(1),
                selector);
    }

    private static final int MB = 1024 * 1024;

    static String readLine(InputStream in) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        for (int c; (c = in.read()) != '\n'; ) {
            if (c < 0) {
                return null;
            }
            b.write(c);
        }
        return b.toString(StandardCharsets.US_ASCII);
    }

    /** Sends {@code size} pattern bytes then FIN, on its own thread. */
    static CompletableFuture<Void> sendThenFin(Socket s, long size) {
        return CompletableFuture.runAsync(() -> {
            try {
                Pattern.write(s.getOutputStream(), size);
                s.shutdownOutput();
            } catch (IOException e) {
                throw new RuntimeException(e);
            }
        });
    }

    @Test
    void relaysMegabytesByteExactAndPassesTheClientsFin() throws Exception {
        try (TestBackend b = TestBackend.identEcho("a");
                RelayFixture r = start(RelayFixture.forward(b), null)) {
            long size = 4L * MB + 12345;
            try (Socket c = r.connect()) {
                CompletableFuture<Void> sent = sendThenFin(c, size);
                InputStream in = c.getInputStream();
                assertEquals("a", readLine(in));
                // The echo server sends FIN only after ours reached it: EOF here proves the
                // relay passed the client's FIN on and kept relaying the other way.
                TestBackend.Received got = Pattern.drain(in);
                sent.get(20, TimeUnit.SECONDS);
                assertEquals(size, got.bytes());
                assertArrayEquals(Pattern.digest(size), got.sha256());
            }
        }
    }

    /**
     * A client that uploads after the server's FIN, to a server that takes it only later: the
     * whole upload and then a FIN reach the server. On io_uring the relay's write that found
     * the server's buffers full waited for a POLLOUT that the kernel reported as a read
     * hang-up (the server's FIN), and Netty never wrote again: about one session in 15-30 of
     * a server that read as it went lost its last 0.2-1 MB and its FIN, the socket in
     * CLOSE-WAIT until the relay's timeout (probe L of session 58; {@code PollHangups}).
     */
    @Test
    void anUploadAfterTheServersFinReachesItWholeWithItsFin() throws Exception {
        InetAddress lo = InetAddress.getLoopbackAddress();
        long up = 4 * MB;
        try (ServerSocket server = new ServerSocket()) {
            server.setReceiveBufferSize(64 * 1024);
            server.bind(new InetSocketAddress(lo, 0), 8);
            RelayConfig cfg = RelayFixture.relay("fwd", new ForwardTarget(lo, "127.0.0.1", server.getLocalPort(), 0),
                    600, false);
            try (RelayFixture r = start(cfg, null)) {
                for (int round = 0; round < 3; round++) {
                    try (Socket c = r.connect(); Socket s = server.accept()) {
                        s.shutdownOutput();
                        assertEquals(-1, c.getInputStream().read(), "the server's FIN reaches the client");
                        CompletableFuture<Void> uploaded = sendThenFin(c, up);
                        // The server takes nothing yet: the relay's writes find its buffers full.
                        Thread.sleep(200);
                        s.setSoTimeout(10_000);
                        TestBackend.Received got = Pattern.drain(s.getInputStream());
                        uploaded.get(20, TimeUnit.SECONDS);
                        assertEquals(up, got.bytes(), "round " + round);
                        assertArrayEquals(Pattern.digest(up), got.sha256(), "round " + round);
                    }
                }
            }
        }
    }

    /**
     * A client that sends and resets at once, its server still connecting: the server gets a
     * reset, never an orderly end. On epoll the client is read during the connect, and the
     * server's connection was closed with a FIN once made: an empty stream, taken for whole
     * (probe O of session 59; a log shipper's line lost without a trace).
     */
    @Test
    void aClientThatSendsAndResetsAtOnceIsAResetForItsServer() throws Exception {
        InetAddress lo = InetAddress.getLoopbackAddress();
        try (ServerSocket server = new ServerSocket()) {
            server.bind(new InetSocketAddress(lo, 0), 8);
            RelayConfig cfg = RelayFixture.relay("fwd", new ForwardTarget(lo, "127.0.0.1", server.getLocalPort(), 0),
                    600, false);
            try (RelayFixture r = start(cfg, null)) {
                for (int round = 0; round < 10; round++) {
                    try (Socket c = r.connect()) {
                        c.getOutputStream().write(new byte[1024]);
                        c.setSoLinger(true, 0);
                    }
                    try (Socket s = server.accept()) {
                        s.setSoTimeout(10_000);
                        long got = 0;
                        try {
                            for (int n; (n = s.getInputStream().read(new byte[4096])) > 0; ) {
                                got += n;
                            }
                            fail("round " + round + ": a FIN after " + got + " bytes, for a client that reset");
                        } catch (java.net.SocketException e) {
                            // the reset, after the client's bytes (io_uring) or none (epoll)
                        }
                    }
                }
            }
        }
    }

    /**
     * A server that resets while the relay writes the client's upload to it: the client gets
     * what the server sent, then a reset, never a FIN. The reset's error went to the write in
     * flight, the read after it found only the end, and the client was sent a FIN that said the
     * stream was whole, in one session of five on io_uring (probe O of session 59).
     */
    @Test
    void aServerThatResetsDuringAnUploadIsAResetForTheClient() throws Exception {
        InetAddress lo = InetAddress.getLoopbackAddress();
        int answer = 100 * 1024;
        try (ServerSocket server = new ServerSocket()) {
            server.bind(new InetSocketAddress(lo, 0), 8);
            RelayConfig cfg = RelayFixture.relay("fwd", new ForwardTarget(lo, "127.0.0.1", server.getLocalPort(), 0),
                    600, false);
            try (RelayFixture r = start(cfg, null)) {
                for (int round = 0; round < 30; round++) {
                    try (java.nio.channels.SocketChannel c = java.nio.channels.SocketChannel.open(r.address());
                            Socket s = server.accept()) {
                        s.getOutputStream().write(new byte[answer]);
                        FillWithoutBlocking.fill(c);
                        // The server takes some and resets while the relay writes to it.
                        s.getInputStream().readNBytes((int) MB);
                        s.setSoLinger(true, 0);
                        s.close();
                        c.socket().setSoTimeout(10_000);
                        InputStream in = c.socket().getInputStream();
                        long got = 0;
                        try {
                            for (int n; (n = in.read(new byte[65536])) > 0; ) {
                                got += n;
                            }
                            fail("round " + round + ": a FIN after " + got + " bytes, for a server that reset");
                        } catch (java.net.SocketException e) {
                            // the reset, after part or all of the answer
                        }
                    }
                }
            }
        }
    }

    /**
     * Both sockets of a live session are armed: their linger time is 0, so a relay engine that
     * dies resets its sessions' peers instead of closing them with a FIN ({@link ExitReset}).
     * The session's own end disarms them: a client that reads its download only after the
     * session has ended (both FINs relayed, the rest of it still in the relay's kernel) gets all
     * of it, then its FIN, not a reset that drops the rest.
     */
    @Test
    void aLiveSessionsSocketsAreArmedAndItsEndDisarmsThem() throws Exception {
        long down = DOWNLOAD_KEPT_BY_THE_KERNELS;
        try (TestBackend b = TestBackend.source("src", down);
                RelayFixture r = RelayFixture.start(transport(), 1, RelayFixture.forward(b),
                        TcpOptionsTest.protocol(BUFFERS_TAKING_THE_DOWNLOAD), null);
                Socket c = r.connect()) {
            Channel client = awaitSession(r);
            Channel server = serverSide(client);
            assertEquals(0, onLoop(client, () -> client.config().getOption(ChannelOption.SO_LINGER)));
            assertEquals(0, onLoop(server, () -> server.config().getOption(ChannelOption.SO_LINGER)));
            endsBeforeTheClientReadsAndLosesNothing(client, c, down);
        }
    }

    /** A download small enough for the relay's and the client's kernels to hold all of it. */
    static final long DOWNLOAD_KEPT_BY_THE_KERNELS = 256 * 1024 + 5;
    /** A send buffer that takes the whole download, so the session can end before the client reads. */
    static final TcpOptions BUFFERS_TAKING_THE_DOWNLOAD = new TcpOptions(10, null, null, MB, 0, 0);

    /**
     * The client {@code c} of session {@code client} sends its FIN; the session ends (both FINs
     * relayed) with the rest of its download of {@code down} bytes still in the relay's kernel;
     * then the client reads all of it, and a FIN, not a reset.
     */
    static void endsBeforeTheClientReadsAndLosesNothing(Channel client, Socket c, long down) throws Exception {
        c.shutdownOutput();
        assertTrue(client.closeFuture().await(20, TimeUnit.SECONDS), "the session ended before the client read");
        TestBackend.Received got = Pattern.drain(c.getInputStream());
        assertEquals(down, got.bytes());
        assertArrayEquals(Pattern.digest(down), got.sha256());
    }

    @Test
    void serverFinFirstThenClientKeepsSending() throws Exception {
        long down = 3L * MB + 7;
        long up = 2L * MB + 3;
        try (TestBackend b = TestBackend.source("src", down);
                RelayFixture r = start(RelayFixture.forward(b), null)) {
            try (Socket c = r.connect()) {
                TestBackend.Received got = Pattern.drain(c.getInputStream());
                assertEquals(down, got.bytes());
                assertArrayEquals(Pattern.digest(down), got.sha256());
                // The server has sent FIN; the session stays open for the client's half.
                Pattern.write(c.getOutputStream(), up);
                c.shutdownOutput();
                TestBackend.Received atServer = b.received.poll(20, TimeUnit.SECONDS);
                assertEquals(up, atServer.bytes());
                assertArrayEquals(Pattern.digest(up), atServer.sha256());
            }
        }
    }

    /**
     * A server that takes an upload slowly, after the session ended (the server's FIN first,
     * then the client's after its upload): the relay's queue towards it outlives the session.
     * A stop meanwhile closed it with a FIN, so the server took the cut upload for a whole
     * one; now it is reset, and it lingers among the relay's sessions until then (review R).
     */
    @Test
    void aServerStillTakingAnUploadAtAStopIsResetNotClosed() throws Exception {
        // Small fixed buffers: an upload larger than the kernels hold towards the server and
        // small enough that the client's FIN reaches the relay behind it leaves some of it in
        // the relay's queue; the sizes are tried upwards.
        TcpOptions small = new TcpOptions(10, null, null, 64 * 1024, 0, 0);
        InetAddress lo = InetAddress.getLoopbackAddress();
        for (long up = 64 * 1024; up <= 2 * MB; up += 32 * 1024) {
            try (ServerSocket server = new ServerSocket(0, 4, lo)) {
                RelayConfig cfg = RelayFixture.relay("fwd", new ForwardTarget(lo, "127.0.0.1", server.getLocalPort(), 0),
                        600, false);
                RelayFixture r = RelayFixture.start(transport(), 1, cfg, TcpOptionsTest.protocol(small), null);
                try (Socket c = r.connect(); Socket s = server.accept()) {
                    s.shutdownOutput(); // and reads nothing yet
                    assertEquals(-1, c.getInputStream().read(), "the server's FIN reaches the client");
                    long size = up;
                    CompletableFuture<Void> upload = CompletableFuture.runAsync(() -> {
                        try {
                            Pattern.write(c.getOutputStream(), size);
                            c.shutdownOutput();
                        } catch (IOException e) {
                            throw new java.io.UncheckedIOException(e);
                        }
                    });
                    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
                    while (!r.server.context().sessions().isEmpty() && System.nanoTime() < deadline) {
                        Thread.sleep(10);
                    }
                    if (!r.server.context().sessions().isEmpty()) {
                        continue; // the client's FIN stays behind what the relay's kernel cannot take
                    }
                    Thread.sleep(100); // the server side's flush ends, or it lingers
                    if (r.server.context().lingering().isEmpty()) {
                        continue; // the kernels took it all: the FIN after it is the upload's end
                    }
                    upload.get(20, TimeUnit.SECONDS);
                    assertTrue(r.server.hasSessions(), "a lingering server side is waited for");
                    r.close();
                    s.setSoTimeout(20_000);
                    long got = 0;
                    byte[] buf = new byte[65536];
                    IOException reset = null;
                    try {
                        for (int n; (n = s.getInputStream().read(buf)) >= 0; ) {
                            got += n;
                        }
                    } catch (IOException e) {
                        reset = e;
                    }
                    assertTrue(got < up, got + " bytes: the server took the whole upload");
                    assertTrue(reset != null, "the cut upload ended with a FIN after " + got + " bytes");
                    return;
                } finally {
                    r.close();
                }
            }
        }
        fail("no upload size left bytes in the relay's queue after its session");
    }

    /**
     * A server that resets after sending: the client gets what it sent, then a reset rather
     * than a clean end, so it cannot take the cut stream for a whole one.
     */
    @Test
    void aServerResetReachesTheClientAsAReset() throws Exception {
        try (ServerSocket server = new ServerSocket(0, 4, InetAddress.getLoopbackAddress())) {
            CompletableFuture.runAsync(() -> {
                try (Socket s = server.accept()) {
                    s.getInputStream().read(); // the session is up: the relay forwarded this
                    s.getOutputStream().write(new byte[100_000]);
                    s.setSoLinger(true, 0);
                } catch (IOException e) {
                    // the test fails on its side
                }
            });
            RelayConfig cfg = RelayFixture.relay("fwd", new ForwardTarget(InetAddress.getLoopbackAddress(),
                    "127.0.0.1", server.getLocalPort(), 0), 600, false);
            try (RelayFixture r = start(cfg, null); Socket c = r.connect()) {
                c.setSoTimeout(20_000);
                c.getOutputStream().write('x');
                InputStream in = c.getInputStream();
                byte[] buf = new byte[65536];
                try {
                    while (in.read(buf) >= 0) {
                        // what the server sent before its reset (as much as the relay read)
                    }
                    fail("a clean end");
                } catch (java.net.SocketException e) {
                    assertTrue(e.getMessage().contains("reset"), e.getMessage());
                }
            }
        }
    }

    /**
     * The engine stopping (SIGTERM) while a stream is under way: both peers are reset, as for a
     * side that failed. A FIN told the client that its download had ended, and the server that
     * the upload had, where the relay had only cut them.
     */
    @Test
    void aShutdownResetsBothPeersOfAStreamUnderWay() throws Exception {
        try (ServerSocket server = new ServerSocket(0, 4, InetAddress.getLoopbackAddress())) {
            CompletableFuture<String> serverSaw = CompletableFuture.supplyAsync(() -> {
                try (Socket s = server.accept()) {
                    s.setSoTimeout(20_000);
                    s.getOutputStream().write(new byte[100_000]);
                    InputStream in = s.getInputStream();
                    while (in.read() >= 0) {
                        // what the client sends
                    }
                    return "FIN";
                } catch (IOException e) {
                    return e.getMessage();
                }
            });
            RelayConfig cfg = RelayFixture.relay("fwd", new ForwardTarget(InetAddress.getLoopbackAddress(),
                    "127.0.0.1", server.getLocalPort(), 0), 600, false);
            try (RelayFixture r = start(cfg, null); Socket c = r.connect()) {
                c.getOutputStream().write('x');
                InputStream in = c.getInputStream();
                byte[] buf = new byte[100_000];
                for (int got = 0; got < buf.length; ) {
                    got += in.read(buf, got, buf.length - got);
                }
                r.server.closeSessions().awaitUninterruptibly(5, TimeUnit.SECONDS);
                try {
                    int b = in.read();
                    fail("the client got " + (b < 0 ? "a FIN" : "a byte") + " instead of a reset");
                } catch (java.net.SocketException e) {
                    assertTrue(e.getMessage().contains("reset"), e.getMessage());
                }
                String saw = serverSaw.get(20, TimeUnit.SECONDS);
                assertTrue(saw.contains("reset"), "the server saw " + saw);
            }
        }
    }

    /**
     * A session whose client reset while its server still takes what the client sent lasts
     * until that server side is closed: listed as DONE and counted active meanwhile. It was
     * gone from the listing, counted closed and logged at the client's reset, its server
     * connection open up to 5 s more (probe AE).
     */
    @Test
    void aSessionWhoseClientResetLastsWhileItsServerTakesTheRest() throws Exception {
        TcpOptions small = new TcpOptions(10, null, null, 4096, 0, 0);
        CompletableFuture<Long> taken = new CompletableFuture<>();
        CompletableFuture<Void> firstByte = new CompletableFuture<>();
        try (ServerSocket server = new ServerSocket(0, 4, InetAddress.getLoopbackAddress())) {
            server.setReceiveBufferSize(4096);
            CompletableFuture.runAsync(() -> {
                try (Socket s = server.accept()) {
                    InputStream in = s.getInputStream();
                    in.read();
                    firstByte.complete(null);
                    Thread.sleep(1500); // holds the rest in the relay's socket towards it
                    long got = 1;
                    try {
                        for (int n; (n = in.read(new byte[4096])) >= 0; ) {
                            got += n;
                        }
                    } catch (IOException e) {
                        // the reset after what the relay held
                    }
                    taken.complete(got);
                } catch (IOException | InterruptedException e) {
                    taken.completeExceptionally(e);
                }
            });
            RelayConfig cfg = RelayFixture.relay("fwd", new ForwardTarget(InetAddress.getLoopbackAddress(),
                    "127.0.0.1", server.getLocalPort(), 0), 600, false);
            try (RelayFixture r = RelayFixture.start(transport(), 1, cfg, TcpOptionsTest.protocol(small), null)) {
                try (Socket c = new Socket()) {
                    c.connect(r.address());
                    c.getOutputStream().write(new byte[64 * 1024]);
                    awaitSession(r);
                    // The relay reads the client once its server's connect is done: a reset
                    // before that dropped what the client sent, and with nothing left for the
                    // server the session ended at once (the test failed run alone).
                    firstByte.get(10, TimeUnit.SECONDS);
                    Thread.sleep(200);
                    c.setSoLinger(true, 0);
                }
                await(() -> r.sessions().isEmpty());
                var loops = SessionListing.number(r.workers);
                var rows = SessionListing.rows(List.of(r.server), Map.of(), loops, System.nanoTime());
                assertEquals(1, rows.size(), "listed while its server takes the rest: " + rows);
                assertTrue(rows.get(0).done(), rows.toString());
                assertEquals(1, r.server.context().counters().active());
                assertTrue(taken.get(20, TimeUnit.SECONDS) > 0);
                await(() -> r.server.context().counters().active() == 0);
                assertEquals(List.of(), SessionListing.rows(List.of(r.server), Map.of(), loops, System.nanoTime()));
            }
        }
    }

    /**
     * A server that resets while its client reads nothing: what the relay holds for the client
     * waits for it only for a short grace, then the client is reset and the session ends, long
     * before the relay's timeout (it waited for that before). The client gets the bytes that
     * reached its socket, then the reset.
     */
    @Test
    void aServerResetEndsTheSessionSoonWhenTheClientReadsNothing() throws Exception {
        TcpOptions small = new TcpOptions(10, null, null, 4096, 0, 0);
        try (ServerSocket server = new ServerSocket(0, 4, InetAddress.getLoopbackAddress())) {
            CompletableFuture.runAsync(() -> {
                try (Socket s = server.accept()) {
                    s.getInputStream().read(); // the session is up: the relay forwarded this
                    // More than the sockets towards the client hold, less than they and the
                    // relay's water mark do: the relay reads all of it (the reset would drop
                    // what it had not), and the reset.
                    s.getOutputStream().write(new byte[48_000]);
                    Thread.sleep(500);
                    s.setSoLinger(true, 0);
                } catch (IOException | InterruptedException e) {
                    // the test fails on its side
                }
            });
            RelayConfig cfg = RelayFixture.relay("fwd", new ForwardTarget(InetAddress.getLoopbackAddress(),
                    "127.0.0.1", server.getLocalPort(), 0), 600, false);
            try (RelayFixture r = RelayFixture.start(transport(), 1, cfg, TcpOptionsTest.protocol(small), null);
                    Socket c = new Socket()) {
                c.setReceiveBufferSize(4096);
                c.connect(r.address());
                c.setSoTimeout(20_000);
                c.getOutputStream().write('x');
                awaitSession(r);
                // While it holds the rest for the client, the session is closing: listed as DONE
                // (it was listed RUNNING, with the server that had reset it).
                var loops = SessionListing.number(r.workers);
                await(() -> SessionListing.rows(List.of(r.server), Map.of(), loops, System.nanoTime()).stream()
                        .anyMatch(org.hoststated.core.msg.CtlSession::done));
                assertFalse(r.sessions().isEmpty(), "listed DONE while it was still there");
                await(() -> r.sessions().isEmpty());
                InputStream in = c.getInputStream();
                long got = 0;
                try {
                    for (int n; (n = in.read(new byte[65536])) >= 0; ) {
                        got += n;
                    }
                    fail("a clean end");
                } catch (java.net.SocketException e) {
                    assertTrue(e.getMessage().contains("reset"), e.getMessage());
                }
                assertTrue(got > 0 && got < 48_000, "received " + got);
            }
        }
    }

    /**
     * A client pushes into a server that reads nothing until every buffer between them is
     * full, then resets. The relay has stopped reading it (back-pressure), yet the reset must
     * end the session at once, not at the relay's timeout (twice it, as the bytes queued for
     * the server kept the session "active"): the session holds a server connection meanwhile.
     */
    @Test
    void aClientResetEndsTheSessionWhileTheRelayIsNotReadingIt() throws Exception {
        try (ServerSocket server = new ServerSocket(0, 4, InetAddress.getLoopbackAddress())) {
            CompletableFuture<Socket> accepted = acceptAndNeverRead(server, false);
            RelayConfig cfg = RelayFixture.relay("fwd", new ForwardTarget(InetAddress.getLoopbackAddress(),
                    "127.0.0.1", server.getLocalPort(), 0), 600, false);
            try (RelayFixture r = start(cfg, null);
                    java.nio.channels.SocketChannel c = java.nio.channels.SocketChannel.open(r.address())) {
                fillEveryBuffer(c);
                assertEquals(1, r.sessions().size());
                c.setOption(java.net.StandardSocketOptions.SO_LINGER, 0);
                c.close();
                long t0 = System.nanoTime();
                await(() -> r.sessions().isEmpty());
                long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
                assertTrue(ms < 5_000, "session ended " + ms + " ms after the client's reset");
            } finally {
                closeWhenAccepted(accepted);
            }
        }
    }

    /**
     * A server that reads nothing while a client uploads, the client then sending FIN (as
     * {@code write(); close()} does, having nothing to read): the session's timeout ends it,
     * and the connection to the server with it. The relay's close of that connection waited
     * for its queue to be written, which a server that reads nothing never lets happen: the
     * connection stayed open, with a descriptor and the kernel's send buffer (megabytes on the
     * loopback), after the session was over, and nothing would ever close it. Likewise a server
     * that ends its stream (FIN) without reading the client's: the session is done when both
     * have sent FIN, and its server connection must still end.
     */
    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void aServerThatReadsNothingIsClosedWithItsSession(boolean serverFin) throws Exception {
        try (ServerSocket server = new ServerSocket(0, 4, InetAddress.getLoopbackAddress())) {
            CompletableFuture<Socket> accepted = acceptAndNeverRead(server, serverFin);
            RelayConfig cfg = RelayFixture.relay("fwd", new ForwardTarget(InetAddress.getLoopbackAddress(),
                    "127.0.0.1", server.getLocalPort(), 0), 1, false);
            try (RelayFixture r = start(cfg, null);
                    java.nio.channels.SocketChannel c = java.nio.channels.SocketChannel.open(r.address())) {
                Channel client = awaitSession(r);
                Channel toServer = serverSide(client);
                fillEveryBuffer(c);
                c.shutdownOutput();
                client.closeFuture().awaitUninterruptibly(20, TimeUnit.SECONDS);
                assertFalse(client.isOpen(), "the session did not end");
                toServer.closeFuture().awaitUninterruptibly(20, TimeUnit.SECONDS);
                assertFalse(toServer.isOpen(), "the server's connection outlived its session");
            } finally {
                closeWhenAccepted(accepted);
            }
        }
    }

    /**
     * A server that ended its stream at once and never reads, and a client that uploads what the
     * kernel's buffers hold and sends FIN: the session's server side is not closed at both FINs
     * with the upload unread, which left it to the kernel as an orphan in LAST-ACK for minutes
     * (probe AG), but reset at the relay's timeout; the session lasts until then.
     */
    @Test
    void aServerThatNeverReadsIsResetAtTheTimeoutNotLeftAnOrphan() throws Exception {
        try (ServerSocket server = new ServerSocket()) {
            // A small receive buffer, which its kernel does not grow: on loopback an autotuned one
            // took the whole upload at times, acknowledged it all, and the relay then rightly
            // closed the server side at both FINs (CI92).
            server.setReceiveBufferSize(16 * 1024);
            server.bind(new java.net.InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 4);
            CompletableFuture<Socket> accepted = acceptAndNeverRead(server, true);
            RelayConfig cfg = RelayFixture.relay("fwd", new ForwardTarget(InetAddress.getLoopbackAddress(),
                    "127.0.0.1", server.getLocalPort(), 0), 3, false);
            try (RelayFixture r = start(cfg, null);
                    java.nio.channels.SocketChannel c = java.nio.channels.SocketChannel.open(r.address())) {
                Channel client = awaitSession(r);
                Channel toServer = serverSide(client);
                c.write(java.nio.ByteBuffer.allocate(200_000));
                c.shutdownOutput();
                client.closeFuture().awaitUninterruptibly(20, TimeUnit.SECONDS);
                assertFalse(client.isOpen(), "the session did not end at both FINs");
                assertTrue(toServer.isOpen(), "closed with its upload unacknowledged");
                assertEquals(1, r.server.context().counters().active(), "the session ended before its server side");
                toServer.closeFuture().awaitUninterruptibly(20, TimeUnit.SECONDS);
                assertFalse(toServer.isOpen(), "not reset at the timeout");
                await(() -> r.server.context().counters().active() == 0);
            } finally {
                closeWhenAccepted(accepted);
            }
        }
    }

    /** The one connection {@code server} accepts, never read; its output shut at once when {@code fin}. */
    private static CompletableFuture<Socket> acceptAndNeverRead(ServerSocket server, boolean fin) {
        return CompletableFuture.supplyAsync(() -> {
            try {
                Socket s = server.accept();
                if (fin) {
                    s.shutdownOutput();
                }
                return s;
            } catch (IOException e) {
                throw new RuntimeException(e);
            }
        });
    }

    /** The relay's channel to the server of the session of {@code client}, once connected. */
    private static Channel serverSide(Channel client) {
        RelayFrontendHandler session = client.pipeline().get(RelayFrontendHandler.class);
        awaitOnLoop(client, () -> session.server() != null && session.server().isActive());
        return onLoop(client, session::server);
    }

    /**
     * A client that resets while the relay still connects to its server (one that drops SYNs,
     * as an overloaded host does): the session ends then, and the connect with it, not when the
     * connect gives up (up to 30 s, once per retry). Nothing read the client meanwhile, so with
     * io_uring its reset went unseen, and a server that answered late got a connection for a
     * client long gone.
     */
    @Test
    void aClientResetDuringTheConnectEndsTheSession() throws Exception {
        try (SilentListener silent = SilentListener.open()) {
            HostSelector sel = RelayFixture.roundRobin(List.of(RelayFixture.host(1, silent.address(), 0)));
            try (RelayFixture r = start(RelayFixture.table(Mode.ROUNDROBIN), sel); Socket c = r.connect()) {
                c.getOutputStream().write('x');
                await(() -> sel.connectsInProgress() == 1);
                c.setSoLinger(true, 0);
                c.close();
                long t0 = System.nanoTime();
                await(() -> r.sessions().isEmpty() && sel.connectsInProgress() == 0);
                long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
                assertTrue(ms < 5_000, "session ended " + ms + " ms after the client's reset");
            }
        }
    }

    @Test
    void slowReaderKeepsTheRelaysBufferBounded() throws Exception {
        long size = 32L * MB;
        try (TestBackend b = TestBackend.source("src", size);
                RelayFixture r = start(RelayFixture.forward(b), null)) {
            try (Socket c = r.connect()) {
                Channel client = awaitSession(r);
                // The client reads nothing: wait until the relay's buffer towards it is full.
                awaitOnLoop(client, () -> !client.isWritable());
                int high = SocketOptions.WATER_MARK.high();
                // One read (at most SocketOptions.MAX_READ) may pass the mark before reading stops.
                long bound = high + SocketOptions.MAX_READ;
                for (int i = 0; i < 5; i++) {
                    long[] seen = onLoop(client, () -> {
                        Channel server = client.pipeline().get(RelayFrontendHandler.class).server();
                        ChannelOutboundBuffer ob = client.unsafe().outboundBuffer();
                        return new long[] {ob == null ? 0 : ob.totalPendingWriteBytes(),
                            server.config().isAutoRead() ? 1 : 0, client.isWritable() ? 1 : 0};
                    });
                    assertTrue(seen[0] <= bound, "pending " + seen[0] + " > " + bound);
                    if (seen[2] == 0) {
                        assertEquals(0, seen[1], "server side still reading while the client side is full");
                    }
                    Thread.yield();
                }
                TestBackend.Received got = Pattern.drain(c.getInputStream());
                assertEquals(size, got.bytes());
                assertArrayEquals(Pattern.digest(size), got.sha256());
            }
        }
    }

    /**
     * A client that reads nothing while its server trickles small writes, and meanwhile another
     * session streams through the same loop: each small read lands in a different receive
     * buffer, and what waits for the stalled client must not keep all those buffers alive.
     */
    @Test
    void smallReadsWaitingForASlowReaderPinLittleMoreThanTheyHold() throws Exception {
        TcpOptions small = new TcpOptions(10, null, null, 128 * 1024, 0, 0);
        try (TestBackend echo = TestBackend.identEcho("e");
                RelayFixture r = RelayFixture.start(transport(), 1, RelayFixture.forward(echo),
                        TcpOptionsTest.protocol(small), null);
                Socket stalled = new Socket();
                Socket bulk = r.connect()) {
            stalled.setReceiveBufferSize(4096);
            bulk.setTcpNoDelay(true);
            stalled.connect(r.address());
            int stalledPort = stalled.getLocalPort();
            await(() -> r.sessions().stream().anyMatch(ch -> port(ch) == stalledPort));
            Channel client = r.sessions().stream().filter(ch -> port(ch) == stalledPort).findFirst().orElseThrow();
            AtomicBoolean stop = new AtomicBoolean();
            CompletableFuture<Void> streaming = new CompletableFuture<>();
            new Thread(() -> {
                try {
                    echoUntil(bulk, stop);
                    streaming.complete(null);
                } catch (Throwable t) {
                    streaming.completeExceptionally(t);
                }
            }).start();
            byte[] chunk = new byte[1000];
            OutputStream out = stalled.getOutputStream();
            long[] worst = new long[3];
            // Until the relay stops reading for the stalled client: then nothing more moves.
            for (int i = 0; i < 3000 && !streaming.isDone() && onLoop(client, client::isWritable); i++) {
                out.write(chunk);
                out.flush();
                Thread.sleep(1);
                long[] seen = onLoop(client, () -> pinnedBy(client));
                if (seen[1] > worst[1]) {
                    worst = seen;
                }
            }
            stop.set(true);
            streaming.get(60, TimeUnit.SECONDS);
            long bound = ReceiveRing.PIN_FACTOR * worst[0] + 2L * ReceiveRing.STREAMS.bufferBytes;
            assertTrue(worst[1] <= bound, "waiting " + worst[0] + " bytes in " + worst[2] + " buffers pin " + worst[1]
                    + " > " + bound);
        }
    }

    /** {waiting bytes, bytes of the distinct buffers they keep alive, buffers}, towards {@code ch}; on its loop. */
    private static long[] pinnedBy(Channel ch) {
        ChannelOutboundBuffer ob = ch.unsafe().outboundBuffer();
        Set<ByteBuf> roots = Collections.newSetFromMap(new IdentityHashMap<>());
        long[] waiting = new long[1];
        if (ob != null) {
            try {
                ob.forEachFlushedMessage(m -> {
                    ByteBuf b = (ByteBuf) m;
                    waiting[0] += b.readableBytes();
                    ByteBuf root = b;
                    for (ByteBuf u = b.unwrap(); u != null; u = u.unwrap()) {
                        root = u;
                    }
                    roots.add(root);
                    return true;
                });
            } catch (Exception e) {
                throw new AssertionError(e);
            }
        }
        return new long[] {waiting[0], roots.stream().mapToLong(ByteBuf::capacity).sum(), roots.size()};
    }

    private static int port(Channel ch) {
        return ((InetSocketAddress) ch.remoteAddress()).getPort();
    }

    /**
     * Streams through an echoing relay session until {@code stop}, then half-closes, and checks
     * that every byte came back (on epoll this once lost megabytes: see core.proc.EpollLoops).
     */
    private static void echoUntil(Socket s, AtomicBoolean stop) {
        try {
            assertEquals("e", readLine(s.getInputStream()));
            long[] written = new long[1];
            Thread writer = new Thread(() -> {
                byte[] block = new byte[64 * 1024];
                try {
                    while (!stop.get()) {
                        s.getOutputStream().write(block);
                        written[0] += block.length;
                    }
                    s.shutdownOutput();
                } catch (IOException e) {
                    // the byte count below fails the test
                }
            });
            writer.start();
            long read = 0;
            byte[] buf = new byte[64 * 1024];
            for (int r; (r = s.getInputStream().read(buf)) >= 0; ) {
                read += r;
            }
            writer.join();
            assertEquals(written[0], read);
        } catch (IOException | InterruptedException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void roundRobinSpreadsSessionsEvenly() throws Exception {
        List<TestBackend> backends = List.of(TestBackend.identEcho("a"), TestBackend.identEcho("b"),
                TestBackend.identEcho("c"));
        List<TargetHost> hosts = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            hosts.add(RelayFixture.host(i + 1, backends.get(i).address(), 0));
        }
        try (RelayFixture r = RelayFixture.start(transport(), 1, RelayFixture.table(Mode.ROUNDROBIN),
                org.hoststated.core.config.ProtocolConfig.builtinDefault(1), RelayFixture.roundRobin(hosts))) {
            Map<String, Integer> seen = new HashMap<>();
            for (int i = 0; i < 6; i++) {
                seen.merge(identify(r), 1, Integer::sum);
            }
            assertEquals(Map.of("a", 2, "b", 2, "c", 2), seen);
        } finally {
            for (TestBackend b : backends) {
                b.close();
            }
        }
    }

    @Test
    void downHostGetsNoNewSessions() throws Exception {
        try (TestBackend a = TestBackend.identEcho("a"); TestBackend b = TestBackend.identEcho("b")) {
            List<TargetHost> hosts = List.of(RelayFixture.host(1, a.address(), 0), RelayFixture.host(2, b.address(), 0));
            HostSelector sel = new HostSelector(new RoundRobin(), false, RelayHosts.of(hosts, h -> h.id() == 2));
            try (RelayFixture r = start(RelayFixture.table(Mode.ROUNDROBIN), sel)) {
                for (int i = 0; i < 4; i++) {
                    assertEquals("b", identify(r));
                }
                assertEquals(0, a.connections());
                sel.update(sel.hosts().with(h -> h.id() == 1));
                for (int i = 0; i < 3; i++) {
                    assertEquals("a", identify(r));
                }
                assertEquals(4, b.connections());
            }
        }
    }

    @Test
    void noCheckIgnoresHostState() throws Exception {
        try (TestBackend a = TestBackend.identEcho("a")) {
            HostSelector sel = new HostSelector(new RoundRobin(), true,
                    RelayHosts.of(List.of(RelayFixture.host(1, a.address(), 0)), h -> false));
            try (RelayFixture r = start(RelayFixture.table(Mode.ROUNDROBIN), sel)) {
                assertEquals("a", identify(r));
            }
        }
    }

    /**
     * A refused connect goes to the next up host of the table, whether the hosts have a retry
     * or not (a host that stopped but is not yet seen down refuses).
     */
    @ParameterizedTest
    @ValueSource(ints = {0, 1})
    void refusedConnectIsRetriedOnTheNextHost(int retry) throws Exception {
        try (TestBackend a = TestBackend.identEcho("a")) {
            List<TargetHost> hosts = List.of(RelayFixture.host(1, refusingAddress(), retry),
                    RelayFixture.host(2, a.address(), retry));
            try (RelayFixture r = start(RelayFixture.table(Mode.ROUNDROBIN), RelayFixture.roundRobin(hosts))) {
                for (int i = 0; i < 4; i++) {
                    assertEquals("a", identify(r));
                }
                assertEquals(4, a.connections());
            }
        }
    }

    /**
     * Three hosts up, the second refusing (stopped, not yet seen down): its sessions go on to
     * the first and the third in turn, not all to the host after it, which then carried two
     * thirds of the traffic (probe D).
     */
    @Test
    void theSessionsOfARefusingHostSpreadOverTheOthers() throws Exception {
        try (TestBackend a = TestBackend.identEcho("a"); TestBackend c = TestBackend.identEcho("c")) {
            List<TargetHost> hosts = List.of(RelayFixture.host(1, a.address(), 0),
                    RelayFixture.host(2, refusingAddress(), 0), RelayFixture.host(3, c.address(), 0));
            try (RelayFixture r = start(RelayFixture.table(Mode.ROUNDROBIN), RelayFixture.roundRobin(hosts))) {
                for (int i = 0; i < 30; i++) {
                    identify(r);
                }
                assertEquals(15, a.connections(), "a: " + a.connections() + ", c: " + c.connections());
                assertEquals(15, c.connections());
            }
        }
    }

    /**
     * A host that drops packets: the session's connect waits (up to the 30 s connect
     * timeout). When the host is then seen down, the connect is abandoned and the session
     * goes to the other host at once.
     */
    @Test
    void aConnectToAHostThatGoesDownMovesToTheNextHostAtOnce() throws Exception {
        try (TestBackend a = TestBackend.identEcho("a"); SilentListener silent = SilentListener.open()) {
            List<TargetHost> hosts = List.of(RelayFixture.host(1, silent.address(), 0),
                    RelayFixture.host(2, a.address(), 0));
            HostSelector sel = RelayFixture.roundRobin(hosts);
            try (RelayFixture r = start(RelayFixture.table(Mode.ROUNDROBIN), sel); Socket c = r.connect()) {
                await(() -> sel.connectsInProgress() == 1);
                long t0 = System.nanoTime();
                sel.update(sel.hosts().with(h -> h.id() != 1));
                c.setSoTimeout(10_000);
                assertEquals("a", readLine(c.getInputStream()));
                long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
                assertTrue(ms < 5000, "took " + ms + " ms");
                assertEquals(0, sel.connectsInProgress());
            }
        }
    }

    /**
     * A session whose connect was refused and that went on to the next host names, in its
     * close line, the host it left and why: the line names only the host it ended on, and the
     * operator saw nothing of the failed host before.
     */
    @Test
    void aSessionThatFailedOverNamesTheHostItLeftInItsCloseLine(@org.junit.jupiter.api.io.TempDir java.nio.file.Path tmp)
            throws Exception {
        try (TestSyslog log = new TestSyslog(tmp, true)) {
            org.hoststated.core.posix.UnixDatagramSocket syslogd = log.socket;
            InetSocketAddress refusing = refusingAddress();
            try (TestBackend a = TestBackend.identEcho("a")) {
                List<TargetHost> hosts = List.of(RelayFixture.host(1, refusing, 0), RelayFixture.host(2, a.address(), 0));
                try (RelayFixture r = start(RelayFixture.table(Mode.ROUNDROBIN), RelayFixture.roundRobin(hosts));
                        Socket c = r.connect()) {
                    c.setSoTimeout(10_000);
                    assertEquals("a", readLine(c.getInputStream()));
                }
                String line = closeLine(syslogd);
                assertTrue(line.contains(" -> 127.0.0.1:" + a.port() + ", "), line);
                assertTrue(line.endsWith(" [moved off: h1:" + refusing.getPort() + ": Connection refused]"), line);
            }
        }
    }

    /**
     * A connect that {@code retry} tries again on the same host is named in the close line:
     * a session of three refused connects and one of a single one read alike (probe R).
     */
    @Test
    void aRetriedConnectIsNamedInTheCloseLine(@org.junit.jupiter.api.io.TempDir java.nio.file.Path tmp)
            throws Exception {
        try (TestSyslog log = new TestSyslog(tmp, true)) {
            org.hoststated.core.posix.UnixDatagramSocket syslogd = log.socket;
            InetSocketAddress refusing = refusingAddress();
            List<TargetHost> hosts = List.of(RelayFixture.host(1, refusing, 2));
            try (RelayFixture r = start(RelayFixture.table(Mode.ROUNDROBIN), RelayFixture.roundRobin(hosts));
                    Socket c = r.connect()) {
                c.setSoTimeout(10_000);
                assertThrows(java.net.SocketException.class, () -> c.getInputStream().read(), "a reset");
            }
            String line = closeLine(syslogd);
            assertTrue(line.endsWith("connect to h1:" + refusing.getPort() + ": Connection refused [retried: h1:"
                    + refusing.getPort() + ": Connection refused]"), line);
        }
    }

    /**
     * Sessions no server could take are warned of at the default level, at most once a minute
     * with the last one's reason, where their close lines need {@code log updates} (probe BA).
     */
    @Test
    void sessionsNoServerTookAreWarnedOfWithoutLogUpdates(@org.junit.jupiter.api.io.TempDir java.nio.file.Path tmp)
            throws Exception {
        try (TestSyslog log = new TestSyslog(tmp, false)) {
            InetSocketAddress refusing = refusingAddress();
            List<TargetHost> hosts = List.of(RelayFixture.host(1, refusing, 0));
            try (RelayFixture r = start(RelayFixture.table(Mode.ROUNDROBIN), RelayFixture.roundRobin(hosts))) {
                for (int i = 0; i < 2; i++) {
                    try (Socket c = r.connect()) {
                        c.setSoTimeout(10_000);
                        assertThrows(java.net.SocketException.class, () -> c.getInputStream().read(), "a reset");
                    }
                }
            }
            String line = new String(syslogdLine(log.socket), StandardCharsets.UTF_8).strip();
            assertTrue(line.endsWith(": 1 session could not reach a server since the last such line; the last: "
                    + "connect to h1:" + refusing.getPort() + ": Connection refused"), line);
            assertTrue(line.startsWith("<28>"), "a warning: " + line);
        }
    }

    /**
     * A session's close line gives the time it lasted and the bytes relayed each way: the
     * backend's greeting and echo to the client, the payload to the server; behind TLS the
     * plaintext, not the records. They come before the reason, at a fixed place of the line;
     * a TLS session's version and cipher suite come after it.
     */
    @ParameterizedTest
    @ValueSource(strings = {"tcp", "tls"})
    void theCloseLineGivesTheDurationAndTheBytesEachWay(String how, @org.junit.jupiter.api.io.TempDir java.nio.file.Path tmp)
            throws Exception {
        org.hoststated.core.msg.TlsKeyPair pair = TlsRelayTest.pair();
        int size = 300_000;
        String agreed = "";
        try (TestSyslog log = new TestSyslog(tmp, true);
                TestBackend b = TestBackend.identEcho("a");
                RelayFixture r = how.equals("tls")
                        ? RelayFixture.startTls(transport(), RelayFixture.forward(b),
                                RelayTls.serverContext(pair, org.hoststated.core.config.SslOptions.defaults()))
                        : start(RelayFixture.forward(b), null)) {
            try (Socket c = how.equals("tls") ? TlsRelayTest.connect(r, pair, "TLSv1.3") : r.connect()) {
                c.setSoTimeout(10_000);
                InputStream in = c.getInputStream();
                assertEquals("a", readLine(in));
                byte[] payload = Pattern.bytes(0, size);
                c.getOutputStream().write(payload);
                c.getOutputStream().flush();
                assertArrayEquals(payload, in.readNBytes(size));
                if (c instanceof javax.net.ssl.SSLSocket tls) {
                    agreed = " [tls: TLSv1.3 " + tls.getSession().getCipherSuite() + "]";
                }
                Thread.sleep(300);
            }
            String line = closeLine(log.socket);
            assertTrue(line.endsWith(agreed), line);
            assertEquals(how.equals("tls"), line.contains(" [tls: "), line);
            java.util.regex.Matcher m = java.util.regex.Pattern.compile(" relay fwd, session \\d+ \\(\\d+ active\\), \\S+ -> "
                    + "127\\.0\\.0\\.1:" + b.port() + ", (\\d+) ms, " + size + " bytes to server, " + (size + 2)
                    + " bytes to client, [^,]+$").matcher(line);
            assertTrue(m.find(), line);
            long ms = Long.parseLong(m.group(1));
            assertTrue(ms >= 300 && ms < 10_000, line);
        }
    }

    /** The next session close line the engine logs to {@code syslogd}, within 10 s. */
    private static String closeLine(org.hoststated.core.posix.UnixDatagramSocket syslogd) throws Exception {
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (System.nanoTime() < deadline) {
            String l = new String(syslogdLine(syslogd), StandardCharsets.UTF_8).strip();
            if (l.contains(" active), ")) {
                return l;
            }
        }
        throw new AssertionError("no close line within 10 s");
    }

    /**
     * A refused connect resets the client, also one that sent its stream and half-closed: a
     * FIN told it that a server took the stream, when none got a byte (probe T).
     */
    @Test
    void refusedConnectWithoutRetryResetsTheClient() throws Exception {
        List<TargetHost> hosts = List.of(RelayFixture.host(1, refusingAddress(), 0));
        try (RelayFixture r = start(RelayFixture.table(Mode.ROUNDROBIN), RelayFixture.roundRobin(hosts));
                Socket c = r.connect()) {
            // The reset may come before the upload is written: then the write is what fails.
            assertThrows(java.net.SocketException.class, () -> {
                c.getOutputStream().write("upload".getBytes(StandardCharsets.US_ASCII));
                c.shutdownOutput();
                c.getInputStream().read();
            });
        }
    }

    /**
     * A session no host can take is closed, with a FIN, also for a client that spoke first:
     * closed with its bytes unread, the kernel reset it (probe AU: 19 of 20 such clients).
     */
    @Test
    void noHostUpClosesTheSession() throws Exception {
        try (TestBackend a = TestBackend.identEcho("a")) {
            HostSelector sel = new HostSelector(new RoundRobin(), false,
                    RelayHosts.of(List.of(RelayFixture.host(1, a.address(), 0)), h -> false));
            try (RelayFixture r = start(RelayFixture.table(Mode.ROUNDROBIN), sel)) {
                try (Socket c = r.connect()) {
                    c.setSoTimeout(10_000);
                    assertEquals(-1, c.getInputStream().read());
                }
                for (int i = 0; i < 5; i++) {
                    try (Socket c = r.connect()) {
                        c.setSoTimeout(10_000);
                        c.getOutputStream().write("HELO client\r\n".getBytes(StandardCharsets.US_ASCII));
                        Thread.sleep(50); // the bytes are there when the relay closes
                        assertEquals(-1, c.getInputStream().read(), "a FIN, not a reset");
                        c.getOutputStream().write("QUIT\r\n".getBytes(StandardCharsets.US_ASCII));
                    }
                }
                assertEquals(0, a.connections());
            }
        }
    }

    @Test
    void disabledRelayAcceptsThenCloses() throws Exception {
        try (TestBackend a = TestBackend.identEcho("a")) {
            var relay = RelayFixture.relay("off", RelayFixture.forward(a).target(), 600, true);
            try (RelayFixture r = start(relay, null); Socket c = r.connect()) {
                assertEquals(-1, c.getInputStream().read());
                assertEquals(0, a.connections());
            }
        }
    }

    @Test
    void countersFollowSessions() throws Exception {
        try (TestBackend a = TestBackend.identEcho("a");
                RelayFixture r = start(RelayFixture.forward(a), null)) {
            assertEquals("a", identify(r));
            assertEquals("a", identify(r));
            assertEquals(2, r.counters.total());
            await(() -> r.counters.active() == 0);
        }
    }

    @Test
    void liveSessionsAreListedWithClientAndTarget() throws Exception {
        try (TestBackend a = TestBackend.identEcho("a");
                RelayFixture r = start(RelayFixture.forward(a), null);
                Socket c = r.connect()) {
            assertEquals("a", readLine(c.getInputStream()));
            var loops = SessionListing.number(r.workers);
            var rows = SessionListing.rows(List.of(r.server), Map.of(), loops, System.nanoTime());
            assertEquals(1, rows.size());
            var row = rows.get(0);
            assertEquals(c.getLocalPort(), row.clientPort());
            assertEquals(a.port(), row.targetPort());
            assertFalse(row.done());
            assertTrue(loops.containsValue(row.loop()));
            c.shutdownOutput();
            assertEquals(-1, c.getInputStream().read());
            await(() -> SessionListing.rows(List.of(r.server), Map.of(), loops, System.nanoTime()).isEmpty());
        }
    }

    @Test
    void sessionsOverTheEngineLimitAreClosedAtOnce() throws Exception {
        try (TestBackend a = TestBackend.identEcho("a");
                RelayFixture r = RelayFixture.start(transport(), 1, RelayFixture.forward(a),
                        org.hoststated.core.config.ProtocolConfig.builtinDefault(1), null, new SessionLimit(2))) {
            try (Socket one = r.connect(); Socket two = r.connect()) {
                assertEquals("a", readLine(one.getInputStream()));
                assertEquals("a", readLine(two.getInputStream()));
                try (Socket three = r.connect()) {
                    assertEquals(-1, three.getInputStream().read());
                }
            }
            // Closed sessions give their places back.
            await(() -> r.counters.active() == 0);
            assertEquals("a", identify(r));
            assertEquals(3, a.connections(), "the closed client never reached the backend");
        }
    }

    /**
     * A session whose client has gone while its server side still takes what was queued (a
     * server that reads nothing, up to the relay's timeout) keeps its place under the bound
     * until that side closes: it holds a descriptor, and the place went back at the client's
     * close, so clients that repeat this could run the engine out of descriptors (review CG).
     */
    @Test
    void aSessionWhoseServerSideLingersKeepsItsPlaceUnderTheBound() throws Exception {
        try (java.net.ServerSocket server = new java.net.ServerSocket()) {
            server.setReceiveBufferSize(16 * 1024);
            server.bind(new java.net.InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 4);
            java.util.concurrent.CompletableFuture<Socket> accepted = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
                try {
                    Socket s = server.accept();
                    s.shutdownOutput(); // ends its stream at once, and never reads
                    return s;
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
            RelayConfig cfg = RelayFixture.relay("fwd", new ForwardTarget(InetAddress.getLoopbackAddress(),
                    "127.0.0.1", server.getLocalPort(), 0), 5, false);
            try (RelayFixture r = RelayFixture.start(transport(), 1, cfg,
                    org.hoststated.core.config.ProtocolConfig.builtinDefault(1), null, new SessionLimit(1));
                    java.nio.channels.SocketChannel c = java.nio.channels.SocketChannel.open(r.address())) {
                Channel client = awaitSession(r);
                RelayFrontendHandler session = client.pipeline().get(RelayFrontendHandler.class);
                awaitOnLoop(client, () -> session.server() != null && session.server().isActive());
                Channel toServer = onLoop(client, session::server);
                c.write(java.nio.ByteBuffer.allocate(200_000));
                c.shutdownOutput();
                client.closeFuture().awaitUninterruptibly(20, TimeUnit.SECONDS);
                assertFalse(client.isOpen(), "the session did not end at both FINs");
                assertTrue(toServer.isOpen(), "closed with its upload unacknowledged");
                try (Socket second = r.connect()) {
                    second.setSoTimeout(2000);
                    assertEquals(-1, second.getInputStream().read(), "let in while the first held its server side");
                }
                toServer.close().awaitUninterruptibly();
                await(() -> r.counters.active() == 0);
                try (Socket third = r.connect()) {
                    third.setSoTimeout(2000);
                    assertThrows(java.net.SocketTimeoutException.class, () -> third.getInputStream().read(),
                            "its place is free again once that side closed");
                }
            } finally {
                accepted.thenAccept(s -> {
                    try {
                        s.close();
                    } catch (java.io.IOException e) {
                        // gone
                    }
                });
            }
        }
    }

    /**
     * Two relays under one bound of 8 sessions are kept 1 each: 7 idle clients of one leave
     * the other its session, and once the other stops accepting the first may take all 8.
     */
    @Test
    void aFloodOfOneRelayLeavesTheOtherItsShare() throws Exception {
        SessionLimit limit = new SessionLimit(8);
        List<Socket> flood = new ArrayList<>();
        try (TestBackend a = TestBackend.identEcho("a");
                RelayFixture flooded = RelayFixture.start(transport(), 1, RelayFixture.forward(a),
                        org.hoststated.core.config.ProtocolConfig.builtinDefault(1), null, limit);
                RelayFixture other = RelayFixture.start(transport(), 1, RelayFixture.forward(a),
                        org.hoststated.core.config.ProtocolConfig.builtinDefault(1), null, limit)) {
            for (int i = 0; i < 8; i++) {
                flood.add(flooded.connect());
            }
            for (Socket c : flood.subList(0, 7)) {
                assertEquals("a", readLine(c.getInputStream()));
            }
            assertEquals(-1, flood.get(7).getInputStream().read(), "the 8th took the other relay's share");
            assertEquals("a", identify(other));
            await(() -> other.counters.active() == 0);

            other.server.stop().syncUninterruptibly();
            flood.add(flooded.connect());
            assertEquals("a", readLine(flood.get(8).getInputStream()));
        } finally {
            for (Socket c : flood) {
                c.close();
            }
        }
    }

    /** Opens a session, reads the backend's name, ends the session cleanly. */
    static String identify(RelayFixture r) throws IOException {
        try (Socket c = r.connect()) {
            InputStream in = c.getInputStream();
            String name = readLine(in);
            c.shutdownOutput();
            assertEquals(-1, in.read());
            return name;
        }
    }

    /** A loopback address where nothing listens. */
    static InetSocketAddress refusingAddress() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return new InetSocketAddress(InetAddress.getLoopbackAddress(), s.getLocalPort());
        }
    }

    /** Writes to {@code c} until nothing more goes out for half a second: every buffer on the way is full. */
    private static void fillEveryBuffer(java.nio.channels.SocketChannel c) throws IOException, InterruptedException {
        c.configureBlocking(false);
        java.nio.ByteBuffer chunk = java.nio.ByteBuffer.allocate(64 * 1024);
        long idleSince = System.nanoTime();
        while (System.nanoTime() - idleSince < TimeUnit.MILLISECONDS.toNanos(500)) {
            chunk.clear();
            if (c.write(chunk) > 0) {
                idleSince = System.nanoTime();
            } else {
                Thread.sleep(20);
            }
        }
    }

    /** Closes the server side of a test's connection once (if) it was accepted. */
    private static void closeWhenAccepted(CompletableFuture<Socket> accepted) {
        accepted.thenAccept(s -> {
            try {
                s.close();
            } catch (IOException e) {
                // gone already
            }
        });
    }

    static Channel awaitSession(RelayFixture r) {
        await(() -> !r.sessions().isEmpty());
        return r.sessions().get(0);
    }

    static void awaitOnLoop(Channel ch, java.util.function.BooleanSupplier cond) {
        await(() -> onLoop(ch, cond::getAsBoolean));
    }

    static <T> T onLoop(Channel ch, java.util.concurrent.Callable<T> task) {
        try {
            return ch.eventLoop().submit(task).get(20, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    /** Waits for a condition; the deadline only stops a hung test, it measures nothing. */
    static void await(java.util.function.BooleanSupplier cond) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!cond.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                fail("condition not reached");
            }
            Thread.onSpinWait();
            try {
                Thread.sleep(1);
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
        }
    }

    /**
     * Backend connects that Netty fails at once because the channel cannot be made (the
     * engine is out of descriptors): the client is closed, and the relay logs nothing but the
     * session's close line, which names the error alone. The session closed the channel Netty
     * could not make, which has no loop: that threw in the client's close and logged a warning
     * of a "client side" fault plus Netty's own about an exception in exceptionCaught.
     */
    @Test
    void aBackendChannelThatCannotBeMadeClosesTheClientAndLogsOnlyTheCloseLine(
            @org.junit.jupiter.api.io.TempDir java.nio.file.Path tmp) throws Exception {
        try (TestSyslog log = new TestSyslog(tmp, true)) {
            org.hoststated.core.posix.UnixDatagramSocket syslogd = log.socket;
            try (TestBackend b = TestBackend.identEcho("a");
                    RelayFixture r = RelayFixture.start(new NoDescriptors(transport()), 1, RelayFixture.forward(b),
                            org.hoststated.core.config.ProtocolConfig.builtinDefault(1), null)) {
                for (int i = 0; i < 3; i++) {
                    try (Socket c = r.connect()) {
                        assertThrows(java.net.SocketException.class, () -> c.getInputStream().read(), "a reset");
                    }
                }
                // The close lines are debug lines; a warning of a session comes after its close line.
                List<String> lines = Collections.synchronizedList(new ArrayList<>());
                CompletableFuture<Void> read = CompletableFuture.runAsync(() -> {
                    byte[] buf = new byte[9000];
                    try {
                        while (lines.stream().filter(l -> l.contains("connect to ")).count() < 3) {
                            lines.add(new String(buf, 0, syslogd.receive(buf), StandardCharsets.UTF_8).strip());
                        }
                    } catch (IOException e) {
                        throw new RuntimeException(e);
                    }
                });
                read.get(10, TimeUnit.SECONDS);
                String all = String.join("\n", lines);
                assertEquals(3, lines.stream().filter(l -> l.endsWith("connect to 127.0.0.1:" + b.port()
                        + ": Too many open files")).count(), all);
                assertTrue(lines.stream().noneMatch(l -> l.contains(" side") || l.contains("exceptionCaught")), all);
            }
        }
    }

    /**
     * A relay whose process is out of descriptors: the accept fails ("Too many open files"),
     * the listener pauses a second between tries and logs one line; the client waits in the
     * queue and is served once descriptors are free. On io_uring a multishot accept ended by the
     * error was armed again at once, without end (millions of failures, a busy loop), each
     * logged by Netty as an exception that "reached at the tail of the pipeline". It fills the
     * process's descriptor table, so it runs in a JVM of its own (the "own-jvm" tag): a
     * descriptor closed meanwhile by another test's threads let the accept succeed (CI failures).
     */
    @Test
    @org.junit.jupiter.api.Tag("own-jvm")
    void aRelayOutOfDescriptorsPausesItsAcceptsLogsOneLineAndServesTheClientAfterwards(
            @org.junit.jupiter.api.io.TempDir java.nio.file.Path tmp) throws Exception {
        try (TestSyslog log = new TestSyslog(tmp, false)) {
            org.hoststated.core.posix.UnixDatagramSocket syslogd = log.socket;
            try (TestBackend b = TestBackend.identEcho("a");
                    RelayFixture r = RelayFixture.start(transport(), 1, RelayFixture.forward(b),
                            org.hoststated.core.config.ProtocolConfig.builtinDefault(1), null)) {
                long before = OutOfDescriptors.open();
                assertEquals("a", identify(r));
                // The sockets of that session close after it returns (the relay's two, the
                // backend's); one closed after the fill below would be a free descriptor for the
                // accept, which then succeeds (a CI failure).
                await(() -> OutOfDescriptors.open() <= before);
                Channel listener = r.server.listener();
                AcceptFailures failures = listener.pipeline().get(AcceptFailures.class);
                java.nio.channels.SocketChannel client = java.nio.channels.SocketChannel.open();
                // Classes the warning needs, loaded while a descriptor is free (the tests load
                // classes from directories, a file each).
                org.hoststated.core.posix.SystemError.text(new IOException("Too many open files"));
                org.slf4j.LoggerFactory.getLogger(TcpRelayTest.class).warn("start of the test");
                long failed;
                try (OutOfDescriptors out = new OutOfDescriptors()) {
                    // The accept armed now is bound by the lowered limit (io_uring reads it then).
                    r.server.acceptQueued();
                    onLoop(listener, () -> null);
                    out.fill();
                    client.connect(r.address());
                    // The first try and the retries after two pauses; a busy loop fails
                    // thousands of times meanwhile.
                    awaitOnLoop(listener, () -> failures.failures() >= 3);
                    Thread.sleep(AcceptFailures.PAUSE_MS / 10);
                    failed = onLoop(listener, failures::failures);
                    // The fill is given back right after a retry, not after a fixed sleep that
                    // may end late on a loaded machine: a retry while the descriptors free one
                    // by one accepts the client with too few left for its session (CI failures:
                    // the client closed, and once left unserved).
                }
                assertTrue(failed <= 4, failed + " failed accepts in two pauses");
                try (Socket c = client.socket()) {
                    c.setSoTimeout(20_000);
                    assertEquals("a", readLine(c.getInputStream()), "the waiting client is served afterwards");
                }
                org.slf4j.LoggerFactory.getLogger(TcpRelayTest.class).warn("end of the test");
                List<String> lines = new ArrayList<>();
                while (lines.isEmpty() || !lines.get(lines.size() - 1).endsWith("end of the test")) {
                    lines.add(new String(syslogdLine(syslogd), StandardCharsets.UTF_8).strip());
                }
                assertEquals(3, lines.size(), String.join("\n", lines));
                assertTrue(lines.get(1).endsWith("relay fwd: cannot accept a client: Too many open files (1 since the "
                        + "last warning); clients wait, accepting again every 1000 ms"), lines.get(1));
            }
        }
    }

    private static byte[] syslogdLine(org.hoststated.core.posix.UnixDatagramSocket syslogd) throws Exception {
        return CompletableFuture.supplyAsync(() -> {
            byte[] buf = new byte[9000];
            try {
                return java.util.Arrays.copyOf(buf, syslogd.receive(buf));
            } catch (IOException e) {
                throw new RuntimeException(e);
            }
        }).get(10, TimeUnit.SECONDS);
    }

    /**
     * This process without a free descriptor: its soft limit lowered to a little above what it
     * has open, then the rest taken by {@link #fill}; {@link #close} gives both back.
     */
    private static final class OutOfDescriptors implements AutoCloseable {
        private final long pid = ProcessHandle.current().pid();
        private final String soft;
        private final String hard;
        private final List<java.nio.channels.FileChannel> taken = new ArrayList<>();

        OutOfDescriptors() throws Exception {
            String limits = java.nio.file.Files.readAllLines(java.nio.file.Path.of("/proc/self/limits")).stream()
                    .filter(l -> l.startsWith("Max open files")).findFirst().orElseThrow();
            String[] f = limits.split("\\s+");
            soft = f[3];
            hard = f[4];
            prlimit((open() + 32) + ":" + hard);
        }

        /** How many descriptors this process has open. */
        static long open() {
            try (java.util.stream.Stream<java.nio.file.Path> fds = java.nio.file.Files.list(java.nio.file.Path.of("/proc/self/fd"))) {
                return fds.count();
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }

        void fill() {
            try {
                while (taken.size() < 10_000) {
                    taken.add(java.nio.channels.FileChannel.open(java.nio.file.Path.of("/dev/null")));
                }
            } catch (IOException e) {
                return; // none left
            }
            fail("the descriptor limit was not reached");
        }

        private void prlimit(String nofile) throws Exception {
            Process p = new ProcessBuilder("prlimit", "--pid", Long.toString(pid), "--nofile=" + nofile)
                    .inheritIO().start();
            assertEquals(0, p.waitFor(), "prlimit " + nofile);
        }

        @Override
        public void close() throws Exception {
            for (java.nio.channels.FileChannel c : taken) {
                c.close();
            }
            prlimit(soft + ":" + hard);
        }
    }

    /** {@code t}, except that no backend channel can be made, as when the descriptors run out. */
    private static final class NoDescriptors extends RelayTransport {
        private final RelayTransport t;

        NoDescriptors(RelayTransport t) {
            this.t = t;
        }

        @Override
        public String name() {
            return t.name();
        }

        @Override
        public io.netty.channel.IoHandlerFactory ioHandlerFactory(int loops) {
            return t.ioHandlerFactory(loops);
        }

        @Override
        public io.netty.channel.ServerChannel adopt(int fd) {
            return t.adopt(fd);
        }

        @Override
        public io.netty.channel.ChannelFactory<? extends Channel> socketChannels() {
            return () -> {
                throw new io.netty.channel.ChannelException(io.netty.channel.unix.Errors.newIOException("newSocketStream", -24));
            };
        }

        @Override
        public void readOptions(io.netty.bootstrap.AbstractBootstrap<?, ?> b, ReceiveRing ring) {
            t.readOptions(b, ring);
        }

        @Override
        public void childOptions(io.netty.bootstrap.ServerBootstrap b, ReceiveRing ring) {
            t.childOptions(b, ring);
        }
    }

    static void assertClosed(Socket c) throws IOException {
        assertFalse(c.isClosed());
        assertEquals(-1, c.getInputStream().read());
    }
}
