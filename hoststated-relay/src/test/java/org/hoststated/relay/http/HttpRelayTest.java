package org.hoststated.relay.http;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.hoststated.core.config.Action;
import org.hoststated.core.config.Direction;
import org.hoststated.core.config.NodeType;
import org.junit.jupiter.api.Test;

/**
 * HTTP/1.0 and 1.1 through the relay against real backends: keep-alive, pipelining, bodies
 * both ways in both framings, 100-continue, upgrades, backend connection reuse.
 */
class HttpRelayTest {
    static final String BACKEND = "127.23.0.10";
    static final String GET = "GET / HTTP/1.1\r\nHost: a\r\n\r\n";

    static HttpRelayFixture forward(RawBackend b) throws IOException {
        return HttpRelayFixture.builder().backend(b.address()).start();
    }

    @Test
    void keepAliveRequestsShareOneBackendConnectionAndGetTheForwardedForAppended() throws Exception {
        try (RawBackend b = new RawBackend(BACKEND, new EchoScript());
                HttpRelayFixture r = HttpRelayFixture.builder().backend(b.address())
                        .node(Direction.REQUEST, NodeType.HEADER, Action.APPEND, "X-Forwarded-For", "$REMOTE_ADDR")
                        .start();
                RawClient c = r.client()) {
            for (int i = 0; i < 5; i++) {
                c.send("GET /n" + i + " HTTP/1.1\r\nHost: a\r\n\r\n");
                RawClient.Response res = c.read();
                assertEquals(200, res.status());
                assertEquals("GET /n" + i + " HTTP/1.1\r\nHost: a\r\nX-Forwarded-For: 127.0.0.1\r\n\r\n", res.text());
            }
            c.send("GET / HTTP/1.1\r\nHost: a\r\nX-Forwarded-For: 10.0.0.1\r\n\r\n");
            assertTrue(c.read().text().contains("X-Forwarded-For: 10.0.0.1, 127.0.0.1\r\n"));
            assertEquals(1, b.connections.get());
        }
    }

    @Test
    void pipelinedRequestsAreAnsweredInOrder() throws Exception {
        try (RawBackend b = new RawBackend(BACKEND, new EchoScript()); HttpRelayFixture r = forward(b);
                RawClient c = r.client()) {
            c.send("GET /1 HTTP/1.1\r\nHost: a\r\n\r\nPOST /2 HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabc"
                    + "GET /3 HTTP/1.1\r\nHost: a\r\n\r\n");
            assertTrue(c.read().text().startsWith("GET /1 "));
            assertTrue(c.read().text().endsWith("\r\n\r\nabc"));
            assertTrue(c.read().text().startsWith("GET /3 "));
        }
    }

    @Test
    void pipelinedRequestsFollowedByFinAreAllAnswered() throws Exception {
        try (RawBackend b = new RawBackend(BACKEND, new EchoScript()); HttpRelayFixture r = forward(b);
                RawClient c = r.client()) {
            c.send("GET /1 HTTP/1.1\r\nHost: a\r\n\r\nGET /2 HTTP/1.1\r\nHost: a\r\n\r\n");
            c.socket.shutdownOutput();
            assertTrue(c.read().text().startsWith("GET /1 "));
            assertTrue(c.read().text().startsWith("GET /2 "));
            assertTrue(c.closed());
        }
    }

    /**
     * A FIN behind a pipelined request whose body it cuts short ends the session once the
     * answer before it is out: the server's connection, holding part of a request, is closed,
     * not kept until the session idles out.
     */
    @Test
    void aFinCuttingAPipelinedBodyClosesBothConnections() throws Exception {
        try (RawBackend b = new RawBackend(BACKEND, new EchoScript()); HttpRelayFixture r = forward(b);
                RawClient c = r.client()) {
            c.send("GET /1 HTTP/1.1\r\nHost: a\r\n\r\nPOST /2 HTTP/1.1\r\nHost: a\r\nContent-Length: 100\r\n\r\nabc");
            c.socket.shutdownOutput();
            assertTrue(c.read().text().startsWith("GET /1 "));
            c.socket.setSoTimeout(3000);
            assertTrue(c.closed(), "the session still open");
            HttpSafetyTest.awaitNoSessions(r);
        }
    }

    /**
     * An empty line before a request is skipped (RFC 9112 2.2; clients send one after a POST
     * body) also when its CR and LF come in different reads.
     */
    @Test
    void anEmptyLineSplitBeforeARequestIsSkipped() throws Exception {
        try (RawBackend b = new RawBackend(BACKEND, new EchoScript()); HttpRelayFixture r = forward(b);
                RawClient c = r.client()) {
            c.send("\r");
            Thread.sleep(100);
            c.send("\nGET /1 HTTP/1.1\r\nHost: a\r\n\r\n");
            assertTrue(c.read().text().startsWith("GET /1 "));
            c.send("POST /2 HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n\r\nhi\r");
            assertTrue(c.read().text().startsWith("POST /2 "));
            c.send("\nGET /3 HTTP/1.1\r\nHost: a\r\n\r\n");
            assertTrue(c.read().text().startsWith("GET /3 "));
        }
    }

    @Test
    void http10WithoutKeepAliveIsClosedAfterTheResponseAndWithKeepAliveIsNot() throws Exception {
        try (RawBackend b = new RawBackend(BACKEND, new EchoScript()); HttpRelayFixture r = forward(b)) {
            try (RawClient c = r.client()) {
                c.send("GET / HTTP/1.0\r\n\r\n");
                assertEquals(200, c.read().status());
                assertTrue(c.closed());
            }
            try (RawClient c = r.client()) {
                c.send("GET /a HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
                RawClient.Response res = c.read();
                assertEquals(200, res.status());
                // The HTTP/1.1 backend does not say keep-alive; an HTTP/1.0 client must be told.
                assertEquals("keep-alive", res.header("Connection"), res.head());
                c.send("GET /b HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
                assertTrue(c.read().text().startsWith("GET /b HTTP/1.0"));
            }
        }
    }

    /**
     * A server that answers an HTTP/1.0 keep-alive request with a chunked body (which it must
     * not, RFC 9112 6.1): the client cannot read chunked, so it gets the chunks' data alone,
     * without Transfer-Encoding, is not told keep-alive, and finds the body's end at the close
     * (as from nginx). The server's connection is not to blame and serves the next request.
     */
    @Test
    void aChunkedAnswerToHttp10ReachesItsClientDechunked() throws Exception {
        String body = "5;x=y\r\nhello\r\n7\r\n, world\r\n0\r\nX-Trailer: t\r\n\r\n";
        try (RawBackend b = new RawBackend(BACKEND, RawBackend.answering(
                "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nX-A: b\r\n\r\n" + body));
                HttpRelayFixture r = forward(b)) {
            for (int i = 0; i < 2; i++) {
                try (RawClient c = r.client()) {
                    c.send("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
                    assertEquals("HTTP/1.1 200 OK\r\nX-A: b\r\nConnection: close\r\n\r\nhello, world", c.rest());
                }
            }
            assertEquals(1, b.connections.get());
        }
    }

    /**
     * A chunked answer to HTTP/1.0 that the server cuts short: the de-chunked body ends at the
     * close, so the client must get a reset, never a FIN that would end it as if whole.
     */
    @Test
    void aDechunkedAnswerCutShortResetsTheClient() throws Exception {
        try (RawBackend b = new RawBackend(BACKEND, (be, in, out) -> {
            RawBackend.head(in);
            RawBackend.write(out, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n9\r\nonly");
        }); HttpRelayFixture r = forward(b); RawClient c = r.client()) {
            c.send("GET / HTTP/1.0\r\n\r\n");
            RawClient.Response head = c.read(true);
            assertNull(head.header("Transfer-Encoding"), head.head());
            assertEquals("helloonly", new String(c.in.readNBytes(9), StandardCharsets.ISO_8859_1));
            assertTrue(c.reset(), "closed cleanly");
        }
    }

    /**
     * A body in a transfer coding other than chunked alone cannot reach an HTTP/1.0 client,
     * which reads none: a 502. A response without a body just loses the field.
     */
    @Test
    void anotherTransferCodingToHttp10IsABadGateway() throws Exception {
        try (RawBackend b = new RawBackend(BACKEND, (be, in, out) -> {
            String head = RawBackend.head(in);
            RawBackend.write(out, "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n"
                    + (head.startsWith("HEAD") ? "" : "3\r\nabc\r\n0\r\n\r\n"));
        }); HttpRelayFixture r = forward(b)) {
            try (RawClient c = r.client()) {
                c.send("GET / HTTP/1.0\r\n\r\n");
                assertEquals(502, c.read().status());
            }
            try (RawClient c = r.client()) {
                c.send("HEAD / HTTP/1.0\r\n\r\n");
                RawClient.Response res = c.read(true);
                assertEquals(200, res.status());
                assertNull(res.header("Transfer-Encoding"), res.head());
            }
        }
    }

    /**
     * A body in a coding before chunked goes to an HTTP/1.1 client as it came, and its
     * connection closes after it: a client that frames only a lone "chunked" reads until the
     * close, and one that kept the connection waited for the timeout (probe A).
     */
    @Test
    void aCodingBeforeChunkedEndsTheClientsConnectionAfterTheBody() throws Exception {
        String body = "3\r\nabc\r\n0\r\n\r\n";
        try (RawBackend b = new RawBackend(BACKEND, RawBackend.answering(
                "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n" + body));
                HttpRelayFixture r = forward(b); RawClient c = r.client()) {
            c.send(GET + GET);
            String got = c.rest();
            assertTrue(got.startsWith("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n"), got);
            assertTrue(got.contains("Connection: close\r\n"), got);
            assertTrue(got.endsWith("\r\n\r\n" + body), got);
        }
    }

    @Test
    void connectionCloseFromTheClientEndsTheSessionAfterTheResponse() throws Exception {
        try (RawBackend b = new RawBackend(BACKEND, new EchoScript()); HttpRelayFixture r = forward(b);
                RawClient c = r.client()) {
            c.send("GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");
            assertEquals(200, c.read().status());
            assertTrue(c.closed());
        }
    }

    @Test
    void contentLengthAndChunkedRequestBodiesPassByteExact() throws Exception {
        byte[] big = new byte[3 * 1024 * 1024 + 17];
        new Random(5).nextBytes(big);
        try (RawBackend b = new RawBackend(BACKEND, new EchoScript()); HttpRelayFixture r = forward(b);
                RawClient c = r.client()) {
            String head = "PUT /big HTTP/1.1\r\nHost: a\r\nContent-Length: " + big.length + "\r\n\r\n";
            c.send(head).send(big);
            RawClient.Response res = c.read();
            assertEquals(head.length() + big.length, res.body().length);
            byte[] got = java.util.Arrays.copyOfRange(res.body(), head.length(), res.body().length);
            assertArrayEquals(big, got);
            String chunks = "5;ext=1\r\nhello\r\n000000000000000001a\r\nabcdefghijklmnopqrstuvwxyz\r\n0\r\n"
                    + "X-Sum: 31\r\n\r\n";
            c.send("POST /c HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n" + chunks);
            assertTrue(c.read().text().endsWith("\r\n\r\n" + chunks));
            // The session goes on after a chunked body.
            c.send(GET);
            assertEquals(200, c.read().status());
        }
    }

    /**
     * (Its trailer was {@code Expires}, response control data that does not belong in
     * trailers and that the relay now removes, {@link HttpTrailerTest}.)
     */
    @Test
    void chunkedResponseWithTrailersAndBodyUntilClosePassThrough() throws Exception {
        String chunked = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                + "4\r\nwiki\r\n5\r\npedia\r\n0\r\nServer-Timing: app;dur=12\r\n\r\n";
        try (RawBackend b = new RawBackend(BACKEND, (be, in, out) -> {
            RawBackend.head(in);
            RawBackend.write(out, chunked);
            RawBackend.head(in);
            RawBackend.write(out, "HTTP/1.1 200 OK\r\n\r\nuntil the end");
        }); HttpRelayFixture r = forward(b); RawClient c = r.client()) {
            c.send(GET);
            assertEquals("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nwiki\r\n5\r\npedia\r\n0\r\n"
                    + "Server-Timing: app;dur=12\r\n\r\n", new String(c.in.readNBytes(chunked.length()), StandardCharsets.ISO_8859_1));
            // A client that keeps its connection would get the body chunked (ServerCloseTest).
            c.send("GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");
            RawClient.Response res = c.read();
            assertEquals("until the end", res.text());
            assertTrue(c.closed());
        }
    }

    @Test
    void headResponsesHaveNoBodyAndInterimResponsesAreForwarded() throws Exception {
        try (RawBackend b = new RawBackend(BACKEND, (be, in, out) -> {
            RawBackend.head(in);
            RawBackend.write(out, "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n");
            RawBackend.head(in);
            RawBackend.write(out, "HTTP/1.1 103 Early Hints\r\nLink: </a.css>\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n");
            RawBackend.head(in);
            RawBackend.write(out, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
        }); HttpRelayFixture r = forward(b); RawClient c = r.client()) {
            c.send("HEAD / HTTP/1.1\r\nHost: a\r\n\r\n");
            assertEquals("1000", c.read(true).header("Content-Length"));
            c.send(GET);
            assertEquals(103, c.read().status());
            assertEquals(204, c.read().status());
            c.send(GET);
            assertEquals("ok", c.read().text());
        }
    }

    /**
     * A 1xx or 204 response has no content and must not say a length (RFC 9110 8.6): a client
     * could wait for that many bytes. A 304's Content-Length is the length of the
     * representation it stands for, which the client may use: it stays.
     */
    @Test
    void noContentResponsesLoseTheirLengthNotModifiedOnesKeepIt() throws Exception {
        try (RawBackend b = new RawBackend(BACKEND, (be, in, out) -> {
            RawBackend.head(in);
            RawBackend.write(out, "HTTP/1.1 103 Early Hints\r\nContent-Length: 0\r\nLink: </a.css>\r\n\r\n"
                    + "HTTP/1.1 204 No Content\r\nContent-Length: 0\r\nX-A: b\r\n\r\n");
            RawBackend.head(in);
            RawBackend.write(out, "HTTP/1.1 304 Not Modified\r\nContent-Length: 1234\r\nETag: \"x\"\r\n\r\n");
            RawBackend.head(in);
            RawBackend.write(out, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
        }); HttpRelayFixture r = forward(b); RawClient c = r.client()) {
            c.send(GET);
            RawClient.Response early = c.read();
            assertEquals("HTTP/1.1 103 Early Hints\r\nLink: </a.css>\r\n", early.head());
            RawClient.Response none = c.read();
            assertEquals("HTTP/1.1 204 No Content\r\nX-A: b\r\n", none.head());
            c.send(GET);
            RawClient.Response same = c.read();
            assertEquals(304, same.status());
            assertEquals("1234", same.header("Content-Length"));
            c.send(GET);
            assertEquals("ok", c.read().text());
        }
    }

    /**
     * A server that sends interim responses without end (probe F: one every 0.5 s held the
     * client past every timeout) gets a 502 after {@value HttpBackendHandler#MAX_INTERIMS}.
     */
    @Test
    void endlessInterimResponsesEndInA502() throws Exception {
        try (RawBackend b = new RawBackend(BACKEND, (be, in, out) -> {
            RawBackend.head(in);
            RawBackend.write(out, "HTTP/1.1 102 Processing\r\n\r\n".repeat(HttpBackendHandler.MAX_INTERIMS + 5));
        }); HttpRelayFixture r = forward(b); RawClient c = r.client()) {
            c.send(GET);
            for (int i = 0; i < HttpBackendHandler.MAX_INTERIMS; i++) {
                assertEquals(102, c.read().status());
            }
            assertEquals(502, c.read().status());
            assertTrue(c.closed());
        }
    }

    @Test
    void anHttp10ClientGetsNoInterimResponse() throws Exception {
        try (RawBackend b = new RawBackend(BACKEND, (be, in, out) -> {
            RawBackend.head(in);
            RawBackend.write(out, "HTTP/1.1 103 Early Hints\r\nLink: </a.css>\r\n\r\n"
                    + "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok");
        }); HttpRelayFixture r = forward(b); RawClient c = r.client()) {
            c.send("GET / HTTP/1.0\r\n\r\n");
            RawClient.Response res = c.read();
            assertEquals(200, res.status());
            assertEquals("ok", res.text());
        }
    }

    @Test
    void expectContinueReachesARealServer() throws Exception {
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getByName(BACKEND), 0), 16);
        server.createContext("/", ex -> {
            byte[] body = ex.getRequestBody().readAllBytes();
            ex.sendResponseHeaders(200, body.length);
            ex.getResponseBody().write(body);
            ex.close();
        });
        server.start();
        try (HttpRelayFixture r = HttpRelayFixture.builder().backend(server.getAddress()).start();
                RawClient c = r.client()) {
            c.send("POST / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n");
            assertEquals("HTTP/1.1 100 Continue", c.line());
            while (!c.line().isEmpty()) {
                // the JDK server adds a Content-Length to its 100
            }
            c.send("hello");
            RawClient.Response res = c.read();
            assertEquals(200, res.status());
            assertEquals("hello", res.text());
        } finally {
            server.stop(0);
        }
    }

    /**
     * A rule that removes the client's Expect leaves its server nothing to answer with a 100:
     * the relay sends the 100 itself, or a client that waits for it (as it may, RFC 9110 10.1.1)
     * and a server that waits for the body would both wait out the session timeout.
     */
    @Test
    void aRuleThatRemovesExpectLeavesTheRelayToSendThe100() throws Exception {
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getByName(BACKEND), 0), 16);
        List<String> expects = new CopyOnWriteArrayList<>();
        server.createContext("/", ex -> {
            expects.add(String.valueOf(ex.getRequestHeaders().getFirst("Expect")));
            byte[] body = ex.getRequestBody().readAllBytes();
            ex.sendResponseHeaders(200, body.length);
            ex.getResponseBody().write(body);
            ex.close();
        });
        server.start();
        try (HttpRelayFixture r = HttpRelayFixture.builder().backend(server.getAddress())
                        .node(Direction.REQUEST, NodeType.HEADER, Action.REMOVE, "Expect", null).start();
                RawClient c = r.client()) {
            c.send("POST / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n");
            assertEquals("HTTP/1.1 100 Continue", c.line());
            assertEquals("", c.line());
            c.send("hello");
            RawClient.Response res = c.read();
            assertEquals(200, res.status());
            assertEquals("hello", res.text());
            // Without a body to wait for, no 100.
            c.send("GET / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\n\r\n");
            assertEquals(200, c.read().status());
            assertEquals(List.of("null", "null"), expects);
        } finally {
            server.stop(0);
        }
    }

    @Test
    void realServerChunkedResponsesOverKeepAlive() throws Exception {
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getByName(BACKEND), 0), 16);
        server.createContext("/", ex -> {
            ex.sendResponseHeaders(200, 0);
            for (int i = 0; i < 100; i++) {
                ex.getResponseBody().write(("line " + i + "\n").getBytes(StandardCharsets.US_ASCII));
            }
            ex.close();
        });
        server.start();
        try (HttpRelayFixture r = HttpRelayFixture.builder().backend(server.getAddress()).start();
                RawClient c = r.client()) {
            for (int k = 0; k < 3; k++) {
                c.send(GET);
                RawClient.Response res = c.read();
                assertEquals("chunked", res.header("Transfer-Encoding"));
                assertTrue(res.text().endsWith("line 99\n"));
            }
        } finally {
            server.stop(0);
        }
    }

    @Test
    void websocketUpgradeBecomesATunnelOfRawBytes() throws Exception {
        try (RawBackend b = new RawBackend(BACKEND, (be, in, out) -> {
            be.seen.add(RawBackend.head(in));
            RawBackend.write(out, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n"
                    + "server-first");
            in.transferTo(out);
        }); HttpRelayFixture r = forward(b); RawClient c = r.client()) {
            c.send("GET /ws HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                    + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n");
            assertEquals("HTTP/1.1 101 Switching Protocols", c.line());
            while (!c.line().isEmpty()) {
                // the rest of the 101
            }
            assertEquals("server-first", new String(c.in.readNBytes(12), StandardCharsets.US_ASCII));
            byte[] frame = {(byte) 0x81, (byte) 0x85, 1, 2, 3, 4, 'h' ^ 1, 'e' ^ 2, 'l' ^ 3, 'l' ^ 4, 'o' ^ 1, 0, 0, '\r', '\n'};
            c.send(frame);
            assertArrayEquals(frame, c.in.readNBytes(frame.length));
            c.socket.shutdownOutput();
            assertTrue(c.closed());
        }
    }

    /**
     * Opens a websocket tunnel whose server says "bye" and sends FIN, checks both reach the
     * client, then sends the client's last words and its FIN.
     */
    static void endTunnelAfterTheServer(RawClient c) throws IOException {
        c.send("GET /ws HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n");
        assertEquals("HTTP/1.1 101 Switching Protocols", c.line());
        while (!c.line().isEmpty()) {
            // the rest of the 101
        }
        assertEquals("bye", new String(c.in.readNBytes(3), StandardCharsets.US_ASCII));
        assertTrue(c.closed(), "the server's FIN is passed on");
        c.send("last words");
        c.socket.shutdownOutput();
    }

    @Test
    void aTunnelTheServerEndsFirstEndsWhenTheClientEndsToo() throws Exception {
        try (RawBackend b = new RawBackend(BACKEND, (be, in, out) -> {
            RawBackend.head(in);
            RawBackend.write(out, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n"
                    + "bye");
            be.sockets.get(0).shutdownOutput();
            be.seen.add(new String(in.readAllBytes(), StandardCharsets.US_ASCII));
        }); HttpRelayFixture r = forward(b); RawClient c = r.client()) {
            endTunnelAfterTheServer(c);
            // Both sides have sent FIN: the session is over, not left to its idle timeout.
            HttpSafetyTest.awaitNoSessions(r);
            // The backend's thread records what it read once it sees EOF, a moment after.
            long deadline = System.nanoTime() + 5_000_000_000L;
            while (!b.seen.contains("last words") && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            assertTrue(b.seen.contains("last words"), b.seen::toString);
        }
    }

    @Test
    void anUnaskedSwitchIsABadGateway() throws Exception {
        try (RawBackend b = new RawBackend(BACKEND, (be, in, out) -> {
            RawBackend.head(in);
            RawBackend.write(out, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: x\r\n\r\n");
        }); HttpRelayFixture r = forward(b); RawClient c = r.client()) {
            c.send(GET);
            assertEquals(502, c.read().status());
        }
    }

    @Test
    void aBackendThatClosesBetweenRequestsIsReconnected() throws Exception {
        try (RawBackend b = new RawBackend(BACKEND, (be, in, out) -> {
            RawBackend.head(in);
            RawBackend.write(out, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
        }); HttpRelayFixture r = forward(b); RawClient c = r.client()) {
            for (int i = 0; i < 3; i++) {
                c.send(GET);
                assertEquals("ok", c.read().text());
                awaitConnectionsClosed(b, i + 1);
            }
        }
    }

    /** Waits until the backend's i-th connection ended (its script returns after one answer). */
    private static void awaitConnectionsClosed(RawBackend b, int n) throws InterruptedException {
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (b.connections.get() < n && System.nanoTime() < until) {
            Thread.sleep(5);
        }
        Thread.sleep(50);
    }

    @Test
    void aSlowReaderHoldsBackTheServerInsteadOfFillingTheRelay() throws Exception {
        int size = 16 * 1024 * 1024;
        try (RawBackend b = new RawBackend(BACKEND, (be, in, out) -> {
            RawBackend.head(in);
            RawBackend.write(out, "HTTP/1.1 200 OK\r\nContent-Length: " + size + "\r\n\r\n");
            byte[] block = new byte[64 * 1024];
            for (int i = 0; i < size / block.length; i++) {
                out.write(block);
            }
            out.flush();
        }); HttpRelayFixture r = forward(b); RawClient c = r.client()) {
            c.send(GET);
            Thread.sleep(500);
            long queued = r.context.sessions().stream()
                    .mapToLong(ch -> ch.unsafe().outboundBuffer() == null ? 0 : ch.unsafe().outboundBuffer().totalPendingWriteBytes())
                    .sum();
            assertTrue(queued < 4 * 1024 * 1024, "relay queued " + queued + " bytes for a stalled client");
            RawClient.Response res = c.read();
            assertEquals(size, res.body().length);
        }
    }

    @Test
    void aBackendThatDoesNotReadHoldsBackTheClientsBody() throws Exception {
        java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
        int size = 16 * 1024 * 1024;
        try (RawBackend b = new RawBackend(BACKEND, (be, in, out) -> {
            RawBackend.head(in);
            try {
                release.await();
            } catch (InterruptedException e) {
                return;
            }
            long n = in.readNBytes(size).length;
            RawBackend.write(out, "HTTP/1.1 200 OK\r\nContent-Length: " + Long.toString(n).length() + "\r\n\r\n" + n);
        }); HttpRelayFixture r = forward(b); RawClient c = r.client()) {
            java.util.concurrent.CompletableFuture<Void> sent = java.util.concurrent.CompletableFuture.runAsync(() -> {
                try {
                    c.send("PUT / HTTP/1.1\r\nHost: a\r\nContent-Length: " + size + "\r\n\r\n");
                    c.send(new byte[size]);
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
            Thread.sleep(500);
            long queued = r.context.sessions().stream().mapToLong(HttpRelayTest::queuedTowardsServer).sum();
            assertTrue(queued < 4 * 1024 * 1024, "relay queued " + queued + " bytes for a stalled server");
            release.countDown();
            sent.get(20, TimeUnit.SECONDS);
            assertEquals(Integer.toString(size), c.read().text());
        }
    }

    /**
     * A server that refuses an upload at once (413 after the head) and goes on reading: the
     * client gets the whole answer, told that the connection closes, and may finish sending
     * (the relay half-closes and drops the rest instead of resetting the client). The server
     * is reset: the request it got stays cut, and a FIN could pass for its end (probe I).
     */
    @Test
    void anAnswerBeforeTheUploadEndsSaysCloseAndLetsTheClientFinishSending() throws Exception {
        int size = 256 * 1024;
        try (RawBackend b = new RawBackend(BACKEND, (be, in, out) -> {
            RawBackend.head(in);
            RawBackend.write(out, "HTTP/1.1 413 Payload Too Large\r\nContent-Length: 9\r\n\r\ntoo large");
            try {
                while (in.read() >= 0) {
                    // Reads and drops the rest of the body.
                }
                be.seen.add("end of input");
            } catch (java.net.SocketException e) {
                be.seen.add("reset");
            }
        }); HttpRelayFixture r = forward(b)) {
            try (RawClient c = r.client()) {
                c.send("PUT /up HTTP/1.1\r\nHost: a\r\nContent-Length: " + size + "\r\n\r\n");
                java.util.concurrent.CompletableFuture<Void> upload = java.util.concurrent.CompletableFuture.runAsync(() -> {
                    try {
                        byte[] part = new byte[8 * 1024];
                        for (int sent = 0; sent < size; sent += part.length) {
                            c.send(part);
                            Thread.sleep(1);
                        }
                    } catch (IOException e) {
                        throw new java.io.UncheckedIOException(e);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                });
                RawClient.Response res = c.read();
                assertEquals(413, res.status());
                assertEquals("too large", res.text());
                assertEquals("close", res.header("Connection"));
                assertEquals(-1, c.in.read(), "the response is followed by the relay's FIN");
                upload.get(10, TimeUnit.SECONDS); // the client was not reset while it sent
            }
            HttpSafetyTest.awaitNoSessions(r);
            assertEquals("reset", b.seen.poll(10, TimeUnit.SECONDS));
        }
    }

    /**
     * A server that accepts an upload at once (a 2xx after the head, its connection kept) and
     * then reads it gets the whole body, and the client its answer, not told to close: curl
     * stops sending on a {@code Connection: close} (probe Z). The exchange ends with the body,
     * and the client's next request goes over the same connection to the server. The relay
     * reset the server after a part of the body while its client was told the upload
     * succeeded (probe Y: 1.2 of 3 MB arrived).
     */
    @Test
    void anEarlySuccessLetsTheWholeUploadReachItsServer() throws Exception {
        int parts = 48;
        byte[] part = new byte[64 * 1024];
        try (RawBackend b = new RawBackend(BACKEND, (be, in, out) -> {
            for (String head; (head = RawBackend.head(in)) != null; ) {
                if (head.startsWith("GET")) {
                    RawBackend.write(out, "HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nnext");
                    continue;
                }
                RawBackend.write(out, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nearly");
                try {
                    be.seen.add("body " + in.readNBytes(parts * part.length).length);
                } catch (java.net.SocketException e) {
                    be.seen.add("reset");
                    return;
                }
            }
        }); HttpRelayFixture r = forward(b)) {
            try (RawClient c = r.client()) {
                c.send("PUT /up HTTP/1.1\r\nHost: a\r\nContent-Length: " + parts * part.length + "\r\n\r\n");
                RawClient.Response res = c.read();
                assertEquals(200, res.status());
                assertEquals("early", res.text());
                assertNull(res.header("Connection"));
                for (int i = 0; i < parts; i++) {
                    c.send(part);
                }
                assertEquals("body " + parts * part.length, b.seen.poll(10, TimeUnit.SECONDS));
                c.send(GET);
                assertEquals("next", c.read().text());
            }
            HttpSafetyTest.awaitNoSessions(r);
            assertEquals(1, b.connections.get(), "the server's connection carried both requests");
        }
    }

    /**
     * The same early success to a client that said {@code Connection: close}: the exchange
     * ends with the body's last read, before that read's end flushed it to the server, and the
     * connection was closed at once, which dropped the body's tail; the server read 224 of
     * 256 KiB and then a FIN, while its client had its 200 (review CC).
     */
    @Test
    void anEarlySuccessUploadFromAClosingClientReachesItsServerWhole() throws Exception {
        int parts = 16;
        byte[] part = new byte[16 * 1024];
        try (RawBackend b = new RawBackend(BACKEND, (be, in, out) -> {
            if (RawBackend.head(in) == null) {
                return;
            }
            RawBackend.write(out, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nearly");
            try {
                be.seen.add("body " + in.readNBytes(parts * part.length).length);
            } catch (java.net.SocketException e) {
                be.seen.add("reset");
            }
        }); HttpRelayFixture r = forward(b); RawClient c = r.client()) {
            c.send("PUT /up HTTP/1.1\r\nHost: a\r\nConnection: close\r\nContent-Length: " + parts * part.length
                    + "\r\n\r\n");
            RawClient.Response res = c.read();
            assertEquals(200, res.status());
            assertEquals("early", res.text());
            for (int i = 0; i < parts; i++) {
                c.send(part);
                Thread.sleep(5);
            }
            assertEquals("body " + parts * part.length, b.seen.poll(10, TimeUnit.SECONDS));
        }
    }

    /**
     * And to a keep-alive client that closes once it has sent the body (curl), with the body's
     * end still queued for a server slow to read: the session's end closed the server's
     * connection at once, and the server read 14 of 40 KiB (review CC).
     */
    @Test
    void anEarlySuccessUploadFromAClientThatThenClosesReachesASlowServerWhole() throws Exception {
        int total = 40 * 1024;
        try (SlowServer server = new SlowServer("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nearly", 500, total);
                HttpRelayFixture r = HttpRelayFixture.builder().backend(server.address()).socketBuffer(4096).start();
                RawClient c = r.client()) {
            c.send("PUT /up HTTP/1.1\r\nHost: a\r\nContent-Length: " + total + "\r\n\r\n");
            assertEquals(200, c.read().status());
            c.send(new byte[total]);
            Thread.sleep(100);
            c.socket.shutdownOutput();
            assertEquals("got " + total, server.seen.poll(10, TimeUnit.SECONDS));
        }
    }

    /**
     * A tunnel whose client sends its last bytes and FIN first, while its server, slow to read,
     * has some still queued at the relay, and then sends its own FIN: the server gets all of
     * them before its connection closes. Closed at once, it read 14 of 48 KiB and then an
     * orderly end (review CC); the other order lost nothing.
     */
    @Test
    void aTunnelsServerGetsAllItsClientSentWhenItEndsSecond() throws Exception {
        int total = 48 * 1024;
        try (SlowServer server = new SlowServer(
                "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n", 500, -1);
                HttpRelayFixture r = HttpRelayFixture.builder().backend(server.address()).socketBuffer(4096).start();
                RawClient c = r.client()) {
            c.send("GET /ws HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n");
            assertEquals("HTTP/1.1 101 Switching Protocols", c.line());
            while (!c.line().isEmpty()) {
                // the rest of the 101's head
            }
            c.send(new byte[total]);
            c.socket.shutdownOutput();
            assertEquals("got " + total, server.seen.poll(10, TimeUnit.SECONDS));
        }
    }

    /**
     * A server with a small receive buffer that answers the first request head with {@code
     * answer}, waits {@code waitMs}, and reads: {@code length} bytes, or (-1) until the end after
     * its own FIN. What it read goes to {@link #seen}.
     */
    private static final class SlowServer implements AutoCloseable {
        final java.util.concurrent.LinkedBlockingQueue<String> seen = new java.util.concurrent.LinkedBlockingQueue<>();
        private final java.net.ServerSocket server = new java.net.ServerSocket();

        SlowServer(String answer, long waitMs, int length) throws IOException {
            server.setReuseAddress(true);
            server.setReceiveBufferSize(4096);
            server.bind(new InetSocketAddress(BACKEND, 0));
            Thread t = new Thread(() -> {
                try (java.net.Socket s = server.accept()) {
                    RawBackend.head(s.getInputStream());
                    RawBackend.write(s.getOutputStream(), answer);
                    Thread.sleep(waitMs); // the client's bytes (and FIN) reach the relay meanwhile
                    if (length < 0) {
                        s.shutdownOutput();
                        Thread.sleep(300); // the relay takes this FIN before the server reads
                    }
                    seen.add("got " + (length < 0 ? s.getInputStream().readAllBytes().length
                            : s.getInputStream().readNBytes(length).length));
                } catch (Exception e) {
                    seen.add("error " + e);
                }
            });
            t.setDaemon(true);
            t.start();
        }

        InetSocketAddress address() {
            return (InetSocketAddress) server.getLocalSocketAddress();
        }

        @Override
        public void close() throws IOException {
            server.close();
        }
    }

    /**
     * The client of such an upload stops halfway and closes: the server's request is cut, so
     * it gets a reset, not a FIN that could pass for the body's end.
     */
    @Test
    void anUploadCutAfterAnEarlySuccessResetsItsServer() throws Exception {
        try (RawBackend b = new RawBackend(BACKEND, (be, in, out) -> {
            RawBackend.head(in);
            RawBackend.write(out, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nearly");
            try {
                be.seen.add("body " + in.readNBytes(1 << 20).length);
            } catch (java.net.SocketException e) {
                be.seen.add("reset");
            }
        }); HttpRelayFixture r = forward(b)) {
            try (RawClient c = r.client()) {
                c.send("PUT /up HTTP/1.1\r\nHost: a\r\nContent-Length: " + (1 << 20) + "\r\n\r\n");
                assertEquals("early", c.read().text());
                c.send(new byte[4096]);
            }
            assertEquals("reset", b.seen.poll(10, TimeUnit.SECONDS));
            HttpSafetyTest.awaitNoSessions(r);
        }
    }

    /**
     * A client that writes its whole upload before it reads anything (as many HTTP libraries
     * do), still sending well after the server's early 413: the relay drains it while it sends
     * instead of resetting it after a fixed time, so it finishes and reads the 413. Before, its
     * writes failed with a reset 2 s after the answer.
     */
    @Test
    void aClientStillUploadingAfterAnEarlyAnswerIsDrainedUntilItStops() throws Exception {
        try (RawBackend b = new RawBackend(BACKEND, (be, in, out) -> {
            RawBackend.head(in);
            RawBackend.write(out, "HTTP/1.1 413 Payload Too Large\r\nContent-Length: 9\r\n\r\ntoo large");
            // Reads what the relay still sends until it closes: a close with unread bytes would
            // reset the relay's writes, which may then fail before the 413 is read (a 502).
            while (in.read() >= 0) {
                // dropped
            }
        }); HttpRelayFixture r = forward(b)) {
            try (RawClient c = r.client()) {
                int parts = 20;
                byte[] part = new byte[64 * 1024];
                c.send("PUT /up HTTP/1.1\r\nHost: a\r\nContent-Length: " + parts * part.length + "\r\n\r\n");
                // 4 s of sending, in steps far shorter than the quiet time that ends the drain.
                for (int i = 0; i < parts; i++) {
                    c.send(part);
                    Thread.sleep(200);
                }
                RawClient.Response res = c.read();
                assertEquals(413, res.status());
                assertEquals("too large", res.text());
                assertEquals(-1, c.in.read(), "the response is followed by the relay's FIN");
            }
            HttpSafetyTest.awaitNoSessions(r);
        }
    }

    /**
     * A 2xx response that starts before the request ended, from a server that keeps its
     * connection (a full-duplex exchange), ends the exchange as any does once both are whole:
     * the client is not told to close, and its next request goes over the same connection to
     * the server. (It said {@code Connection: close} and ended the client's connection, and
     * curl then stopped sending an upload, probe Z.)
     */
    @Test
    void aSuccessBegunBeforeTheRequestEndedKeepsBothConnections() throws Exception {
        try (RawBackend b = new RawBackend(BACKEND, (be, in, out) -> {
            while (RawBackend.head(in) != null) {
                RawBackend.write(out, "HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\n");
                byte[] got = in.readNBytes(4);
                out.write(got);
                out.flush();
            }
        }); HttpRelayFixture r = forward(b)) {
            try (RawClient c = r.client()) {
                for (String word : new String[] {"ping", "pong"}) {
                    c.send("PUT /duplex HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\n\r\n");
                    Thread.sleep(200); // the response head arrives first
                    c.send(word);
                    RawClient.Response res = c.read();
                    assertEquals(word, res.text());
                    assertNull(res.header("Connection"));
                }
            }
            HttpSafetyTest.awaitNoSessions(r);
            assertEquals(1, b.connections.get(), "the server's connection carried both requests");
        }
    }

    /** Bytes the session's backend channel has queued but not written. */
    private static long queuedTowardsServer(io.netty.channel.Channel client) {
        HttpFrontendHandler h = client.pipeline().get(HttpFrontendHandler.class);
        io.netty.channel.Channel server = h == null ? null : h.server();
        return server == null || server.unsafe().outboundBuffer() == null ? 0
                : server.unsafe().outboundBuffer().totalPendingWriteBytes();
    }

    static String readAll(InputStream in) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        in.transferTo(b);
        return b.toString(StandardCharsets.ISO_8859_1);
    }

    @Test
    void noHostUpIsAnswered503() throws Exception {
        try (HttpRelayFixture r = HttpRelayFixture.builder()
                .backend(new InetSocketAddress(InetAddress.getByName(BACKEND), 9)).table(org.hoststated.core.config.Mode.ROUNDROBIN)
                .down().start(); RawClient c = r.client()) {
            c.send(GET);
            assertEquals(503, c.read().status());
            assertTrue(c.closed());
        }
    }
}
