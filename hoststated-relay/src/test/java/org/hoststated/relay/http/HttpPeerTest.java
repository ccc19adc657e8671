package org.hoststated.relay.http;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.netty.channel.Channel;
import io.netty.channel.ChannelException;
import io.netty.channel.ChannelFactory;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.util.InsecureTrustManagerFactory;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Path;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import org.hoststated.core.config.Action;
import org.hoststated.core.config.Direction;
import org.hoststated.core.config.Mode;
import org.hoststated.core.config.NodeType;
import org.hoststated.core.config.SslOptions;
import org.hoststated.core.log.LogConfig;
import org.hoststated.core.msg.TlsKeyPair;
import org.hoststated.core.posix.UnixDatagramSocket;
import org.hoststated.relay.RelayTls;
import org.hoststated.relay.RelayTransport;
import org.hoststated.relay.TlsCloseNotifyClient;
import org.hoststated.relay.handler.RelaySession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Peers that stop half-way: a server that dies after an interim response, a client that resets
 * while a response is being written to it. The client gets what HTTP allows, and the session's
 * close line says what happened.
 */
class HttpPeerTest {
    /** Answers 100 Continue, then closes without a final response. */
    private static void continueThenClose(RawBackend b, InputStream in, OutputStream out)
            throws IOException {
        if (RawBackend.head(in) != null) {
            RawBackend.write(out, "HTTP/1.1 100 Continue\r\n\r\n");
            b.seen.add("continued");
        }
    }

    /**
     * Only an interim response went out: the final one can still be an error page, so the
     * client learns that its request failed instead of seeing its connection close. The page
     * (return error) says where the server stopped.
     */
    @Test
    void aServerThatClosesAfter100ContinueIsABadGateway() throws Exception {
        try (RawBackend b = new RawBackend(HttpRelayTest.BACKEND, HttpPeerTest::continueThenClose);
                HttpRelayFixture r = HttpRelayFixture.builder().backend(b.address()).returnError(null).start();
                RawClient c = r.client()) {
            c.send("POST / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\nhi");
            assertEquals(100, c.read().status());
            RawClient.Response last = c.read();
            assertEquals(502, last.status(), last.head());
            String page = new String(last.body(), StandardCharsets.UTF_8);
            assertTrue(page.contains("after an interim response"), page);
            assertTrue(c.closed());
        }
    }

    /**
     * A client that speaks HTTP/2 without asking first (curl --http2-prior-knowledge) is told
     * in HTTP/2 that HTTP/1.1 is required, a SETTINGS frame and a GOAWAY: the HTTP/1.1 505
     * page it could not read made curl say "Empty reply from server" (probe S).
     */
    @Test
    void anHttp2PriorKnowledgeClientIsToldHttp11IsRequired(@TempDir Path tmp) throws Exception {
        try (SessionLog log = new SessionLog(tmp);
                RawBackend b = new RawBackend(HttpRelayTest.BACKEND, new EchoScript());
                HttpRelayFixture r = HttpRelayFixture.builder().backend(b.address()).start();
                RawClient c = r.client()) {
            // The preface, then an empty SETTINGS frame, as a client sends them.
            c.send("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\0\0\0\4\0\0\0\0\0");
            byte[] got = c.in.readNBytes(26);
            assertArrayEquals(new byte[] {0, 0, 0, 4, 0, 0, 0, 0, 0, 0, 0, 8, 7, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xd}, got);
            assertTrue(c.closed());
            assertTrue(log.closeLine().endsWith("HTTP/2 connection preface (only HTTP/1 is relayed) "
                    + "(HTTP/2 GOAWAY HTTP_1_1_REQUIRED)"));
            assertEquals(0, b.connections.get());
        }
    }

    /**
     * A tunnel over TLS whose server sends 1 MiB and ends while the client, with a small
     * receive window, has read a little; the client then sends a frame and reads on. Closed
     * as soon as the last bytes were in the kernel, the client's frame made the kernel reset
     * the connection and drop what the client had not received (as probe T found of TCP
     * relays). It is closed once the client has taken everything.
     */
    @Test
    void aTlsTunnelClientThatSendsAfterItsServerEndedGetsTheWholeStream() throws Exception {
        int size = 1 << 20;
        RawBackend.Script upgradeThenSend = (be, in, out) -> {
            RawBackend.head(in);
            RawBackend.write(out, "HTTP/1.1 101 Switching Protocols\r\nConnection: upgrade\r\nUpgrade: websocket\r\n\r\n");
            out.write(new byte[size]);
            out.flush();
            be.sockets.get(be.sockets.size() - 1).shutdownOutput();
            in.transferTo(java.io.OutputStream.nullOutputStream());
        };
        try (RawBackend b = new RawBackend(HttpRelayTest.BACKEND, upgradeThenSend);
                HttpRelayFixture r = HttpRelayFixture.builder().tls(relayTls()).backend(b.address()).start();
                Socket tcp = new Socket()) {
            tcp.setReceiveBufferSize(16 * 1024);
            tcp.connect(r.address, 5000);
            SSLSocket c = tlsClient(tcp, r, true);
            c.setSoTimeout(20_000);
            c.getOutputStream().write("GET / HTTP/1.1\r\nHost: a\r\nConnection: upgrade\r\nUpgrade: websocket\r\n\r\n"
                    .getBytes(StandardCharsets.US_ASCII));
            c.getOutputStream().flush();
            assertTrue(RawBackend.head(c.getInputStream()).startsWith("HTTP/1.1 101 "));
            assertEquals(size, org.hoststated.relay.LateClientBytes.readAllSendingMidway(c, "ping"));
        }
    }

    /** Closes the first connection once a request arrived, unanswered; answers on the others. */
    private static void dropTheFirst(RawBackend b, InputStream in, OutputStream out) throws IOException {
        String head = RawBackend.head(in);
        if (head == null) {
            return;
        }
        b.seen.add(head.substring(0, head.indexOf('\r')));
        if (b.connections.get() > 1) {
            RawBackend.write(out, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
        }
    }

    /**
     * A server that goes away while it holds a request on a fresh connection: a GET is resent
     * once, to the next host of a table; with no other host it is a 502, not sent to the same
     * server again, which may have failed on that very request (probe AM: forward to ran a GET
     * twice; HAProxy answers 502 too). A POST with a body is a 502 (it may have been acted on).
     */
    @Test
    void aGetLostOnAFreshConnectionIsResentOnceAPostIsNot(@TempDir Path tmp) throws Exception {
        try (SessionLog log = new SessionLog(tmp);
                RawBackend b = new RawBackend(HttpRelayTest.BACKEND, HttpPeerTest::dropTheFirst);
                HttpRelayFixture r = HttpRelayFixture.builder().backend(b.address()).start()) {
            try (RawClient c = r.client()) {
                c.send("GET /once HTTP/1.1\r\nHost: a\r\n\r\n");
                assertEquals(502, c.read().status());
            }
            assertEquals(1, b.connections.get());
            assertEquals("GET /once HTTP/1.1", b.seen.take());
            String line = log.closeLine();
            assertFalse(line.contains("resent"), line);
        }
        // In a table, the resend goes to the next host: this server failed on a fresh connection.
        try (RawBackend failing = new RawBackend(HttpRelayTest.BACKEND, (b, in, out) -> RawBackend.head(in));
                RawBackend other = new RawBackend(HttpRelayTest.BACKEND, new EchoScript());
                HttpRelayFixture r = HttpRelayFixture.builder().table(Mode.ROUNDROBIN).backend(failing.address())
                        .backend(other.address()).start()) {
            for (int i = 0; i < 4; i++) {
                try (RawClient c = r.client()) {
                    c.send("GET /" + i + " HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");
                    assertEquals(200, c.read().status());
                }
            }
            assertEquals(2, failing.connections.get(), "every other session starts there");
        }
        try (RawBackend b = new RawBackend(HttpRelayTest.BACKEND, HttpPeerTest::dropTheFirst);
                HttpRelayFixture r = HttpRelayFixture.builder().backend(b.address()).start(); RawClient c = r.client()) {
            c.send("POST /once HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n\r\nhi");
            assertEquals(502, c.read().status());
            assertEquals(1, b.connections.get());
        }
    }

    /**
     * Backend channels as the transport makes them for the first {@code good} connects, then
     * connects Netty fails at once: {@code "no socket"} as when the descriptors run out (the
     * channel cannot be made; Netty reports it on its global executor's thread), or
     * {@code "registration refused"} (a channel of another transport, which Netty fails
     * within the connect call, on the session's loop).
     */
    private static ChannelFactory<Channel> failingAfter(int good, String how) {
        AtomicInteger made = new AtomicInteger();
        ChannelFactory<? extends Channel> real = RelayTransport.epoll().socketChannels();
        return () -> {
            if (made.getAndIncrement() < good) {
                return real.newChannel();
            } else if (how.equals("no socket")) {
                throw new ChannelException("Too many open files");
            }
            return new NioSocketChannel();
        };
    }

    /**
     * A backend connect that Netty fails at once, for a first request, on each host of a
     * table (the retry), and for a request resent after its server dropped it: the client
     * gets a 502 each time, and the session's only log line is its close line. The session
     * handled that outcome within the connect call, before it had set the connection up (a
     * NullPointerException, logged as a fault of the client side, or lost in the old
     * connection's pipeline), or on Netty's global executor thread.
     */
    @ParameterizedTest
    @ValueSource(strings = {"no socket", "registration refused"})
    void aConnectFailedAtOnceIsABadGateway(String how, @TempDir Path tmp) throws Exception {
        try (SessionLog log = new SessionLog(tmp);
                RawBackend b = new RawBackend(HttpRelayTest.BACKEND, HttpPeerTest::dropTheFirst);
                RawBackend other = new RawBackend(HttpRelayTest.BACKEND, HttpPeerTest::dropTheFirst);
                HttpRelayFixture one = HttpRelayFixture.builder().backendChannels(failingAfter(0, how))
                        .backend(b.address()).start();
                HttpRelayFixture table = HttpRelayFixture.builder().backendChannels(failingAfter(0, how))
                        .table(Mode.ROUNDROBIN).backend(b.address()).backend(other.address()).start();
                HttpRelayFixture resend = HttpRelayFixture.builder().backendChannels(failingAfter(1, how))
                        .table(Mode.ROUNDROBIN).backend(b.address()).backend(other.address()).start()) {
            for (HttpRelayFixture r : List.of(one, table, resend)) {
                try (RawClient c = r.client()) {
                    c.send(HttpRelayTest.GET);
                    assertEquals(502, c.read().status());
                }
                String line = log.closeLine();
                // In the table the session left the first host for the second, and says so.
                assertTrue(r == table ? line.contains(" (502 Bad Gateway) [moved off: h1:" + b.address().getPort() + ": ")
                        : r == resend ? line.contains(" (502 Bad Gateway) [moved off: h1:" + b.address().getPort()
                                + ": connection closed before the response]")
                        : line.endsWith(" (502 Bad Gateway)"), line);
            }
            assertEquals("GET / HTTP/1.1", b.seen.take());
            assertEquals(1, b.connections.get() + other.connections.get());
        }
    }

    /**
     * Review CI: a server that says {@code Connection: close} on an interim response closes
     * after the final one, which may not repeat it; the connection carried the next request,
     * which met the close.
     */
    @Test
    void anInterimResponsesCloseEndsTheServerConnection() throws Exception {
        RawBackend.Script script = (b, in, out) -> {
            for (String head; (head = RawBackend.head(in)) != null; ) {
                b.seen.add(head.substring(0, head.indexOf(' ', 4)));
                RawBackend.write(out, "HTTP/1.1 103 Early Hints\r\nConnection: close\r\nLink: </a.css>\r\n\r\n"
                        + "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
            }
        };
        try (RawBackend b = new RawBackend(HttpRelayTest.BACKEND, script);
                HttpRelayFixture r = HttpRelayFixture.builder().backend(b.address()).start();
                RawClient c = r.client()) {
            for (int i = 0; i < 2; i++) {
                c.send("GET /" + i + " HTTP/1.1\r\nHost: a\r\n\r\n");
                RawClient.Response got = c.read();
                while (got.status() < 200) {
                    got = c.read();
                }
                assertEquals(200, got.status());
                assertEquals("GET /" + i, b.seen.take());
            }
            assertEquals(2, b.connections.get());
        }
    }

    /**
     * A server that sends bytes after a complete response (a length that lies, a body to HEAD,
     * a 100 Continue after the final response): the relay drops them and retires the
     * connection, and the client sees a clean exchange; the close line says what the server
     * did. It said "done", so nothing told the operator that the server was broken.
     */
    @ParameterizedTest
    @CsvSource(delimiter = '|', value = { // ~ stands for CRLF
        "GET|HTTP/1.1 200 OK~Content-Length: 2~~hiXXXXXXXXXXXX|server sent 12 bytes after its response",
        "HEAD|HTTP/1.1 200 OK~Content-Length: 5~~hello|server sent 5 bytes after its response to HEAD",
        "GET|HTTP/1.1 200 OK~Content-Length: 2~~hiHTTP/1.1 100 Continue~~"
                + "|server sent 25 bytes after its response",
    })
    void bytesAfterACompleteResponseAreNamedInTheCloseLine(String method, String response, String said,
            @TempDir Path tmp) throws Exception {
        RawBackend.Script script = (b, in, out) -> {
            RawBackend.head(in);
            RawBackend.write(out, response.replace("~", "\r\n"));
            while (in.read() >= 0) {
                // Until the relay closes.
            }
        };
        try (SessionLog log = new SessionLog(tmp);
                RawBackend b = new RawBackend(HttpRelayTest.BACKEND, script);
                HttpRelayFixture r = HttpRelayFixture.builder().backend(b.address()).start()) {
            try (RawClient c = r.client()) {
                c.send(method + " / HTTP/1.1\r\nHost: a\r\n\r\n");
                assertEquals(200, c.read(method.equals("HEAD")).status());
            }
            String line = log.closeLine();
            assertTrue(line.endsWith(", done (" + said + "; its connection closed)"), line);
        }
    }

    /**
     * A server that does so after each response of a keep-alive session: the close line names
     * the first time and how many (it named the first alone, of twelve in a probe).
     */
    @Test
    void bytesAfterEachResponseAreCountedInTheCloseLine(@TempDir Path tmp) throws Exception {
        RawBackend.Script script = (b, in, out) -> {
            RawBackend.head(in);
            RawBackend.write(out, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhiXXX");
            while (in.read() >= 0) {
                // Until the relay closes.
            }
        };
        try (SessionLog log = new SessionLog(tmp);
                RawBackend b = new RawBackend(HttpRelayTest.BACKEND, script);
                HttpRelayFixture r = HttpRelayFixture.builder().backend(b.address()).start()) {
            try (RawClient c = r.client()) {
                for (int i = 0; i < 3; i++) {
                    c.send("GET /" + i + " HTTP/1.1\r\nHost: a\r\n\r\n");
                    assertEquals(200, c.read(false).status());
                }
            }
            String line = log.closeLine();
            assertTrue(line.endsWith(", done (server sent 3 bytes after its response; its connection closed; "
                    + "stray bytes after 3 responses in all)"), line);
        }
    }

    /**
     * A client that sent its request and reset while its connection waited in the listener (as
     * clients queue while the relay engine restarts). Its session ends as the reset it is. With
     * io_uring's multishot accepts, which give no peer address, Netty asked the kernel for it
     * when first wanted, too late: the session ended with a NullPointerException's text
     * ("Cannot invoke ... because this.remote is null") from the $REMOTE_ADDR of an
     * X-Forwarded-For rule, logged as a fault of the client side (soak run, after a relay engine
     * restart). The engine accepts one connection per submission now (EngineSpec, as the tests'
     * JVMs), which gives the address: the line names the client, and the request it sent before
     * its reset is relayed, as for a client that closes after sending (nginx and HAProxy too).
     */
    @Test
    void aClientThatResetWhileQueuedEndsAsAReset(@TempDir Path tmp) throws Exception {
        RelayTransport t = transport("io_uring");
        try (SessionLog log = new SessionLog(tmp);
                RawBackend b = new RawBackend(HttpRelayTest.BACKEND, new EchoScript());
                HttpRelayFixture r = HttpRelayFixture.builder().transport(t).backend(b.address())
                        .node(Direction.REQUEST, NodeType.HEADER, Action.APPEND, "X-Forwarded-For", "$REMOTE_ADDR")
                        .beforeServing(HttpPeerTest::requestAndReset).start()) {
            String line = log.closeLine();
            assertFalse(line.contains("Cannot invoke"), line);
            assertTrue(line.endsWith(", client: Connection reset by peer"), line);
            assertTrue(line.contains(" 127.0.0.1:"), line);
        }
    }

    /**
     * What a client's FIN between requests ends is named: a head begun and cut ("done" read as
     * a session served; HAProxy answers such a client 400), a connection that sent nothing (a
     * port probe), and a session that was served.
     */
    @Test
    void aFinBetweenRequestsIsNamedForWhatItCut(@TempDir Path tmp) throws Exception {
        try (SessionLog log = new SessionLog(tmp);
                RawBackend b = new RawBackend(HttpRelayTest.BACKEND, new EchoScript());
                HttpRelayFixture r = HttpRelayFixture.builder().backend(b.address()).start()) {
            for (String sent : new String[] {"GET /x HTTP/1.1\r\nHost:", "", HttpRelayTest.GET + "GET /y HT"}) {
                try (Socket s = new Socket()) {
                    s.connect(r.address, 5000);
                    s.setSoTimeout(5000);
                    s.getOutputStream().write(sent.getBytes(StandardCharsets.US_ASCII));
                    s.shutdownOutput();
                    s.getInputStream().readAllBytes();
                }
            }
            String cut = log.closeLine();
            assertTrue(cut.contains(" -> -, ") && cut.endsWith(", 0 bytes to server, 0 bytes to client,"
                    + " client closed within a request head (22 bytes of it)"), cut);
            String probe = log.closeLine();
            assertTrue(probe.endsWith(", closed by client before any request"), probe);
            String served = log.closeLine();
            assertTrue(served.endsWith(", client closed within a request head (9 bytes of it)"), served);
        }
    }

    /**
     * A client that leaves while the connect to its server is still under way: what it sent
     * never reached a server, and the close line says 0 bytes to it (it said what the client
     * had sent).
     */
    @Test
    void bytesThatNeverLeftForTheServerAreNotCountedAsRelayed(@TempDir Path tmp) throws Exception {
        try (SessionLog log = new SessionLog(tmp);
                org.hoststated.relay.SilentListener silent = org.hoststated.relay.SilentListener.open();
                HttpRelayFixture r = HttpRelayFixture.builder().backend(silent.address()).timeout(10).start();
                Socket s = new Socket()) {
            s.connect(r.address, 5000);
            s.setSoTimeout(5000);
            s.getOutputStream().write("POST /p HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\nabc"
                    .getBytes(StandardCharsets.US_ASCII));
            Thread.sleep(300);
            s.shutdownOutput();
            s.getInputStream().readAllBytes();
            String line = log.closeLine();
            assertTrue(line.contains(", 0 bytes to server, 0 bytes to client, client closed during the request"), line);
        }
    }

    /** Reads a request head, then nothing more. */
    private static void headThenReadNothing(RawBackend b, InputStream in, OutputStream out) throws IOException {
        if (RawBackend.head(in) != null) {
            b.seen.add("head");
            try {
                Thread.sleep(30_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /**
     * A server that answers an upload at once and closes without reading it (application
     * servers do so for a 413): its close with unread bytes resets the connection, and the
     * relay's pending write of the body fails before it has read the answer. The answer is read
     * all the same and reaches the client; it was a 502 ("server: Broken pipe").
     */
    @ParameterizedTest
    @ValueSource(strings = {"epoll", "io_uring"})
    void anEarlyAnswerFromAServerThatResetsTheUploadStillReachesTheClient(String how) throws Exception {
        try (RawBackend b = new RawBackend(HttpRelayTest.BACKEND, (be, in, out) -> {
            RawBackend.head(in);
            RawBackend.write(out, "HTTP/1.1 413 Payload Too Large\r\nContent-Length: 9\r\n\r\ntoo large");
            // and closes with the body arriving unread: a reset
        }); HttpRelayFixture r = HttpRelayFixture.builder().transport(transport(how)).backend(b.address()).start()) {
            // The relay's write that fails may come before or after its read of the answer:
            // a few rounds meet the first order (3 to 9 of 20 on epoll before the change).
            for (int round = 0; round < 20; round++) {
                try (RawClient c = r.client()) {
                    int size = 4 * 1024 * 1024;
                    c.send("PUT /up HTTP/1.1\r\nHost: a\r\nContent-Length: " + size + "\r\n\r\n");
                    java.util.concurrent.CompletableFuture<Void> upload = java.util.concurrent.CompletableFuture.runAsync(() -> {
                        try {
                            byte[] part = new byte[16 * 1024];
                            for (int sent = 0; sent < size; sent += part.length) {
                                c.send(part);
                            }
                        } catch (IOException e) {
                            // not expected: the relay drains what the client still sends
                            throw new java.io.UncheckedIOException(e);
                        }
                    });
                    RawClient.Response res = c.read();
                    assertEquals(413, res.status(), "round " + round);
                    assertEquals("too large", res.text());
                    upload.get(20, java.util.concurrent.TimeUnit.SECONDS);
                }
            }
        }
    }

    /**
     * A client uploads into a server that reads nothing until every buffer on the way is full,
     * then resets: the relay, which stopped reading it, ends the session at once (on io_uring
     * it stayed until twice the relay's timeout, holding the server connection).
     */
    @ParameterizedTest
    @ValueSource(strings = {"epoll", "io_uring"})
    void aClientResetDuringAStalledUploadEndsTheSession(String how) throws Exception {
        try (RawBackend b = new RawBackend(HttpRelayTest.BACKEND, HttpPeerTest::headThenReadNothing);
                HttpRelayFixture r = HttpRelayFixture.builder().transport(transport(how)).backend(b.address())
                        .start();
                java.nio.channels.SocketChannel c = java.nio.channels.SocketChannel.open(r.address)) {
            c.write(java.nio.ByteBuffer.wrap(("POST /up HTTP/1.1\r\nHost: h\r\nContent-Length: 1000000000\r\n\r\n")
                    .getBytes(StandardCharsets.ISO_8859_1)));
            assertEquals("head", b.seen.poll(10, java.util.concurrent.TimeUnit.SECONDS));
            c.configureBlocking(false);
            java.nio.ByteBuffer chunk = java.nio.ByteBuffer.allocate(64 * 1024);
            long idleSince = System.nanoTime();
            while (System.nanoTime() - idleSince < 500_000_000L) {
                chunk.clear();
                if (c.write(chunk) > 0) {
                    idleSince = System.nanoTime();
                } else {
                    Thread.sleep(20);
                }
            }
            assertEquals(1, r.active());
            c.setOption(java.net.StandardSocketOptions.SO_LINGER, 0);
            c.close();
            long end = System.nanoTime() + 5_000_000_000L;
            while (r.active() > 0 && System.nanoTime() < end) {
                Thread.sleep(20);
            }
            assertEquals(0, r.active(), "the session outlived its client's reset by 5 s");
        }
    }

    private static void requestAndReset(InetSocketAddress relay) {
        try (Socket c = new Socket()) {
            c.connect(relay);
            c.getOutputStream().write(HttpRelayTest.GET.getBytes(StandardCharsets.ISO_8859_1));
            c.setSoLinger(true, 0);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** Answers with a head and the start of its body in one write, then closes. */
    private static void cutShort(RawBackend b, InputStream in, OutputStream out) throws IOException {
        if (RawBackend.head(in) != null) {
            RawBackend.write(out, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly this");
        }
    }

    /**
     * A server that sends a head, part of the body and its FIN, all in one read: the client
     * gets every byte the server sent, then a reset (on io_uring the reset used to go out
     * before the write of those bytes, which the reset then discarded), and over TLS no
     * close_notify.
     */
    @ParameterizedTest
    @ValueSource(strings = {"epoll", "io_uring", "tls"})
    void aResponseCutShortReachesTheClientBeforeItsReset(String how) throws Exception {
        HttpRelayFixture.Builder relay = HttpRelayFixture.builder().transport(transport(how));
        if (how.equals("tls")) {
            relay.tls(relayTls());
        }
        try (RawBackend b = new RawBackend(HttpRelayTest.BACKEND, HttpPeerTest::cutShort);
                HttpRelayFixture r = relay.backend(b.address()).start()) {
            for (int i = 0; i < 20; i++) {
                try (RawClient c = how.equals("tls") ? HttpTransportsTest.tls(r, HttpTransportsTest.resource("relay.crt")) : r.client()) {
                    c.send(HttpRelayTest.GET);
                    RawClient.Response head = c.read(true);
                    assertEquals("100", head.header("Content-Length"), head.head());
                    assertEquals("only this", new String(c.in.readNBytes(9), StandardCharsets.US_ASCII));
                    assertTrue(c.reset(), "closed cleanly");
                }
            }
        }
    }

    /**
     * A client that resets during a long response (it closes with bytes unread, without
     * close_notify over TLS): its close line says so. Over TLS it said "done", as for a
     * complete exchange.
     */
    @ParameterizedTest
    @ValueSource(strings = {"epoll", "io_uring", "tls"})
    void aClientResetDuringTheResponseIsNotLoggedAsDone(String how, @TempDir Path tmp) throws Exception {
        HttpRelayFixture.Builder relay = HttpRelayFixture.builder().transport(transport(how));
        if (how.equals("tls")) {
            relay.tls(relayTls());
        }
        try (SessionLog log = new SessionLog(tmp);
                RawBackend b = new RawBackend(HttpRelayTest.BACKEND, HttpPeerTest::huge);
                HttpRelayFixture r = relay.backend(b.address()).start();
                Socket tcp = new Socket()) {
            tcp.connect(r.address, 5000);
            tcp.setSoTimeout(10_000);
            Socket c = how.equals("tls") ? tlsClient(tcp, r, false) : tcp;
            c.getOutputStream().write(HttpRelayTest.GET.getBytes(StandardCharsets.US_ASCII));
            c.getOutputStream().flush();
            assertEquals(200_000, c.getInputStream().readNBytes(200_000).length);
            tcp.setSoLinger(true, 0);
            tcp.close();
            String line = log.closeLine();
            assertFalse(line.endsWith(", done"), line);
            assertTrue(line.endsWith(", client: Connection reset by peer"), line);
        }
    }

    /**
     * A keep-alive session of two requests, one with a body: its close line gives the time it
     * lasted and the bytes relayed each way, the two requests and the two responses as they
     * went (behind TLS, the plaintext), at the same place whatever the reason after them.
     */
    @ParameterizedTest
    @ValueSource(strings = {"epoll", "io_uring", "tls"})
    void theCloseLineGivesTheDurationAndTheBytesOfAKeepAliveSession(String how, @TempDir Path tmp) throws Exception {
        HttpRelayFixture.Builder relay = HttpRelayFixture.builder().transport(transport(how));
        if (how.equals("tls")) {
            relay.tls(relayTls());
        }
        String[] requests = {"GET /a HTTP/1.1\r\nHost: a\r\n\r\n",
            "POST /b HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello"};
        try (SessionLog log = new SessionLog(tmp);
                RawBackend b = new RawBackend(HttpRelayTest.BACKEND, new EchoScript());
                HttpRelayFixture r = relay.backend(b.address()).start();
                Socket tcp = new Socket()) {
            tcp.connect(r.address, 5000);
            tcp.setSoTimeout(10_000);
            Socket c = how.equals("tls") ? tlsClient(tcp, r, true) : tcp;
            long toServer = 0;
            long toClient = 0;
            for (String request : requests) {
                // EchoScript's answer: its head, and the request as the body.
                String response = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nX-Backend: " + b.address().getPort()
                        + "\r\nContent-Length: " + request.length() + "\r\n\r\n" + request;
                c.getOutputStream().write(request.getBytes(StandardCharsets.US_ASCII));
                c.getOutputStream().flush();
                assertEquals(response, new String(c.getInputStream().readNBytes(response.length()),
                        StandardCharsets.US_ASCII));
                toServer += request.length();
                toClient += response.length();
                Thread.sleep(200);
            }
            c.close();
            String line = log.closeLine();
            java.util.regex.Matcher m = java.util.regex.Pattern.compile(
                    " relay \\S+, session \\d+ \\(\\d+ active\\), \\S+ -> " + HttpRelayTest.BACKEND + ":"
                    + b.address().getPort() + ", (\\d+) ms, " + toServer + " bytes to server, " + toClient
                    + " bytes to client, (closed by client|done)$").matcher(line);
            assertTrue(m.find(), line + " (expected " + toServer + " and " + toClient + " bytes)");
            long ms = Long.parseLong(m.group(1));
            assertTrue(ms >= 400 && ms < 10_000, line);
        }
    }

    /** Answers with a head and 60,000 bytes of a longer body, then closes. */
    private static void cutShortLarge(RawBackend b, InputStream in, OutputStream out) throws IOException {
        if (RawBackend.head(in) != null) {
            RawBackend.write(out, "HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n");
            out.write(new byte[60000]);
        }
    }

    /**
     * A client that reads nothing for a while when its response is cut short: it still gets
     * every byte the server sent, those the relay held and those its kernel had not sent yet
     * (a reset drops them), as long as it reads within the grace the relay gives it.
     */
    @ParameterizedTest
    @ValueSource(strings = {"epoll", "io_uring"})
    void aResponseCutShortWaitsForAClientThatPauses(String how) throws Exception {
        try (RawBackend b = new RawBackend(HttpRelayTest.BACKEND, HttpPeerTest::cutShortLarge);
                HttpRelayFixture r = HttpRelayFixture.builder().transport(transport(how)).socketBuffer(256 * 1024)
                        .backend(b.address()).start();
                Socket s = new Socket()) {
            s.setReceiveBufferSize(4096);
            s.connect(r.address, 5000);
            s.setSoTimeout(10_000);
            s.getOutputStream().write(HttpRelayTest.GET.getBytes(StandardCharsets.US_ASCII));
            Thread.sleep(1000); // the relay holds what the client's socket cannot
            RawClient c = new RawClient(s);
            assertEquals("100000", c.read(true).header("Content-Length"));
            assertEquals(60000, c.in.readNBytes(60000).length);
            assertTrue(c.reset(), "closed cleanly");
        }
    }

    /** Answers with a head and a broken chunk in one write. */
    private static void badChunk(RawBackend b, InputStream in, OutputStream out) throws IOException {
        if (RawBackend.head(in) != null) {
            RawBackend.write(out, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n");
        }
    }

    /**
     * The head and the fault of a response arrive together: nothing of it went to the client
     * yet, so the client gets a 502 instead of a connection closed without an answer. So too
     * when the relay rewrote the head (a response rule, or a {@code Connection: close} to tell
     * a client that asked to close): the rewritten head is held as the unchanged one is.
     */
    @ParameterizedTest
    @ValueSource(strings = {"as sent", "rewritten by a rule", "rewritten to say close"})
    void aResponseBrokenInItsFirstReadIsABadGateway(String how) throws Exception {
        HttpRelayFixture.Builder relay = HttpRelayFixture.builder();
        if (how.equals("rewritten by a rule")) {
            relay.node(Direction.RESPONSE, NodeType.HEADER, Action.CHANGE, "Server", "relay");
        }
        String connection = how.equals("rewritten to say close") ? "Connection: close\r\n" : "";
        try (RawBackend b = new RawBackend(HttpRelayTest.BACKEND, HttpPeerTest::badChunk);
                HttpRelayFixture r = relay.backend(b.address()).start(); RawClient c = r.client()) {
            c.send("GET / HTTP/1.1\r\nHost: a\r\n" + connection + "\r\n");
            RawClient.Response got = c.read();
            assertEquals(502, got.status(), got.head());
            assertTrue(c.closed());
        }
    }

    /** Writes a response far larger than socket buffers, until the relay goes away. */
    private static void endless(RawBackend b, InputStream in, OutputStream out) throws IOException {
        if (RawBackend.head(in) == null) {
            return;
        }
        RawBackend.write(out, "HTTP/1.1 200 OK\r\nContent-Length: 1000000000\r\n\r\n");
        byte[] block = new byte[65536];
        for (int i = 0; i < 1000000000 / block.length; i++) {
            out.write(block);
        }
    }

    /**
     * A client that stops reading a large response and then resets its connection: the write
     * the relay had pending fails first, and the close line (read here from a syslog socket)
     * must still name the reset instead of saying the session was done.
     */
    @ParameterizedTest
    @ValueSource(strings = {"epoll", "io_uring"})
    void aClientResetWhileItsResponseIsWrittenIsLoggedAsSuch(String how, @TempDir Path tmp) throws Exception {
        RelayTransport t = transport(how);
        try (SessionLog log = new SessionLog(tmp);
                RawBackend b = new RawBackend(HttpRelayTest.BACKEND, HttpPeerTest::endless);
                HttpRelayFixture r = HttpRelayFixture.builder().transport(t).backend(b.address()).start()) {
            Socket s = new Socket();
            s.setReceiveBufferSize(4096);
            s.connect(r.address, 5000);
            s.getOutputStream().write("GET /big HTTP/1.1\r\nHost: a\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            BackendReuseTest.await("the session", () -> r.context.sessions().size() == 1);
            Thread.sleep(300); // the response fills the client's buffers and the relay's write waits
            s.setSoLinger(true, 0);
            s.close();
            String line = log.closeLine();
            assertTrue(line.contains(", client: "), line);
        }
    }

    /**
     * A server that resets the connection of an upload it has read a little of, without an
     * answer: the relay's write fails first, and the close line named it a close (probe BA).
     */
    @ParameterizedTest
    @ValueSource(strings = {"epoll", "io_uring"})
    void aServerThatResetsAnUploadIsLoggedAsAReset(String how, @TempDir Path tmp) throws Exception {
        RelayTransport t = transport(how);
        try (SessionLog log = new SessionLog(tmp);
                RawBackend b = new RawBackend(HttpRelayTest.BACKEND, (be, in, out) -> {
                    RawBackend.head(in);
                    in.readNBytes(1000);
                    be.sockets.get(be.sockets.size() - 1).setSoLinger(true, 0);
                });
                HttpRelayFixture r = HttpRelayFixture.builder().transport(t).backend(b.address()).start();
                RawClient c = r.client()) {
            int size = 8 << 20;
            c.send("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: " + size + "\r\n\r\n");
            java.util.concurrent.CompletableFuture<Void> upload = java.util.concurrent.CompletableFuture.runAsync(() -> {
                try {
                    c.out.write(new byte[size]);
                } catch (IOException e) {
                    // the relay answered and closed
                }
            });
            assertEquals(502, c.read().status());
            upload.cancel(true);
            String line = log.closeLine();
            assertTrue(line.endsWith(", server: Connection reset by peer (502 Bad Gateway)")
                    || line.endsWith(", server: Broken pipe (502 Bad Gateway)"), line);
        }
    }

    /**
     * A server that resets its connection: the close line says what the client got, a 502
     * before the response began and a cut response after, as it does when the server closes;
     * in a tunnel, the reset alone, as in a TCP relay. It said "server: Connection reset by
     * peer" alone either way.
     */
    @ParameterizedTest
    @CsvSource({"epoll, before the head", "io_uring, before the head", "epoll, within the body",
            "io_uring, within the body", "epoll, in a tunnel", "io_uring, in a tunnel"})
    void aServerResetIsLoggedWithWhatTheClientGot(String how, String when, @TempDir Path tmp) throws Exception {
        RelayTransport t = transport(how);
        String answer = switch (when) {
            case "before the head" -> "HTTP/1.1 20";
            case "within the body" -> "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc";
            default -> "HTTP/1.1 101 Switching Protocols\r\nConnection: upgrade\r\nUpgrade: websocket\r\n\r\nabc";
        };
        try (SessionLog log = new SessionLog(tmp);
                RawBackend b = new RawBackend(HttpRelayTest.BACKEND, (be, in, out) -> {
                    RawBackend.head(in);
                    RawBackend.write(out, answer);
                    be.sockets.get(be.sockets.size() - 1).setSoLinger(true, 0);
                });
                HttpRelayFixture r = HttpRelayFixture.builder().transport(t).backend(b.address()).start();
                RawClient c = r.client()) {
            if (when.equals("in a tunnel")) {
                c.send("GET / HTTP/1.1\r\nHost: a\r\nConnection: upgrade\r\nUpgrade: websocket\r\n\r\n");
            } else {
                c.send(HttpRelayTest.GET);
            }
            String got = switch (when) {
                case "before the head" -> "(502 Bad Gateway)";
                case "within the body" -> "(response cut short)";
                default -> "";
            };
            if (got.startsWith("(502")) {
                assertEquals(502, c.read().status());
            } else {
                c.read(true);
                assertEquals("abc", new String(c.in.readNBytes(3), StandardCharsets.US_ASCII));
                assertTrue(c.reset(), "closed cleanly");
            }
            String line = log.closeLine();
            assertTrue(line.endsWith((", server: Connection reset by peer " + got).strip()), line);
        }
    }

    /**
     * A client that takes nothing of a 4 MB answer until the timeout is reset, and its close
     * line says the response was cut short, also when the relay had handed all of it to the
     * kernel (epoll, whose line read as a whole answer's: "4194372 bytes to client, session
     * timeout", probe AS).
     */
    @ParameterizedTest
    @ValueSource(strings = {"epoll", "io_uring"})
    void aClientThatTakesNothingUntilTheTimeoutIsLoggedAsCutShort(String how, @TempDir Path tmp) throws Exception {
        RelayTransport t = transport(how);
        int size = 4 << 20;
        try (SessionLog log = new SessionLog(tmp);
                RawBackend b = new RawBackend(HttpRelayTest.BACKEND, (be, in, out) -> {
                    RawBackend.head(in);
                    RawBackend.write(out, "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: " + size + "\r\n\r\n");
                    out.write(new byte[size]);
                    out.flush();
                });
                HttpRelayFixture r = HttpRelayFixture.builder().transport(t).backend(b.address()).timeout(1).start();
                Socket c = new Socket()) {
            c.connect(r.address, 5000);
            c.getOutputStream().write("GET / HTTP/1.1\r\nHost: a\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            String line = log.closeLine();
            assertTrue(line.endsWith("(response cut short)"), line);
        }
    }

    /**
     * A request body that breaks its framing after some of it went to the server: the close
     * of the backend connection fails what was still queued for it, which must not pass for
     * the server's fault in the log (the client gets the 400 either way).
     */
    @ParameterizedTest
    @ValueSource(strings = {"epoll", "io_uring"})
    void aBadRequestBodyIsLoggedAsSuch(String how, @TempDir Path tmp) throws Exception {
        RelayTransport t = transport(how);
        try (SessionLog log = new SessionLog(tmp);
                RawBackend b = new RawBackend(HttpRelayTest.BACKEND, new EchoScript());
                HttpRelayFixture r = HttpRelayFixture.builder().transport(t).backend(b.address()).start()) {
            try (RawClient c = r.client()) {
                // The first request leaves the session a connected backend connection, which the
                // second one's bytes are written to at once.
                c.send(HttpRelayTest.GET);
                assertEquals(200, c.read().status());
                c.send("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\nzz\r\n");
                assertEquals(400, c.read().status());
            }
            String line = log.closeLine();
            assertTrue(line.endsWith(", invalid chunk size (400 Bad Request)"), line);
        }
    }

    /**
     * A client that writes its whole upload before it reads (Python's requests) gets the
     * relay's refusal after it: the relay reads and drops the upload until the client is quiet.
     * A TLS client was closed once it had taken the answer, while it still uploaded: a reset
     * that destroyed the answer in its kernel (probe W: requests saw SSLEOFError, never the 400).
     */
    @ParameterizedTest
    @ValueSource(strings = {"plain", "tls"})
    void aClientThatUploadsEverythingBeforeReadingGetsTheRefusal(String how) throws Exception {
        try (RawBackend b = new RawBackend(HttpRelayTest.BACKEND, new EchoScript());
                HttpRelayFixture r = how.equals("tls")
                        ? HttpRelayFixture.builder().backend(b.address()).tls(relayTls()).start()
                        : HttpRelayFixture.builder().backend(b.address()).start();
                RawClient c = how.equals("tls") ? HttpTransportsTest.tls(r, HttpTransportsTest.resource("relay.crt"))
                        : r.client()) {
            c.send("POST / HTTP/1.1\r\nContent-Length: 1000000\r\n\r\n"); // no Host: 400
            byte[] piece = new byte[10_000];
            for (int i = 0; i < 100; i++) {
                c.send(piece);
                Thread.sleep(10);
            }
            assertEquals(400, c.read().status());
            assertTrue(c.closed());
        }
    }

    /**
     * A TLS client whose bad request comes with more bytes than the relay read before it
     * refused it (here a body after a head without Host): the page, then close_notify and the
     * close, at once. The session used to hold its close_notify until Netty's close timeout
     * (3 s) forced the close with a warning, on epoll.
     */
    @ParameterizedTest
    @ValueSource(strings = {"epoll", "io_uring"})
    void aTlsClientRefusedWithBytesUnreadIsClosedAtOnce(String how, @TempDir Path tmp) throws Exception {
        try (SessionLog log = new SessionLog(tmp);
                RawBackend b = new RawBackend(HttpRelayTest.BACKEND, new EchoScript());
                HttpRelayFixture r = HttpRelayFixture.builder().transport(transport(how)).backend(b.address())
                        .tls(relayTls()).start();
                RawClient c = HttpTransportsTest.tls(r, HttpTransportsTest.resource("relay.crt"))) {
            c.send("GET / HTTP/1.1\r\n\r\n" + "x".repeat(5000));
            assertEquals(400, c.read().status());
            assertTrue(c.closed());
            String line = log.closeLine();
            assertTrue(line.endsWith(", no Host (400 Bad Request)"), line);
        }
    }

    /**
     * A tunnel whose server has sent FIN: the client's last bytes and its FIN, coming in one
     * read, end the session. The FIN closes the backend connection before the end of the read,
     * which flushed the bytes written to it: a failure ("client side") instead of "done".
     */
    @ParameterizedTest
    @ValueSource(strings = {"epoll", "io_uring"})
    void aTunnelsLastBytesAndFinInOneReadEndItCleanly(String how, @TempDir Path tmp) throws Exception {
        RelayTransport t = transport(how);
        try (SessionLog log = new SessionLog(tmp);
                RawBackend b = new RawBackend(HttpRelayTest.BACKEND, (be, in, out) -> {
                    RawBackend.head(in);
                    RawBackend.write(out, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                            + "Connection: Upgrade\r\n\r\nbye");
                    be.sockets.get(be.sockets.size() - 1).shutdownOutput();
                    in.transferTo(OutputStream.nullOutputStream());
                });
                HttpRelayFixture r = HttpRelayFixture.builder().transport(t).backend(b.address()).start()) {
            for (int i = 0; i < 10; i++) {
                try (RawClient c = r.client()) {
                    HttpRelayTest.endTunnelAfterTheServer(c);
                    String line = log.closeLine();
                    assertTrue(line.endsWith(", done"), line);
                }
            }
        }
    }

    /**
     * A TLS listener: a client that speaks plain HTTP to it (an http:// URL with the port of an
     * https one) is answered 400 in clear, as nginx, Apache httpd and Go's server answer it, and
     * closed; one that sends other bytes that are not TLS, one that stops in the middle of its
     * handshake, and one that sends FIN there, are closed without an HTTP answer. Their close
     * lines say what happened in a few words.
     */
    @Test
    void clientsThatFailTlsAreClosedWithAShortReason(@TempDir Path tmp) throws Exception {
        try (SessionLog log = new SessionLog(tmp);
                RawBackend b = new RawBackend(HttpRelayTest.BACKEND, new EchoScript());
                HttpRelayFixture r = HttpRelayFixture.builder().backend(b.address())
                        .tls(relayTls())
                        .limits(new HttpLimits(16 * 1024, 100, 300)).start()) {
            try (RawClient c = r.client()) {
                c.send("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
                RawClient.Response res = c.read();
                assertEquals(400, res.status(), res.head());
                assertEquals("close", res.header("Connection"));
                assertTrue(c.closed());
            }
            String line = log.closeLine();
            assertTrue(line.endsWith(", plain HTTP request sent to a TLS port (400 Bad Request)"), line);
            try (RawClient c = r.client()) {
                // As every answer the relay makes, the answer to HEAD is the page's head alone.
                c.send("HEAD / HTTP/1.1\r\nHost: a\r\n\r\n");
                HttpSafetyTest.assertHeadAlone(c, 400, "400 Bad Request\n".length());
            }
            log.closeLine();
            try (RawClient c = r.client()) {
                c.send(new byte[] {0, 1, 2, 3, 4, 5, 6, 7, '\r', '\n', '\r', '\n'});
                assertTrue(c.closed());
            }
            line = log.closeLine();
            assertTrue(line.endsWith(", TLS handshake: the client did not begin TLS (plain text to a TLS port?)"), line);
            try (RawClient c = r.client()) {
                // An SSH client's banner: plain text, but no HTTP request (it read as one).
                c.send("SSH-2.0-OpenSSH_9.6 Debian-1\r\n");
                assertTrue(c.closed());
            }
            line = log.closeLine();
            assertTrue(line.endsWith(", TLS handshake: the client did not begin TLS (plain text to a TLS port?)"), line);
            assertEquals(0, b.connections.get());
            try (RawClient c = r.client()) {
                // The start of a ClientHello record whose rest never comes.
                c.send(new byte[] {0x16, 0x03, 0x01, 0x00, (byte) 0xc8, 0x01, 0x00, 0x00, (byte) 0xc4, 0x03, 0x03});
                assertTrue(c.closed());
            }
            line = log.closeLine();
            assertTrue(line.endsWith(", TLS handshake: timed out"), line);
            try (RawClient c = r.client()) {
                // The same start, then a FIN: the handshake can never finish (it read "done").
                c.send(new byte[] {0x16, 0x03, 0x01, 0x00, (byte) 0xc8, 0x01, 0x00, 0x00, (byte) 0xc4, 0x03, 0x03});
                c.socket.shutdownOutput();
                assertTrue(c.closed());
            }
            line = log.closeLine();
            assertTrue(line.endsWith(", TLS handshake: the client closed the connection"), line);
        }
    }

    /**
     * A plain listener: a TLS client (an https:// URL with the port of an http one) is answered
     * 400 in clear, as any bad request, and its close line says what it was (it said
     * "malformed request line"; nginx answers 400 too, and HAProxy 2.6 logs a bad request).
     */
    @Test
    void aTlsClientOnAPlainPortIsNamedSo(@TempDir Path tmp) throws Exception {
        try (SessionLog log = new SessionLog(tmp);
                RawBackend b = new RawBackend(HttpRelayTest.BACKEND, new EchoScript());
                HttpRelayFixture r = HttpRelayFixture.builder().backend(b.address()).start();
                RawClient c = r.client()) {
            // The start of a ClientHello record.
            c.send(new byte[] {0x16, 0x03, 0x01, 0x00, (byte) 0xc8, 0x01, 0x00, 0x00, (byte) 0xc4, 0x03, 0x03});
            RawClient.Response res = c.read();
            assertEquals(400, res.status(), res.head());
            assertTrue(c.closed());
            String line = log.closeLine();
            assertTrue(line.endsWith(", TLS handshake sent to a plain HTTP port (400 Bad Request)"), line);
            assertEquals(0, b.connections.get());
        }
    }

    /**
     * A client that stalls in its handshake, with the first head allowed longer than Netty's
     * handshake limit (10 s; the two are equal by default and race): Netty's close is named
     * as a handshake timeout, not as a finished session or a 408 that no client could read.
     */
    @Test
    void aStalledHandshakeIsNamedWhenNettysLimitEndsIt(@TempDir Path tmp) throws Exception {
        try (SessionLog log = new SessionLog(tmp);
                RawBackend b = new RawBackend(HttpRelayTest.BACKEND, new EchoScript());
                HttpRelayFixture r = HttpRelayFixture.builder().backend(b.address())
                        .tls(relayTls())
                        .limits(new HttpLimits(16 * 1024, 100, 30_000)).start()) {
            try (RawClient c = r.client()) {
                c.socket.setSoTimeout(20_000);
                c.send(new byte[] {0x16, 0x03, 0x01, 0x00, (byte) 0xc8, 0x01, 0x00, 0x00, (byte) 0xc4, 0x03, 0x03});
                assertTrue(c.closed());
            }
            String line = log.closeLine();
            assertTrue(line.endsWith(", TLS handshake: timed out"), line);
        }
    }

    /**
     * A relay {@code timeout} (1 s) shorter than the first head's and the handshake's limits:
     * a client that stalls in its handshake is ended by the session's timer, named as a
     * handshake timeout (it read "session timeout").
     */
    @Test
    void aStalledHandshakeEndedByTheSessionTimeoutIsNamedSo(@TempDir Path tmp) throws Exception {
        try (SessionLog log = new SessionLog(tmp);
                RawBackend b = new RawBackend(HttpRelayTest.BACKEND, new EchoScript());
                HttpRelayFixture r = HttpRelayFixture.builder().backend(b.address()).timeout(1)
                        .tls(relayTls()).start()) {
            try (RawClient c = r.client()) {
                c.send(new byte[] {0x16, 0x03, 0x01, 0x00, (byte) 0xc8, 0x01, 0x00, 0x00, (byte) 0xc4, 0x03, 0x03});
                assertTrue(c.closed());
            }
            String line = log.closeLine();
            assertTrue(line.endsWith(", TLS handshake: timed out"), line);
        }
    }

    /**
     * A server name longer than DNS allows (300 bytes): BoringSSL refuses it with an
     * unrecognized_name alert but puts no error on its queue, which Netty spells
     * "error:00000000:invalid library (0):OPENSSL_internal:invalid library (0)". The close line
     * says the handshake was refused instead. The JDK refuses it with illegal_parameter, and
     * says why.
     */
    @Test
    void aHandshakeRefusedWithoutAReasonSaysSo(@TempDir Path tmp) throws Exception {
        try (SessionLog log = new SessionLog(tmp);
                RawBackend b = new RawBackend(HttpRelayTest.BACKEND, new EchoScript());
                HttpRelayFixture r = HttpRelayFixture.builder().backend(b.address()).tls(relayTls()).start()) {
            try (RawClient c = r.client()) {
                c.send(clientHello("b".repeat(300)));
                byte[] alert = c.in.readNBytes(7);
                assertEquals(0x15, alert[0], java.util.Arrays.toString(alert));
                if (org.hoststated.relay.RelayTls.provider() == io.netty.handler.ssl.SslProvider.JDK) {
                    assertEquals(47, alert[6], "illegal_parameter");
                    assertTrue(c.closed());
                    String line = log.closeLine();
                    assertTrue(line.contains(", 0 bytes to client, TLS handshake: a server name (SNI) that is not a host name"
                            + " (Illegal server name"), line);
                    return;
                }
                assertEquals(112, alert[6], "unrecognized_name");
                assertTrue(c.closed());
            }
            String line = log.closeLine();
            assertTrue(line.endsWith(", TLS handshake: refused, BoringSSL gave no reason (the alert it sent the client tells)"),
                    line);
        }
    }

    /**
     * A client that refuses the relay's certificate, as curl does one it cannot verify: its fatal
     * unknown_ca alert, in clear after the server's first flight (OpenSSL 3 clients send it so
     * in TLS 1.3 too, before they switch to the handshake keys). BoringSSL named the TLS 1.3 one
     * BAD_PACKET_LENGTH; the close line names the alert, as it does in TLS 1.2.
     */
    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void aClientThatRefusesTheCertificateIsNamedByItsAlert(boolean tls13, @TempDir Path tmp) throws Exception {
        try (SessionLog log = new SessionLog(tmp);
                RawBackend b = new RawBackend(HttpRelayTest.BACKEND, new EchoScript());
                HttpRelayFixture r = HttpRelayFixture.builder().backend(b.address()).tls(relayTls()).start()) {
            try (RawClient c = r.client()) {
                c.send(clientHello("localhost", tls13));
                byte[] serverHello = c.in.readNBytes(5);
                assertEquals(0x16, serverHello[0], java.util.Arrays.toString(serverHello));
                c.send(new byte[] {0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 48});
                c.rest(); // the rest of the server's flight, then the close

            }
            String line = log.closeLine();
            assertTrue(line.endsWith(", TLS handshake: the client's alert unknown_ca (48): it refused the relay's "
                    + "certificate"), line);
        }
    }

    private static byte[] clientHello(String serverName) {
        return clientHello(serverName, false);
    }

    /**
     * A ClientHello record naming {@code serverName}: TLS 1.2 (ECDHE suites, P-256 and X25519),
     * or TLS 1.3 only (TLS_AES_128_GCM_SHA256, an X25519 key share).
     */
    private static byte[] clientHello(String serverName, boolean tls13) {
        java.io.ByteArrayOutputStream ext = new java.io.ByteArrayOutputStream();
        byte[] name = serverName.getBytes(StandardCharsets.US_ASCII);
        java.nio.ByteBuffer sni = java.nio.ByteBuffer.allocate(5 + name.length)
                .putShort((short) (3 + name.length)).put((byte) 0).putShort((short) name.length).put(name);
        extension(ext, 0, sni.array());
        extension(ext, 10, new byte[] {0, 4, 0, 0x1d, 0, 0x17});
        extension(ext, 11, new byte[] {1, 0});
        extension(ext, 13, new byte[] {0, 6, 4, 3, 8, 4, 4, 1});
        if (tls13) {
            extension(ext, 43, new byte[] {2, 3, 4});
            byte[] share = new byte[2 + 4 + 32];
            share[1] = 36;
            share[3] = 0x1d;
            share[5] = 32;
            share[6] = 9; // any 32 bytes are an X25519 public key
            extension(ext, 51, share);
        }
        byte[] exts = ext.toByteArray();
        byte[] suites = tls13 ? new byte[] {0x13, 0x01}
                : new byte[] {(byte) 0xc0, 0x2b, (byte) 0xc0, 0x2f, (byte) 0xc0, 0x2c, (byte) 0xc0, 0x30};
        java.nio.ByteBuffer body = java.nio.ByteBuffer.allocate(2 + 32 + 1 + 2 + suites.length + 2 + 2 + exts.length)
                .putShort((short) 0x0303).put(new byte[32]).put((byte) 0)
                .putShort((short) suites.length).put(suites).put((byte) 1).put((byte) 0)
                .putShort((short) exts.length).put(exts);
        int n = body.capacity();
        return java.nio.ByteBuffer.allocate(9 + n).put((byte) 0x16).putShort((short) 0x0301).putShort((short) (4 + n))
                .put((byte) 1).put((byte) (n >> 16)).putShort((short) n).put(body.array()).array();
    }

    private static void extension(java.io.ByteArrayOutputStream out, int type, byte[] data) {
        out.writeBytes(new byte[] {(byte) (type >> 8), (byte) type, (byte) (data.length >> 8), (byte) data.length});
        out.writeBytes(data);
    }

    /**
     * A keep-alive client that sends close_notify after its response and keeps the TCP
     * connection open, waiting for the relay's close: the session ends then, not at its idle
     * timeout.
     */
    @ParameterizedTest
    @ValueSource(strings = {"TLSv1.3", "TLSv1.2"})
    void closeNotifyBetweenRequestsEndsTheSession(String protocol) throws Exception {
        try (RawBackend b = new RawBackend(HttpRelayTest.BACKEND, new EchoScript());
                HttpRelayFixture r = HttpRelayFixture.builder().backend(b.address())
                        .tls(relayTls())
                        .start();
                TlsCloseNotifyClient c = new TlsCloseNotifyClient(r.address, protocol)) {
            c.send("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
            String res = c.awaitEndingWith("\r\n\r\n");
            assertTrue(res.startsWith("HTTP/1.1 200 "), res);
            c.closeNotify();
            assertTrue(c.closedWithin(5), "the relay kept the connection open after close_notify");
            long deadline = System.nanoTime() + 5_000_000_000L;
            while (r.active() > 0 && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            assertEquals(0, r.active());
        }
    }

    /**
     * A TLS client that sends close_notify in the middle of its request body cut its request,
     * as a plain client's FIN there does: its server is reset, and the close line says so (it
     * said "closed by client", probe O).
     */
    @ParameterizedTest
    @ValueSource(strings = {"TLSv1.3", "TLSv1.2"})
    void closeNotifyWithinARequestBodyResetsTheServer(String protocol) throws Exception {
        java.util.concurrent.CompletableFuture<String> ended = new java.util.concurrent.CompletableFuture<>();
        RawBackend.Script script = (b, in, out) -> {
            RawBackend.head(in);
            try {
                while (in.read() >= 0) {
                    // the body, as far as it comes
                }
                ended.complete("fin");
            } catch (IOException e) {
                ended.complete("reset");
            }
        };
        try (RawBackend b = new RawBackend(HttpRelayTest.BACKEND, script);
                HttpRelayFixture r = HttpRelayFixture.builder().backend(b.address()).tls(relayTls()).start();
                TlsCloseNotifyClient c = new TlsCloseNotifyClient(r.address, protocol)) {
            c.send("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1000\r\n\r\n" + "a".repeat(300));
            io.netty.channel.Channel session = awaitOnlySession(r);
            Thread.sleep(200); // the part of the body at the server
            c.closeNotify();
            assertEquals("reset", ended.get(10, java.util.concurrent.TimeUnit.SECONDS));
            assertTrue(session.closeFuture().awaitUninterruptibly(5, java.util.concurrent.TimeUnit.SECONDS));
            assertEquals("client closed during the request (close_notify)", RelaySession.reason(session));
        }
    }

    /**
     * A TLS client that sends close_notify after its whole request, keeping its connection open
     * to read (Go's CloseWrite, the JDK's shutdownOutput in TLS 1.3): it gets the whole
     * response, then the relay's close_notify and close, as from HAProxy and nginx. BoringSSL
     * answers a close_notify at once and sends nothing after it, so the relay holds the client's
     * records back while the response is due (CloseNotifyDefer): sent in the request's write
     * (in TLS 1.3 with the client's Finished too), after the response began (a body read until
     * the server's close, or re-chunked for a client that keeps its connection), or before any
     * of it.
     */
    @ParameterizedTest
    @CsvSource({"TLSv1.3,at-once", "TLSv1.2,at-once", "TLSv1.3,with-finished", "TLSv1.3,close", "TLSv1.2,close",
        "TLSv1.3,unanswered", "TLSv1.2,unanswered", "TLSv1.3,rechunked"})
    void closeNotifyAfterAWholeRequestStillGetsTheWholeResponse(String protocol, String what) throws Exception {
        // The request and close_notify in one write of the socket.
        boolean oneWrite = what.equals("at-once") || what.equals("with-finished");
        java.util.concurrent.CountDownLatch notified = new java.util.concurrent.CountDownLatch(1);
        RawBackend.Script script = (b, in, out) -> {
            RawBackend.head(in);
            try {
                if (oneWrite) {
                    RawBackend.write(out, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nwhole");
                    return;
                }
                if (!what.equals("unanswered")) {
                    RawBackend.write(out, "HTTP/1.0 200 OK\r\n\r\nfirst");
                }
                notified.await(5, java.util.concurrent.TimeUnit.SECONDS);
                Thread.sleep(50);
                RawBackend.write(out, what.equals("unanswered") ? "HTTP/1.0 200 OK\r\n\r\nlate" : "second");
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        };
        // A client that keeps its connection gets a body read until the close chunked.
        String close = what.equals("close") ? "Connection: close\r\n" : "";
        String end = switch (what) {
            case "at-once", "with-finished" -> "whole";
            case "close" -> "firstsecond";
            case "unanswered" -> "4\r\nlate\r\n0\r\n\r\n";
            default -> "6\r\nsecond\r\n0\r\n\r\n";
        };
        try (RawBackend b = new RawBackend(HttpRelayTest.BACKEND, script);
                HttpRelayFixture r = HttpRelayFixture.builder().backend(b.address())
                        .tls(relayTls())
                        .start();
                TlsCloseNotifyClient c = new TlsCloseNotifyClient(r.address, protocol, what.equals("with-finished"))) {
            String request = "GET / HTTP/1.1\r\nHost: a\r\n" + close + "\r\n";
            if (oneWrite) {
                c.sendWithCloseNotify(request);
            } else {
                c.send(request);
            }
            if (what.equals("unanswered")) {
                while (b.connections.get() == 0) {
                    Thread.sleep(5);
                }
            } else if (!oneWrite) {
                String first = what.equals("rechunked") ? "5\r\nfirst\r\n" : "first";
                assertTrue(c.awaitEndingWith(first).endsWith(first));
            }
            if (!oneWrite) {
                c.closeNotify();
            }
            notified.countDown();
            String res = c.awaitEndingWith(end);
            assertTrue(res.startsWith("HTTP/1.") && res.endsWith(end), res);
            assertTrue(c.closedWithin(5), "the relay kept the connection open after the response");
            assertTrue(c.closeNotifyReceived(), "no close_notify after a whole response");
            assertFalse(c.reset(), "a reset after a whole response");
        }
    }

    /**
     * A TLS client that sends its last data in a tunnel and close_notify behind it, in one
     * write: the server gets all of that data, then a FIN, as from a plain client's FIN. The
     * relay closed the server's connection at once, which dropped what was still queued for it
     * (a 20 kB message whole, the last 15-85 kB of 2 MB) behind a FIN that vouched for the cut
     * stream (probe C; HAProxy delivers it all).
     */
    @ParameterizedTest
    @CsvSource({"TLSv1.3,20000", "TLSv1.2,20000", "TLSv1.3,2000000"})
    void closeNotifyInATunnelComesAfterWhatTheClientSentBeforeIt(String protocol, int size) throws Exception {
        java.util.concurrent.CompletableFuture<Long> got = new java.util.concurrent.CompletableFuture<>();
        RawBackend.Script script = (b, in, out) -> {
            RawBackend.head(in);
            RawBackend.write(out, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n");
            got.complete(in.transferTo(java.io.OutputStream.nullOutputStream()));
        };
        try (RawBackend b = new RawBackend(HttpRelayTest.BACKEND, script);
                HttpRelayFixture r = HttpRelayFixture.builder().backend(b.address())
                        .tls(relayTls())
                        .start();
                TlsCloseNotifyClient c = new TlsCloseNotifyClient(r.address, protocol)) {
            c.send("GET / HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n");
            assertTrue(c.awaitEndingWith("\r\n\r\n").startsWith("HTTP/1.1 101 "));
            c.sendWithCloseNotify("y".repeat(size));
            assertEquals(size, got.get(10, java.util.concurrent.TimeUnit.SECONDS), "bytes before the server's EOF");
        }
    }

    /**
     * A TLS client that sends close_notify within the body that follows an early 2xx cut its
     * request: the server is reset, as after a plain client's FIN there. It got a FIN and took
     * the cut body for whole (probe Z: 1 of 3 MB, then EOF).
     */
    @Test
    void closeNotifyWithinTheBodyAfterAnEarlySuccessResetsTheServer() throws Exception {
        java.util.concurrent.CompletableFuture<String> got = new java.util.concurrent.CompletableFuture<>();
        RawBackend.Script script = (b, in, out) -> {
            RawBackend.head(in);
            RawBackend.write(out, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nearly");
            try {
                got.complete("body " + in.readNBytes(1 << 20).length);
            } catch (java.net.SocketException e) {
                got.complete("reset");
            }
        };
        try (RawBackend b = new RawBackend(HttpRelayTest.BACKEND, script);
                HttpRelayFixture r = HttpRelayFixture.builder().backend(b.address())
                        .tls(relayTls())
                        .start();
                TlsCloseNotifyClient c = new TlsCloseNotifyClient(r.address, "TLSv1.3")) {
            c.send("PUT /up HTTP/1.1\r\nHost: a\r\nContent-Length: " + (1 << 20) + "\r\n\r\n");
            assertTrue(c.awaitEndingWith("early").startsWith("HTTP/1.1 200 "));
            c.send("x".repeat(4096));
            c.closeNotify();
            assertEquals("reset", got.get(10, java.util.concurrent.TimeUnit.SECONDS));
        }
    }

    /**
     * Review CM: a TLS client that, its response due, sends its next bytes one per segment had
     * each read held as a buffer of its own (CloseNotifyDefer): 16,000 bytes were about 13,000
     * buffers, 2 MB of heap and read buffers. The hold is one buffer after the first read now.
     */
    @ParameterizedTest
    @ValueSource(strings = {"epoll", "io_uring"})
    void bytesTrickledWhileAResponseIsDueAreHeldInFewBuffers(String how) throws Exception {
        java.util.concurrent.CountDownLatch asked = new java.util.concurrent.CountDownLatch(1);
        try (RawBackend b = new RawBackend(HttpRelayTest.BACKEND, (be, in, out) -> {
                    if (RawBackend.head(in) != null) {
                        asked.countDown();
                        in.read(); // answers nothing: the response stays due
                    }
                });
                HttpRelayFixture r = HttpRelayFixture.builder().backend(b.address()).tls(relayTls()).transport(transport(how))
                        .start();
                Socket tcp = new Socket(r.address.getAddress(), r.address.getPort())) {
            tcp.setTcpNoDelay(true);
            SSLSocket tls = tlsClient(tcp, r, false);
            tls.startHandshake();
            tls.getOutputStream().write("GET /slow HTTP/1.1\r\nHost: a\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            tls.getOutputStream().flush();
            assertTrue(asked.await(5, java.util.concurrent.TimeUnit.SECONDS), "no request at the server");
            Thread.sleep(200);
            java.io.OutputStream raw = tcp.getOutputStream();
            for (int i = 0; i < 16_000; i++) {
                raw.write(i < 3 ? new byte[] {23, 3, 3}[i] : 0x41);
                long until = System.nanoTime() + 40_000;
                while (System.nanoTime() < until) {
                    Thread.onSpinWait();
                }
            }
            Thread.sleep(500);
            io.netty.channel.Channel session = r.context.sessions().iterator().next();
            long[] held = session.eventLoop().submit(() -> heldBy(session.pipeline().get(CloseNotifyDefer.class))).get();
            assertTrue(held[0] <= 64 && held[2] <= 4 * 64 * 1024, "16,000 bytes sent one per segment while a response"
                    + " is due: " + held[0] + " buffers held (" + held[1] + " bytes) pinning " + held[2] + " bytes of read buffers");
        }
    }

    /** Buffers {@code d} holds, their bytes, and the capacity of the distinct buffers under them. */
    private static long[] heldBy(CloseNotifyDefer d) throws Exception {
        java.lang.reflect.Field f = CloseNotifyDefer.class.getDeclaredField("held");
        f.setAccessible(true);
        long n = 0;
        long bytes = 0;
        long pinned = 0;
        java.util.Set<io.netty.buffer.ByteBuf> roots = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
        for (Object o : (java.util.ArrayDeque<?>) f.get(d)) {
            if (o instanceof io.netty.buffer.ByteBuf buf) {
                n++;
                bytes += buf.readableBytes();
                io.netty.buffer.ByteBuf root = buf;
                for (io.netty.buffer.ByteBuf u = buf.unwrap(); u != null; u = u.unwrap()) {
                    root = u;
                }
                if (roots.add(root)) {
                    pinned += root.capacity();
                }
            }
        }
        return new long[] {n, bytes, pinned};
    }

    /**
     * A TLS client that pipelines more than the relay holds back while a response is due
     * (CloseNotifyDefer.MAX_HELD, 16 KiB): the rest goes on to the frontend, and every request
     * is answered in order.
     */
    @Test
    void aTlsClientPipeliningWhileItWaitsIsAnsweredInOrder() throws Exception {
        int more = 700; // 27 bytes each: about 19 KiB behind the first request
        RawBackend.Script script = (b, in, out) -> {
            for (int i = 0; RawBackend.head(in) != null; i++) {
                if (i == 0) {
                    try {
                        Thread.sleep(300);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
                RawBackend.write(out, "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\n" + (i % 10));
            }
        };
        try (RawBackend b = new RawBackend(HttpRelayTest.BACKEND, script);
                HttpRelayFixture r = HttpRelayFixture.builder().backend(b.address())
                        .tls(relayTls())
                        .start();
                TlsCloseNotifyClient c = new TlsCloseNotifyClient(r.address, "TLSv1.3")) {
            String request = "GET /x HTTP/1.1\r\nHost: a\r\n\r\n";
            c.send(request);
            c.send(request.repeat(more));
            StringBuilder bodies = new StringBuilder();
            for (int i = 0; i <= more; i++) {
                bodies.append(i % 10);
            }
            String res = c.awaitCount("HTTP/1.1 200 OK\r\n", more + 1);
            String got = java.util.Arrays.stream(res.split("HTTP/1.1 200 OK\r\n")).skip(1)
                    .map(x -> x.substring(x.length() - 1)).collect(java.util.stream.Collectors.joining());
            assertEquals(bodies.toString(), got);
        }
    }

    /**
     * A client that resets while its whole request waits for the answer: the server is reset,
     * not sent a FIN, which it read as the client's half-close and did the work for a client
     * gone (probe O F4 of session 59: a client's reset right behind its request, on io_uring).
     */
    @Test
    void aClientThatResetsWhileItsRequestIsServedIsAResetForItsServer() throws Exception {
        java.util.concurrent.LinkedBlockingQueue<String> ends = new java.util.concurrent.LinkedBlockingQueue<>();
        java.util.concurrent.Semaphore requests = new java.util.concurrent.Semaphore(0);
        RawBackend.Script script = (b, in, out) -> {
            try {
                RawBackend.head(in);
                requests.release();
                ends.add(in.read() < 0 ? "FIN" : "more bytes");
            } catch (java.net.SocketException e) {
                ends.add("reset");
            }
        };
        try (RawBackend b = new RawBackend(HttpRelayTest.BACKEND, script);
                HttpRelayFixture r = HttpRelayFixture.builder().backend(b.address()).start()) {
            for (int round = 0; round < 3; round++) {
                try (java.net.Socket c = new java.net.Socket(r.address.getAddress(), r.address.getPort())) {
                    c.getOutputStream().write(
                            "GET /x HTTP/1.1\r\nHost: a\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
                    assertTrue(requests.tryAcquire(5, java.util.concurrent.TimeUnit.SECONDS),
                            "no request at the server");
                    c.setSoLinger(true, 0);
                }
                assertEquals("reset", ends.poll(5, java.util.concurrent.TimeUnit.SECONDS), "round " + round);
            }
        }
    }

    /**
     * A server that answers an upload early with a body read until the close, then resets: the
     * answer is cut (only a FIN would end it), so the client gets it and a reset. When the
     * upload's write took the reset's error, the read found only the end, and the client got
     * the cut answer as whole with a FIN (probe O of session 59: every time on epoll, two
     * times in three on io_uring).
     */
    @Test
    void aCloseDelimitedEarlyAnswerEndedByAResetIsCutForTheClient() throws Exception {
        RawBackend.Script script = (b, in, out) -> {
            RawBackend.head(in);
            RawBackend.write(out, "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n" + "a".repeat(1000));
            try {
                Thread.sleep(600); // the client fills the buffers on the way meanwhile, then waits
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            in.readNBytes(256 * 1024); // and the reset comes while the relay writes
            java.net.Socket s = b.sockets.get(b.sockets.size() - 1);
            s.setSoLinger(true, 0);
            s.close();
        };
        try (RawBackend b = new RawBackend(HttpRelayTest.BACKEND, script);
                HttpRelayFixture r = HttpRelayFixture.builder().backend(b.address()).start()) {
            for (int round = 0; round < 10; round++) {
                try (java.nio.channels.SocketChannel c = java.nio.channels.SocketChannel.open(r.address)) {
                    c.write(StandardCharsets.ISO_8859_1.encode(
                            "PUT /up HTTP/1.1\r\nHost: a\r\nContent-Length: 100000000\r\n\r\n"));
                    try {
                        org.hoststated.relay.FillWithoutBlocking.fill(c); // the upload
                    } catch (java.io.IOException e) {
                        fail("round " + round + ": the client's upload failed before the server's reset: " + e);
                    }
                    c.socket().setSoTimeout(10_000);
                    java.io.InputStream in = c.socket().getInputStream();
                    StringBuilder got = new StringBuilder();
                    try {
                        byte[] buf = new byte[65536];
                        for (int n; (n = in.read(buf)) > 0; ) {
                            got.append(new String(buf, 0, n, StandardCharsets.ISO_8859_1));
                        }
                        fail("round " + round + ": a FIN after " + got.length() + " bytes of a cut answer");
                    } catch (java.net.SocketException e) {
                        // the reset
                    }
                }
            }
        }
    }

    /**
     * A TLS client that pipelines a request whose body it never finishes behind one that waits
     * for its response, then sends close_notify: the close_notify, held while the first
     * response was due (CloseNotifyDefer), reaches the engine once the second request's body is
     * awaited, and the session ends, its server reset. It stayed held until the server closed,
     * with the cut request on an open connection (framefuzz tls-req of session 59: sessions of
     * 18-37 s).
     */
    @ParameterizedTest
    @ValueSource(strings = {"TLSv1.3", "TLSv1.2"})
    void closeNotifyBehindAPipelinedCutRequestEndsTheSession(String protocol) throws Exception {
        java.util.concurrent.CompletableFuture<String> got = new java.util.concurrent.CompletableFuture<>();
        RawBackend.Script script = (b, in, out) -> {
            try {
                for (String head; (head = RawBackend.head(in)) != null; ) {
                    if (head.startsWith("PUT")) {
                        got.complete("body " + in.readNBytes(100).length);
                        return;
                    }
                    Thread.sleep(300); // the close_notify arrives while this response is due
                    RawBackend.write(out, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
                }
                got.complete("end of connection between requests");
            } catch (java.net.SocketException e) {
                got.complete("reset");
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        };
        try (RawBackend b = new RawBackend(HttpRelayTest.BACKEND, script);
                HttpRelayFixture r = HttpRelayFixture.builder().backend(b.address())
                        .tls(relayTls())
                        .start();
                TlsCloseNotifyClient c = new TlsCloseNotifyClient(r.address, protocol)) {
            c.send("GET /a HTTP/1.1\r\nHost: a\r\n\r\nPUT /b HTTP/1.1\r\nHost: a\r\nContent-Length: 100\r\n\r\n"
                    + "0123456789");
            c.closeNotify();
            assertTrue(c.closedWithin(5), "the relay kept the connection open after close_notify");
            assertEquals("reset", got.get(5, java.util.concurrent.TimeUnit.SECONDS));
            assertTrue(c.awaitEndingWith("ok").startsWith("HTTP/1.1 200 "));
        }
    }

    /**
     * A TLS client that sends the tunnel's first bytes right behind its upgrade request, in
     * records of their own in the same write: the server gets them in order after the 101,
     * although the relay held the later records back while the response was due
     * (CloseNotifyDefer) and had read the first already.
     */
    @ParameterizedTest
    @ValueSource(strings = {"TLSv1.3", "TLSv1.2"})
    void aTunnelsFirstBytesSentBehindTheRequestComeInOrder(String protocol) throws Exception {
        java.util.concurrent.CompletableFuture<String> got = new java.util.concurrent.CompletableFuture<>();
        RawBackend.Script script = (b, in, out) -> {
            RawBackend.head(in);
            RawBackend.write(out, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n");
            got.complete(new String(in.readNBytes(13), StandardCharsets.ISO_8859_1));
        };
        try (RawBackend b = new RawBackend(HttpRelayTest.BACKEND, script);
                HttpRelayFixture r = HttpRelayFixture.builder().backend(b.address())
                        .tls(relayTls())
                        .start();
                TlsCloseNotifyClient c = new TlsCloseNotifyClient(r.address, protocol)) {
            c.sendInOneWrite("GET / HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\nfirst",
                    "second", "\r\n");
            assertEquals("firstsecond\r\n", got.get(10, java.util.concurrent.TimeUnit.SECONDS));
        }
    }

    /**
     * A TLS client that sends close_notify within a tunnel: BoringSSL answers it with the
     * relay's own at once and the rest of what the server sends cannot follow. A tunnel would be
     * taken for whole if close_notify ended it: the client is reset instead, after what it was
     * sent. Where the JDK serves TLS, the close_notify is a half-close (TLS 1.3): the server
     * gets a FIN, and the client the rest of the tunnel, then close_notify.
     */
    @Test
    void closeNotifyWithinATunnelIsAReset() throws Exception {
        java.util.concurrent.CountDownLatch notified = new java.util.concurrent.CountDownLatch(1);
        RawBackend.Script script = (b, in, out) -> {
            RawBackend.head(in);
            try {
                RawBackend.write(out, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                        + "Connection: Upgrade\r\n\r\nfirst");
                notified.await(5, java.util.concurrent.TimeUnit.SECONDS);
                Thread.sleep(50);
                RawBackend.write(out, "second");
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        };
        try (RawBackend b = new RawBackend(HttpRelayTest.BACKEND, script);
                HttpRelayFixture r = HttpRelayFixture.builder().backend(b.address())
                        .tls(relayTls())
                        .start();
                TlsCloseNotifyClient c = new TlsCloseNotifyClient(r.address, "TLSv1.3")) {
            c.send("GET / HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n");
            assertTrue(c.awaitEndingWith("first").endsWith("first"));
            c.closeNotify();
            if (org.hoststated.relay.RelayTls.provider() == io.netty.handler.ssl.SslProvider.JDK) { // TLS 1.3
                notified.countDown();
                assertTrue(c.awaitEndingWith("second").endsWith("firstsecond"));
                assertTrue(c.closedWithin(5), "the relay kept the connection open after the tunnel's end");
                assertTrue(c.closeNotifyReceived(), "no close_notify after the server's whole stream");
                assertFalse(c.reset(), "a reset after the server's whole stream");
                return;
            }
            assertTrue(c.closedWithin(5), "the relay kept the connection open after close_notify");
            notified.countDown();
            assertFalse(c.closeNotifyReceived(), "close_notify after a cut tunnel");
            assertTrue(c.reset(), "no reset after a cut tunnel");
            assertTrue(c.awaitEndingWith("first").endsWith("first"));
        }
    }

    /**
     * A TLS client that ends its side with a bare FIN right after an upgrade request still gets
     * the 101 and what the server sends through the tunnel, as a plain client does; the
     * framefuzz tls-upgrade cases that got nothing had sent close_notify, not a FIN.
     */
    @Test
    void aTlsClientsFinAfterAnUpgradeRequestStillGetsTheTunnel() throws Exception {
        RawBackend.Script script = (b, in, out) -> {
            RawBackend.head(in);
            RawBackend.write(out, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n");
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            RawBackend.write(out, "from the server");
            while (in.read() >= 0) {
                // until the client's FIN, passed on
            }
        };
        String got = askOverTlsThenFin(script,
                "GET / HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n");
        assertTrue(got.startsWith("HTTP/1.1 101 "), got);
        assertTrue(got.endsWith("\r\n\r\nfrom the server"), got);
    }

    /**
     * framefuzz tls-dechunk case 25, replayed with a bare FIN: a chunk whose data is
     * "0\r\n\r\n" reaches an HTTP/1.0 client over TLS whole, the response cut into small
     * segments. The empty answer the fuzzer saw was a client that had sent close_notify.
     */
    @Test
    void aChunkThatLooksLikeTheLastOneReachesATlsHttp10ClientWhole() throws Exception {
        String response = "HTTP/1.1 200 OK\r\nServer: ff\r\nTransfer-Encoding: chunked\r\n\r\n"
                + "1\r\nc\r\n3\r\n7pq\r\n1\r\ns\r\n5\r\n0\r\n\r\n\r\n0\r\n\r\n";
        RawBackend.Script script = (b, in, out) -> {
            RawBackend.head(in);
            for (int i = 0; i < response.length(); i += 7) {
                RawBackend.write(out, response.substring(i, Math.min(response.length(), i + 7)));
                try {
                    Thread.sleep(2);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        };
        String got = askOverTlsThenFin(script, "GET /c25/r0 HTTP/1.0\r\nHost: a\r\n\r\n");
        assertTrue(got.startsWith("HTTP/1.1 200 OK\r\n"), got);
        assertFalse(got.contains("Transfer-Encoding"), got);
        assertTrue(got.endsWith("\r\n\r\nc7pqs0\r\n\r\n"), got);
    }

    /** Answers every request with 32 MiB of zeros. */
    private static void huge(RawBackend b, InputStream in, OutputStream out) throws IOException {
        byte[] chunk = new byte[64 * 1024];
        while (RawBackend.head(in) != null) {
            RawBackend.write(out, "HTTP/1.1 200 OK\r\nContent-Length: " + 512 * chunk.length + "\r\n\r\n");
            for (int i = 0; i < 512; i++) {
                out.write(chunk);
            }
        }
    }

    /**
     * A client that stops reading a response (a download paused) is reset one session timeout
     * after it stopped taking bytes, as the manual says, and not 5 s later: it took nothing for
     * a whole timeout, and waiting for it to take what the relay held for it (as for a response
     * cut by its server) only held the session and the bytes longer. Measured with timeout 10:
     * the client's session ended 15.3-16.5 s after it stopped reading.
     */
    @ParameterizedTest
    @ValueSource(strings = {"epoll", "io_uring", "tls"})
    void aClientThatStopsReadingIsResetOneTimeoutAfter(String how) throws Exception {
        HttpRelayFixture.Builder relay = HttpRelayFixture.builder().transport(transport(how)).timeout(2);
        if (how.equals("tls")) {
            relay.tls(relayTls());
        }
        try (org.hoststated.relay.SlowPeer server = org.hoststated.relay.SlowPeer.endlessSource(
                        java.net.InetAddress.getByName(HttpRelayTest.BACKEND), "\r\n\r\n",
                        "HTTP/1.1 200 OK\r\nContent-Length: 1000000000\r\n\r\n");
                HttpRelayFixture r = relay.backend(server.address()).start();
                Socket tcp = new Socket()) {
            tcp.setReceiveBufferSize(org.hoststated.relay.SlowPeer.SMALL_RECEIVE_BUFFER);
            tcp.connect(r.address, 5000);
            Socket c = how.equals("tls") ? tlsClient(tcp, r, true) : tcp;
            c.getOutputStream().write("GET / HTTP/1.1\r\nHost: a\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            c.getOutputStream().flush();
            long stopped = System.nanoTime(); // it reads nothing from here on
            io.netty.channel.Channel session = awaitOnlySession(r);
            assertTrue(session.closeFuture().await(10_000), "the session outlived 10 s");
            long ms = (System.nanoTime() - stopped) / 1_000_000;
            assertTrue(ms >= 1500 && ms < 3500,
                    "the client was cut " + ms + " ms after it stopped reading (timeout 2 s)");
            org.hoststated.relay.SlowPeer.assertCutAfterOneTimeout(server.cutAt, stopped, 2, 0);
        }
    }

    /**
     * A client that pipelines requests and reads none of the answers is what its session waits
     * for once the relay stops reading the server for it: the timeout says so, where it said
     * "waiting for the server" (probe R).
     */
    @Test
    void aPipeliningClientThatTakesNothingIsNamedAtTheTimeout() throws Exception {
        byte[] body = new byte[100_000];
        RawBackend.Script answers = (b, in, out) -> {
            while (true) {
                RawBackend.head(in);
                RawBackend.write(out, "HTTP/1.1 200 OK\r\nContent-Length: " + body.length + "\r\n\r\n");
                out.write(body);
                out.flush();
            }
        };
        try (RawBackend b = new RawBackend(HttpRelayTest.BACKEND, answers);
                HttpRelayFixture r = HttpRelayFixture.builder().backend(b.address()).timeout(2).start();
                Socket c = new Socket()) {
            c.setReceiveBufferSize(4096);
            c.connect(r.address, 5000);
            c.getOutputStream().write("GET / HTTP/1.1\r\nHost: a\r\n\r\n".repeat(100)
                    .getBytes(StandardCharsets.US_ASCII));
            c.getOutputStream().flush();
            io.netty.channel.Channel session = awaitOnlySession(r);
            assertTrue(session.closeFuture().await(10_000), "the session outlived 10 s");
            assertEquals("session timeout: the client took nothing of what it was sent (client reset)",
                    RelaySession.reason(session));
        }
    }

    /**
     * A response that only the server's close ends, whole in the relay but not yet taken by a
     * client that stopped reading (its tail queued in the relay): when the session times out,
     * the client is reset. It was closed with a FIN after what its kernel held, the relay's
     * queue dropped, so it read a body cut short as a whole one (131,072 of 200,000 bytes,
     * then EOF, and the close line said "done").
     */
    @Test
    void aCloseDelimitedResponseLeftUntakenAtTheTimeoutEndsInAReset() throws Exception {
        int size = 200_000;
        RawBackend.Script bigThenClose = (b, in, out) -> {
            RawBackend.head(in);
            RawBackend.write(out, "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n");
            out.write(new byte[size]);
            out.flush();
        };
        try (RawBackend b = new RawBackend(HttpRelayTest.BACKEND, bigThenClose);
                HttpRelayFixture r = HttpRelayFixture.builder().backend(b.address()).socketBuffer(65536).timeout(2)
                        .start();
                Socket c = new Socket()) {
            c.setReceiveBufferSize(16 * 1024);
            c.connect(r.address, 5000);
            c.getOutputStream().write("GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n"
                    .getBytes(StandardCharsets.US_ASCII));
            io.netty.channel.Channel session = awaitOnlySession(r);
            assertTrue(session.closeFuture().await(10_000), "the session outlived 10 s");
            InputStream in = c.getInputStream();
            String head = RawBackend.head(in);
            assertTrue(head != null && head.startsWith("HTTP/1.1 200 "), head);
            long got = 0;
            try {
                byte[] buf = new byte[64 * 1024];
                for (int n; (n = in.read(buf)) > 0; ) {
                    got += n;
                }
            } catch (IOException reset) {
                return; // the client knows its response was cut
            }
            assertEquals(size, got, "a body cut short ended with a FIN");
        }
    }

    /**
     * A TLS 1.3 client whose socket keeps Nagle's algorithm on and sends its Finished in one
     * write (OpenSSL's s_client, Python, BoringSSL here): its request, a small write right after
     * that Finished, waits until the relay's kernel acknowledges the Finished. BoringSSL holds
     * its session tickets back until the relay's first write, so nothing carried that
     * acknowledgement, and the kernel delayed it: each such client's first request took 40-50
     * ms more (Python: 47.7 ms median through a relay, 0.9 ms through nginx, whose OpenSSL sends
     * tickets at once). The relay acknowledges when the handshake is done. The fastest of 8 is
     * taken: a delayed acknowledgement is never sent in under 40 ms (less the 5 ms the client
     * waits here). So does a resumed TLS 1.2 session, whose last message is the client's
     * Finished too (probe CE: 42 ms each); its first, full, handshake is not counted.
     */
    @ParameterizedTest
    @org.junit.jupiter.params.provider.CsvSource({"epoll, TLSv1.3", "io_uring, TLSv1.3", "epoll, TLSv1.2",
        "io_uring, TLSv1.2"})
    void aNagleClientsFirstRequestAfterAHandshakeIsNotDelayed(String how, String protocol) throws Exception {
        assumeTrue(RelayTls.provider() == io.netty.handler.ssl.SslProvider.OPENSSL, "BoringSSL is not loaded here");
        SslContext clientTls = io.netty.handler.ssl.SslContextBuilder.forClient()
                .sslProvider(io.netty.handler.ssl.SslProvider.OPENSSL).protocols(protocol)
                .trustManager(InsecureTrustManagerFactory.INSTANCE).build();
        boolean resumed = protocol.equals("TLSv1.2");
        io.netty.channel.EventLoopGroup group = new io.netty.channel.MultiThreadIoEventLoopGroup(1,
                io.netty.channel.nio.NioIoHandler.newFactory());
        try (RawBackend b = new RawBackend(HttpRelayTest.BACKEND, new EchoScript());
                HttpRelayFixture r = HttpRelayFixture.builder().transport(transport(how)).backend(b.address())
                        .tls(relayTls()).start()) {
            long fastest = Long.MAX_VALUE;
            List<Long> took = new java.util.ArrayList<>();
            List<io.netty.handler.ssl.SslHandler> reused = new java.util.ArrayList<>();
            for (int i = 0; i < 8; i++) {
                java.util.concurrent.CompletableFuture<Long> answered = new java.util.concurrent.CompletableFuture<>();
                Channel c = new io.netty.bootstrap.Bootstrap().group(group).channel(NioSocketChannel.class)
                        .option(io.netty.channel.ChannelOption.TCP_NODELAY, false)
                        .handler(new io.netty.channel.ChannelInitializer<Channel>() {
                            @Override
                            protected void initChannel(Channel ch) {
                                io.netty.handler.ssl.SslHandler tls = clientTls.newHandler(ch.alloc(), "127.0.0.1",
                                        r.address.getPort());
                                reused.add(tls);
                                long[] sent = new long[1];
                                StringBuilder got = new StringBuilder();
                                // A moment after the handshake, as a client that sends what
                                // the handshake left in one write and its request in the next.
                                tls.handshakeFuture().addListener(f -> ch.eventLoop().schedule(() -> {
                                    sent[0] = System.nanoTime();
                                    ch.writeAndFlush(io.netty.buffer.Unpooled.copiedBuffer(
                                            "GET / HTTP/1.1\r\nHost: a\r\n\r\n", StandardCharsets.US_ASCII));
                                }, 5, java.util.concurrent.TimeUnit.MILLISECONDS));
                                ch.pipeline().addLast(tls, new io.netty.channel.ChannelInboundHandlerAdapter() {
                                    @Override
                                    public void channelRead(io.netty.channel.ChannelHandlerContext x, Object m) {
                                        io.netty.buffer.ByteBuf buf = (io.netty.buffer.ByteBuf) m;
                                        got.append(buf.toString(StandardCharsets.ISO_8859_1));
                                        buf.release();
                                        if (got.toString().startsWith("HTTP/1.1 200 ") && got.indexOf("\r\n\r\n") > 0) {
                                            answered.complete((System.nanoTime() - sent[0]) / 1_000_000);
                                        }
                                    }
                                });
                            }
                        }).connect(r.address).sync().channel();
                try {
                    took.add(answered.get(5, java.util.concurrent.TimeUnit.SECONDS));
                    if (resumed && i > 0) {
                        assertTrue(io.netty.internal.tcnative.SSL.isSessionReused(
                                ((io.netty.handler.ssl.ReferenceCountedOpenSslEngine) reused.get(i).engine())
                                        .sslPointer()), "resumed");
                    }
                    if (!resumed || i > 0) {
                        fastest = Math.min(fastest, took.get(i));
                    }
                } finally {
                    c.close().sync();
                }
            }
            assertTrue(fastest < 25, "the first requests took " + took + " ms");
        } finally {
            group.shutdownGracefully(0, 1, java.util.concurrent.TimeUnit.SECONDS).syncUninterruptibly();
        }
    }

    /**
     * A TLS client that reads nothing of a large response: the relay stops reading the server
     * once about the water mark waits for the client, and the whole response arrives once the
     * client reads. Behind TLS the client's writability event comes late; reading on until it
     * came queued megabytes per such client.
     */
    @Test
    void aTlsClientThatReadsNothingKeepsTheRelaysBufferBounded() throws Exception {
        try (RawBackend b = new RawBackend(HttpRelayTest.BACKEND, HttpPeerTest::huge);
                HttpRelayFixture r = HttpRelayFixture.builder().backend(b.address())
                        .tls(relayTls())
                        .start();
                Socket tcp = new Socket()) {
            tcp.setReceiveBufferSize(16 * 1024);
            tcp.connect(r.address);
            SSLSocket c = tlsClient(tcp, r, true);
            c.setSoTimeout(20_000);
            c.getOutputStream().write("GET / HTTP/1.1\r\nHost: a\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            c.getOutputStream().flush();
            io.netty.channel.Channel client = awaitOnlySession(r);
            long bound = org.hoststated.relay.SocketOptions.WATER_MARK.high() + 256 * 1024;
            long deadline = System.nanoTime() + 2_000_000_000L;
            while (System.nanoTime() < deadline) {
                long pending = client.eventLoop().submit(() -> {
                    io.netty.channel.ChannelOutboundBuffer ob = client.unsafe().outboundBuffer();
                    return ob == null ? 0 : ob.totalPendingWriteBytes();
                }).get();
                assertTrue(pending <= bound, "pending " + pending + " > " + bound);
                Thread.sleep(25); // the server goes on sending meanwhile
            }
            InputStream in = c.getInputStream();
            String head = RawBackend.head(in);
            assertTrue(head != null && head.startsWith("HTTP/1.1 200 "), head);
            byte[] buf = new byte[64 * 1024];
            long got = 0;
            while (got < 512L * buf.length) {
                int n = in.read(buf, 0, (int) Math.min(buf.length, 512L * buf.length - got));
                assertTrue(n > 0, "response cut after " + got);
                got += n;
            }
        }
    }

    /**
     * Sends {@code request} over TLS to a TLS relay in front of {@code script}, then a bare FIN
     * under the TLS layer (no close_notify), and reads all the client gets.
     */
    private static String askOverTlsThenFin(RawBackend.Script script, String request) throws Exception {
        try (RawBackend b = new RawBackend(HttpRelayTest.BACKEND, script);
                HttpRelayFixture r = HttpRelayFixture.builder().backend(b.address()).tls(relayTls()).start();
                Socket tcp = new Socket()) {
            tcp.connect(r.address);
            SSLSocket c = tlsClient(tcp, r, false);
            c.setSoTimeout(5_000);
            c.getOutputStream().write(request.getBytes(StandardCharsets.US_ASCII));
            c.getOutputStream().flush();
            tcp.shutdownOutput();
            return new String(c.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
        }
    }

    /**
     * A tunnel's client that fails (a reset), or whose TLS connection ends in the middle of a
     * record, gets its server reset, as a TCP relay's server is: a tunnel has no framing of its
     * own, and the server got a FIN after what had arrived, which ended its stream as if it
     * were whole (measured with a websocket echo behind the relay: "FIN after 1000" for a
     * client reset, plain and TLS, and "FIN after 0" for a FIN in the middle of a record). A
     * TLS client's FIN between records still reaches the server as a FIN.
     */
    @ParameterizedTest
    @CsvSource({"plain, reset", "tls, reset", "tls, cut", "tls, whole"})
    void aTunnelsClientThatFailsResetsItsServer(String how, String end) throws Exception {
        java.util.concurrent.CompletableFuture<String> ended = new java.util.concurrent.CompletableFuture<>();
        java.util.concurrent.CountDownLatch got = new java.util.concurrent.CountDownLatch(5);
        RawBackend.Script script = (b, in, out) -> {
            RawBackend.head(in);
            RawBackend.write(out, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n");
            int n = 0;
            try {
                while (in.read() >= 0) {
                    n++;
                    got.countDown();
                }
                ended.complete("fin after " + n);
            } catch (java.io.IOException e) {
                ended.complete("reset after " + n);
            }
        };
        HttpRelayFixture.Builder builder = HttpRelayFixture.builder();
        if (how.equals("tls")) {
            builder.tls(relayTls());
        }
        try (RawBackend b = new RawBackend(HttpRelayTest.BACKEND, script);
                HttpRelayFixture r = builder.backend(b.address()).start();
                org.hoststated.relay.CuttingSocket tcp = new org.hoststated.relay.CuttingSocket()) {
            tcp.connect(r.address);
            Socket c = how.equals("tls") ? tlsClient(tcp, r, false) : tcp;
            c.setSoTimeout(5_000);
            c.getOutputStream().write("GET /ws HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n"
                    .getBytes(StandardCharsets.US_ASCII));
            c.getOutputStream().flush();
            assertTrue(RawBackend.head(c.getInputStream()).startsWith("HTTP/1.1 101 "));
            io.netty.channel.Channel session = awaitOnlySession(r);
            if (end.equals("cut")) {
                tcp.cutAfter(10);
            }
            c.getOutputStream().write("hello".getBytes(StandardCharsets.US_ASCII));
            c.getOutputStream().flush();
            if (end.equals("reset")) {
                assertTrue(got.await(5, java.util.concurrent.TimeUnit.SECONDS));
                tcp.setSoLinger(true, 0);
                tcp.close();
            } else {
                tcp.shutdownOutput();
            }
            String expected = switch (end) {
                case "reset" -> "reset after 5";
                case "cut" -> "reset after 0";
                default -> "fin after 5";
            };
            assertEquals(expected, ended.get(10, java.util.concurrent.TimeUnit.SECONDS));
            if (end.equals("cut")) {
                assertTrue(session.closeFuture().awaitUninterruptibly(10, java.util.concurrent.TimeUnit.SECONDS));
                String reason = RelaySession.reason(session);
                assertTrue(reason.startsWith("client: TLS: the connection ended in the middle of a record ("), reason);
            }
        }
    }

    /**
     * A client that resets, or sends FIN, in the middle of its request gets its server reset:
     * the server got a FIN after the part that had arrived (a POST of 1000 bytes cut at 300:
     * "fin after 300", both ways), which ends the stream as if the request were whole. A
     * client whose request was whole and that resets while it waits resets its server too (it
     * left it a FIN until session 59, read as a half-close: the server served a client gone,
     * probe O F4). One that goes quiet within its body until the
     * relay's timeout resets its server too, and is answered 408 (it had a FIN at the timeout).
     */
    @ParameterizedTest
    @CsvSource({"length, reset, reset", "length, fin, reset", "chunked, reset, reset", "chunked, fin, reset",
            "whole, reset, reset", "length, quiet, reset", "chunked, quiet, reset"})
    void aClientThatLeavesInTheMiddleOfItsRequestResetsItsServer(String body, String end, String server)
            throws Exception {
        java.util.concurrent.CompletableFuture<String> ended = new java.util.concurrent.CompletableFuture<>();
        java.util.concurrent.CountDownLatch arrived = new java.util.concurrent.CountDownLatch(1);
        RawBackend.Script script = (b, in, out) -> {
            RawBackend.head(in);
            arrived.countDown();
            try {
                while (in.read() >= 0) {
                    // the body, as far as it comes
                }
                ended.complete("fin");
            } catch (java.io.IOException e) {
                ended.complete("reset");
            }
        };
        try (RawBackend b = new RawBackend(HttpRelayTest.BACKEND, script);
                HttpRelayFixture r = HttpRelayFixture.builder().backend(b.address()).timeout(1).start();
                Socket c = new Socket()) {
            c.connect(r.address);
            c.setSoTimeout(10_000);
            String request = switch (body) {
                case "length" -> "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1000\r\n\r\n" + "a".repeat(300);
                case "chunked" -> "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n100\r\n" + "a".repeat(50);
                default -> "GET / HTTP/1.1\r\nHost: a\r\n\r\n";
            };
            c.getOutputStream().write(request.getBytes(StandardCharsets.US_ASCII));
            c.getOutputStream().flush();
            assertTrue(arrived.await(5, java.util.concurrent.TimeUnit.SECONDS));
            Thread.sleep(100); // the body's bytes at the server too
            if (end.equals("reset")) {
                c.setSoLinger(true, 0);
                c.close();
            } else if (end.equals("fin")) {
                c.shutdownOutput();
            }
            assertEquals(server, ended.get(10, java.util.concurrent.TimeUnit.SECONDS));
            if (end.equals("quiet")) {
                String answer = new String(c.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
                assertTrue(answer.startsWith("HTTP/1.1 408 "), answer);
            }
        }
    }

    /**
     * A client that waits, as RFC 9110 10.1.1 lets it, for the 100 Continue it asked for from a
     * server that never answers is answered 504 at the relay's timeout: it waits for the
     * server, and a 408 blamed it and invited it to try again (probe AS). One that began its
     * body and went quiet within it is still the 408 above, and so is an HTTP/1.0 client,
     * whose expectation is ignored (probe AV).
     */
    @ParameterizedTest
    @CsvSource({"1.1, 504", "1.0, 408"})
    void aClientWaitingForA100ThatNeverComesGetsAGatewayTimeout(String version, int status) throws Exception {
        RawBackend.Script silent = (b, in, out) -> {
            RawBackend.head(in);
            while (in.read() >= 0) {
                // nothing is answered
            }
        };
        try (RawBackend b = new RawBackend(HttpRelayTest.BACKEND, silent);
                HttpRelayFixture r = HttpRelayFixture.builder().backend(b.address()).timeout(1).start();
                Socket c = new Socket()) {
            c.connect(r.address);
            c.setSoTimeout(10_000);
            c.getOutputStream().write(("POST / HTTP/" + version + "\r\nHost: a\r\nContent-Length: 10\r\n"
                    + "Expect: 100-continue\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            String answer = new String(c.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
            // An HTTP/1.0 client's expectation counts for nothing (RFC 9110 10.1.1): it owes its body.
            assertTrue(answer.startsWith("HTTP/1.1 " + status + " "), answer);
        }
    }

    /** The relay's side of TLS in these tests: the test certificate, default options. */
    static SslContext relayTls() throws Exception {
        return RelayTls.serverContext(new TlsKeyPair(1, 1, HttpTransportsTest.resource("relay.crt"),
                HttpTransportsTest.resource("relay.key")), SslOptions.defaults());
    }

    /** A TLS client over {@code tcp}, connected to {@code r}, that trusts any certificate. */
    static SSLSocket tlsClient(Socket tcp, HttpRelayFixture r, boolean autoClose) throws Exception {
        SSLContext trustAll = SSLContext.getInstance("TLS");
        trustAll.init(null, InsecureTrustManagerFactory.INSTANCE.getTrustManagers(), null);
        return (SSLSocket) trustAll.getSocketFactory().createSocket(tcp, "localhost", r.address.getPort(), autoClose);
    }

    private static io.netty.channel.Channel awaitOnlySession(HttpRelayFixture r) throws InterruptedException {
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (r.context.sessions().isEmpty() && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        return r.context.sessions().iterator().next();
    }

    /** The transport a row names: io_uring, else epoll (for a row such as "tls" too). */
    static RelayTransport transport(String how) {
        RelayTransport t = how.equals("io_uring") ? RelayTransport.ioUring() : RelayTransport.epoll();
        assumeTrue(t != null, "io_uring is not available here");
        return t;
    }

    /** The relay's log sent to a syslog socket of the test's, where its close lines are read. */
    private static final class SessionLog implements AutoCloseable {
        private static final java.util.regex.Pattern TLS_PAIR =
                java.util.regex.Pattern.compile(" \\[tls: TLSv1\\.[23] [A-Z0-9_]+\\]");
        private final UnixDatagramSocket syslogd;

        SessionLog(Path tmp) throws IOException {
            Path devLog = tmp.resolve("log");
            syslogd = UnixDatagramSocket.bind(devLog);
            LogConfig.init("hoststated", "relay", false, false, devLog);
        }

        String closeLine() throws IOException {
            byte[] buf = new byte[9000];
            String line = new String(buf, 0, syslogd.receive(buf), StandardCharsets.UTF_8).strip();
            // The engine's provider line, first in a JVM without BoringSSL (jdk-tls), and the
            // warning of sessions no server took, which comes before such a session's line.
            while (line.contains("TLS by the JDK:") || line.contains(" could not reach a server since ")) {
                line = new String(buf, 0, syslogd.receive(buf), StandardCharsets.UTF_8).strip();
            }
            // A line, not a stack trace; one that names the hosts it left repeats their failures' text.
            assertTrue(line.length() < 600, line);
            // Without a TLS session's version and cipher (TcpRelayTest checks them), so that a
            // case reads the same line over TLS as over plain TCP.
            return TLS_PAIR.matcher(line).replaceFirst("");
        }

        @Override
        public void close() throws IOException {
            LogConfig.init("hoststated", "hoststated", true, false);
            syslogd.close();
        }
    }

    /** Answers every request with a body of 60,000 bytes: more than the sockets hold. */
    private static void large(RawBackend b, InputStream in, OutputStream out) throws IOException {
        while (RawBackend.head(in) != null) {
            RawBackend.write(out, "HTTP/1.1 200 OK\r\nContent-Length: 60000\r\n\r\n");
            out.write(new byte[60000]);
        }
    }

    /**
     * A client sends FIN after its request while the relay, which has the whole response from
     * the server, still holds its end queued (the client reads slowly): all of it goes out
     * before the close.
     */
    @ParameterizedTest
    @ValueSource(strings = {"keep-alive", "close"})
    void aFinWhileTheResponsesEndIsQueuedLosesNoneOfIt(String connection) throws Exception {
        try (RawBackend b = new RawBackend(HttpRelayTest.BACKEND, HttpPeerTest::large);
                HttpRelayFixture r = HttpRelayFixture.builder().socketBuffer(4096).backend(b.address()).start()) {
            Socket s = new Socket();
            s.setReceiveBufferSize(4096);
            s.connect(r.address, 5000);
            s.setSoTimeout(5000);
            s.getOutputStream().write(("GET / HTTP/1.1\r\nHost: a\r\nConnection: " + connection + "\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            Thread.sleep(300); // the relay has the response, the client's socket a part of it
            s.shutdownOutput();
            Thread.sleep(300);
            InputStream in = s.getInputStream();
            byte[] buf = new byte[4096];
            long total = 0;
            for (int n; (n = in.read(buf)) > 0; ) {
                total += n;
            }
            s.close();
            // The head is some 40 bytes: all of the body arrived when more than 60,000 did.
            assertTrue(total > 60000, "received " + total);
        }
    }
}
