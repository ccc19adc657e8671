package org.hoststated.relay.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.hoststated.core.config.Action;
import org.hoststated.core.config.Direction;
import org.hoststated.core.config.NodeType;
import org.hoststated.relay.RelayTransport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A server that closes its connection after each response (it says {@code Connection: close},
 * or answers in HTTP/1.0): its close is of its own connection, so a client whose response was
 * framed keeps its connection, as behind HAProxy and nginx, and its next request, even one
 * already pipelined, goes over a fresh connection. So does a client whose HTTP/1.1 response only
 * the close ends: it gets the body chunked, the close becoming the last chunk, as from nginx
 * and HAProxy (an HTTP/1.0 response's status line then says HTTP/1.1). Such a response to an
 * HTTP/1.0 client or to one that asked to close, or one in another transfer coding, still ends
 * the client's connection.
 */
class ServerCloseTest {
    /** Answers one request per connection, naming its target, in the given style, then closes. */
    private static RawBackend.Script oneAnswer(String style) {
        return (RawBackend b, InputStream in, OutputStream out) -> {
            String head = RawBackend.head(in);
            if (head == null) {
                return;
            }
            String target = head.substring(head.indexOf(' ') + 1, head.indexOf(' ', head.indexOf(' ') + 1));
            RawBackend.write(out, switch (style) {
                case "close" -> "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: " + target.length() + "\r\n\r\n";
                case "HTTP/1.0" -> "HTTP/1.0 200 OK\r\nContent-Length: " + target.length() + "\r\n\r\n";
                case "HTTP/1.0 until close" -> "HTTP/1.0 200 OK\r\n\r\n";
                case "gzip until close" -> "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n";
                case "chunked close" -> "HTTP/1.1 200 OK\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n\r\n"
                        + Integer.toHexString(target.length()) + "\r\n" + target + "\r\n0\r\n\r\n";
                default -> "HTTP/1.1 200 OK\r\n\r\n";
            } + (style.equals("chunked close") ? "" : target));
        };
    }

    @ParameterizedTest
    @CsvSource({"close, epoll", "HTTP/1.0, epoll", "chunked close, epoll", "close, io_uring", "HTTP/1.0, io_uring"})
    void theClientKeepsItsConnectionAfterAFramedResponseWhoseServerCloses(String style, String transport) throws Exception {
        RelayTransport t = HttpPeerTest.transport(transport);
        try (RawBackend b = new RawBackend(HttpRelayTest.BACKEND, oneAnswer(style));
                HttpRelayFixture r = HttpRelayFixture.builder().transport(t).backend(b.address()).start();
                RawClient c = r.client()) {
            c.send("GET /a HTTP/1.1\r\nHost: a\r\n\r\nGET /bb HTTP/1.1\r\nHost: a\r\n\r\n");
            for (String target : List.of("/a", "/bb")) {
                RawClient.Response res = c.read();
                assertEquals(target, res.text(), res.head());
                // The server's close becomes keep-alive; an HTTP/1.0 response says keep-alive
                // too, without which the client would take it for the last.
                assertEquals("keep-alive", res.header("Connection"), res.head());
            }
            c.send("GET /ccc HTTP/1.1\r\nHost: a\r\n\r\n");
            assertEquals("/ccc", c.read().text());
            assertEquals(3, b.connections.get());
        }
    }

    @Test
    void anHttp10ClientThatAskedForKeepAliveKeepsItToo() throws Exception {
        try (RawBackend b = new RawBackend(HttpRelayTest.BACKEND, oneAnswer("close"));
                HttpRelayFixture r = HttpRelayFixture.builder().backend(b.address()).start(); RawClient c = r.client()) {
            for (String target : List.of("/a", "/bb")) {
                c.send("GET " + target + " HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
                RawClient.Response res = c.read();
                assertEquals(target, res.text(), res.head());
                assertEquals("keep-alive", res.header("Connection"), res.head());
            }
        }
    }

    @Test
    void aClientThatAskedToCloseIsToldSoAndClosed() throws Exception {
        try (RawBackend b = new RawBackend(HttpRelayTest.BACKEND, oneAnswer("close"));
                HttpRelayFixture r = HttpRelayFixture.builder().backend(b.address())
                        .node(Direction.RESPONSE, NodeType.HEADER, Action.REMOVE, "Connection", null).start();
                RawClient c = r.client()) {
            c.send("GET /a HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");
            RawClient.Response res = c.read();
            assertEquals("close", res.header("Connection"), res.head());
            assertTrue(c.closed());
        }
    }

    /** A body in another transfer coding that only the close ends is passed on as it is, to its end. */
    @Test
    void aResponseInAnotherCodingThatOnlyTheCloseEndsEndsTheClientsConnectionAndSaysSo() throws Exception {
        try (RawBackend b = new RawBackend(HttpRelayTest.BACKEND, oneAnswer("gzip until close"));
                HttpRelayFixture r = HttpRelayFixture.builder().backend(b.address()).start(); RawClient c = r.client()) {
            c.send("GET /a HTTP/1.1\r\nHost: a\r\n\r\nGET /bb HTTP/1.1\r\nHost: a\r\n\r\n");
            assertEquals("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\nConnection: close\r\n\r\n/a", c.rest());
            assertEquals(1, b.connections.get());
        }
    }

    /** An HTTP/1.0 response's status line says HTTP/1.1 then, since HTTP/1.0 has no Transfer-Encoding. */
    @ParameterizedTest
    @CsvSource({"until close, epoll", "until close, io_uring", "HTTP/1.0 until close, epoll"})
    void aResponseThatOnlyTheCloseEndsReachesTheClientChunkedAndItsConnectionStays(String style, String transport)
            throws Exception {
        RelayTransport t = HttpPeerTest.transport(transport);
        try (RawBackend b = new RawBackend(HttpRelayTest.BACKEND, oneAnswer(style));
                HttpRelayFixture r = HttpRelayFixture.builder().transport(t).backend(b.address()).start();
                RawClient c = r.client()) {
            c.send("GET /a HTTP/1.1\r\nHost: a\r\n\r\nGET /bb HTTP/1.1\r\nHost: a\r\n\r\n");
            for (String target : List.of("/a", "/bb")) {
                RawClient.Response res = c.read();
                assertEquals(target, res.text(), res.head());
                assertTrue(res.head().startsWith("HTTP/1.1 200 OK\r\n"), res.head());
                assertEquals("chunked", res.header("Transfer-Encoding"), res.head());
                assertNull(res.header("Connection"), res.head());
            }
            c.send("GET /ccc HTTP/1.1\r\nHost: a\r\n\r\n");
            assertEquals("/ccc", c.read().text());
            assertEquals(3, b.connections.get());
        }
    }

    /** Neither an HTTP/1.0 client nor one that asked to close reads chunked: the close ends its body. */
    @ParameterizedTest
    @ValueSource(strings = {"GET /a HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
        "GET /a HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n"})
    void aClientThatDoesNotKeepItsConnectionGetsTheBodyUntilTheClose(String request) throws Exception {
        try (RawBackend b = new RawBackend(HttpRelayTest.BACKEND, oneAnswer("until close"));
                HttpRelayFixture r = HttpRelayFixture.builder().backend(b.address()).start(); RawClient c = r.client()) {
            c.send(request);
            assertEquals("HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n/a", c.rest());
        }
    }

    /**
     * A re-chunked body that the server ends with a reset is cut short: the client is reset
     * after what it got, without the last chunk that would say the body is whole.
     */
    @Test
    void aRechunkedBodyCutByAResetNeverGetsItsLastChunk() throws Exception {
        CountDownLatch read = new CountDownLatch(1);
        try (RawBackend b = new RawBackend(HttpRelayTest.BACKEND, (be, in, out) -> {
            RawBackend.head(in);
            RawBackend.write(out, "HTTP/1.1 200 OK\r\n\r\npartial");
            try {
                read.await(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            be.sockets.get(be.sockets.size() - 1).setSoLinger(true, 0);
        }); HttpRelayFixture r = HttpRelayFixture.builder().backend(b.address()).start(); RawClient c = r.client()) {
            c.send(HttpRelayTest.GET);
            assertEquals("chunked", c.read(true).header("Transfer-Encoding"));
            assertEquals("7", c.line());
            assertEquals("partial", new String(c.in.readNBytes(7), StandardCharsets.ISO_8859_1));
            assertEquals("", c.line());
            read.countDown();
            assertTrue(c.reset());
        }
    }

    /**
     * A re-chunked body that the relay cuts (the session timeout, with the server silent) ends
     * with a reset after the chunks sent, never with the last chunk, which the close of the
     * server's connection must not bring.
     */
    @Test
    void aRechunkedBodyTheRelayCutsNeverGetsItsLastChunk() throws Exception {
        try (RawBackend b = new RawBackend(HttpRelayTest.BACKEND, (be, in, out) -> {
            RawBackend.head(in);
            RawBackend.write(out, "HTTP/1.1 200 OK\r\n\r\nthe start of a body");
            while (in.read() >= 0) {
                // Sends no more and keeps the connection open.
            }
        }); HttpRelayFixture r = HttpRelayFixture.builder().backend(b.address()).timeout(1).start();
                RawClient c = r.client()) {
            c.send(HttpRelayTest.GET);
            assertEquals("chunked", c.read(true).header("Transfer-Encoding"));
            assertEquals("13\r\nthe start of a body\r\n", c.rest());
        }
    }
}
