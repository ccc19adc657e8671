package org.hoststated.relay.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import org.hoststated.core.config.Action;
import org.hoststated.core.config.Direction;
import org.hoststated.core.config.NodeType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A server whose response heads end their lines in a bare LF (legacy and hand-written servers;
 * HAProxy and nginx take them, RFC 9112 2.2 allows it): the client gets the response with
 * every line ended by CRLF ({@link RawClient#line} refuses any other), so it reads the head as
 * the relay did, and the connection to the server is kept as usual. So do the lines of a
 * chunked body's framing (sizes, the end of each chunk's data, trailers), as HAProxy and nginx
 * read them, and chunk sizes padded with white space go on without it. A request's bare LF is still a 400 ({@link HttpSafetyTest}).
 */
class BareLfResponseTest {
    /** Answers each request with a head whose lines end in LF alone, or in a mix of LF and CRLF. */
    private static void lfAnswers(RawBackend b, InputStream in, OutputStream out) throws IOException {
        for (String head; (head = RawBackend.head(in)) != null; ) {
            b.seen.add(head.substring(0, head.indexOf(' ', 4)));
            if (head.startsWith("GET /chunked")) {
                // Each piece its own write: the line ends fall on either side of the reads.
                for (String piece : LF_CHUNKED) {
                    RawBackend.write(out, piece);
                }
            } else if (head.startsWith("GET /padded")) {
                for (String piece : PADDED_CHUNKED) {
                    RawBackend.write(out, piece);
                }
            } else if (head.startsWith("GET /mixed")) {
                RawBackend.write(out, "HTTP/1.1 103 Early Hints\nLink: </a.css>; rel=preload\n\n"
                        + "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\nX-Mixed: yes\r\n\n"
                        + "5\r\nmixed\r\n0\r\n\r\n");
            } else {
                RawBackend.write(out, "HTTP/1.1 200 OK\nContent-Length: 2\nServer: legacy\n\nok");
            }
        }
    }

    private static final String[] LF_CHUNKED = {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\n",
        "hel", "lo\n6;x=1\n world", "\n", "0\nX-T", ": t\n", "\n"};

    @Test
    void aChunkedBodyWithBareLfLinesReachesTheClientWithCrlfLines() throws Exception {
        try (RawBackend b = new RawBackend(HttpRelayTest.BACKEND, BareLfResponseTest::lfAnswers);
                HttpRelayFixture r = HttpRelayFixture.builder().backend(b.address()).start();
                RawClient c = r.client()) {
            for (int i = 0; i < 2; i++) {
                c.send("GET /chunked HTTP/1.1\r\nHost: a\r\n\r\n");
                RawClient.Response got = c.read();
                assertEquals(200, got.status(), got.head());
                assertEquals("hello world", new String(got.body(), StandardCharsets.US_ASCII));
                assertTrue(got.head().endsWith("trailer X-T: t\r\n"), got.head());
            }
            c.send("GET /plain HTTP/1.1\r\nHost: a\r\n\r\n");
            assertEquals("ok", new String(c.read().body(), StandardCharsets.US_ASCII));
            assertEquals(1, b.connections.get(), "the connection to the server was kept");
        }
    }

    private static final String[] PADDED_CHUNKED = {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5 ",
        " \r\nhello\r\n6\t", ";x=1\r\n world\r\n0 ", "\n\r\n"};

    /**
     * Chunk sizes padded with white space (legacy servers): the client gets them without it,
     * as from HAProxy and nginx, since strict clients (Node.js) refuse the padding.
     */
    @Test
    void paddedChunkSizesReachTheClientWithoutTheirPadding() throws Exception {
        try (RawBackend b = new RawBackend(HttpRelayTest.BACKEND, BareLfResponseTest::lfAnswers);
                HttpRelayFixture r = HttpRelayFixture.builder().backend(b.address()).start();
                RawClient c = r.client()) {
            c.send("GET /padded HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");
            String got = c.rest();
            assertEquals("5\r\nhello\r\n6;x=1\r\n world\r\n0\r\n\r\n", got.substring(got.indexOf("\r\n\r\n") + 4), got);
        }
    }

    @Test
    void anHttp10ClientGetsTheDataOfAChunkedBodyWithBareLfLines() throws Exception {
        try (RawBackend b = new RawBackend(HttpRelayTest.BACKEND, BareLfResponseTest::lfAnswers);
                HttpRelayFixture r = HttpRelayFixture.builder().backend(b.address()).start();
                RawClient c = r.client()) {
            c.send("GET /chunked HTTP/1.0\r\n\r\n");
            assertEquals("HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nhello world", c.rest());
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"as sent", "rewritten by a rule"})
    void aHeadWithBareLfLinesReachesTheClientWithCrlfLines(String how) throws Exception {
        HttpRelayFixture.Builder relay = HttpRelayFixture.builder();
        if (how.equals("rewritten by a rule")) {
            relay.node(Direction.RESPONSE, NodeType.HEADER, Action.CHANGE, "Server", "relay");
        }
        try (RawBackend b = new RawBackend(HttpRelayTest.BACKEND, BareLfResponseTest::lfAnswers);
                HttpRelayFixture r = relay.backend(b.address()).start(); RawClient c = r.client()) {
            for (int i = 0; i < 2; i++) {
                c.send("GET /plain HTTP/1.1\r\nHost: a\r\n\r\n");
                RawClient.Response got = c.read();
                assertEquals(200, got.status(), got.head());
                assertEquals("ok", new String(got.body(), StandardCharsets.US_ASCII));
                assertEquals(how.equals("as sent") ? "legacy" : "relay", got.headers().get("server").get(0));
            }
            assertEquals(1, b.connections.get(), "the connection to the server was kept");
        }
    }

    @Test
    void interimAndChunkedResponsesWithMixedLineEndsArePassedOn() throws Exception {
        try (RawBackend b = new RawBackend(HttpRelayTest.BACKEND, BareLfResponseTest::lfAnswers);
                HttpRelayFixture r = HttpRelayFixture.builder().backend(b.address()).start();
                RawClient c = r.client()) {
            c.send("GET /mixed HTTP/1.1\r\nHost: a\r\n\r\n");
            RawClient.Response early = c.read();
            assertEquals(103, early.status(), early.head());
            assertEquals("</a.css>; rel=preload", early.headers().get("link").get(0));
            RawClient.Response got = c.read();
            assertEquals(200, got.status(), got.head());
            assertEquals("yes", got.headers().get("x-mixed").get(0));
            assertEquals("mixed", new String(got.body(), StandardCharsets.US_ASCII));
            c.send("GET /plain HTTP/1.1\r\nHost: a\r\n\r\n");
            assertEquals("ok", new String(c.read().body(), StandardCharsets.US_ASCII));
            assertEquals(1, b.connections.get(), "the connection to the server was kept");
        }
    }

    @Test
    void aHeadEndingInLfCrLfEndsThere() throws Exception {
        // "\n\r\n": a bare LF ends the last field, the CRLF is the blank line; the body follows.
        try (RawBackend b = new RawBackend(HttpRelayTest.BACKEND, (be, in, out) -> {
            RawBackend.head(in);
            RawBackend.write(out, "HTTP/1.1 200 OK\nContent-Length: 4\n\r\nbody");
        }); HttpRelayFixture r = HttpRelayFixture.builder().backend(b.address()).start(); RawClient c = r.client()) {
            c.send(HttpRelayTest.GET);
            RawClient.Response got = c.read();
            assertEquals("HTTP/1.1 200 OK\r\nContent-Length: 4\r\n", got.head());
            assertEquals("body", new String(got.body(), StandardCharsets.US_ASCII));
        }
    }
}
