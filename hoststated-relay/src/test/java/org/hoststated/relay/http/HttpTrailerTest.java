package org.hoststated.relay.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.hoststated.core.config.Action;
import org.hoststated.core.config.Direction;
import org.hoststated.core.config.NodeType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Chunked bodies with trailers, both ways, between a raw client and a raw backend: the fields
 * that must not be in trailers (RFC 9110 6.5.1), those the relay's header actions act on and
 * X-Forwarded-For are removed, so a server that merges trailers into the head (Apache httpd's
 * {@code MergeTrailers on}) cannot take them for header fields the rules checked or set; the
 * other trailer fields and the rest of the body arrive byte for byte, and the connection
 * carries the next exchange.
 */
class HttpTrailerTest {
    private static final String REQUEST_TRAILERS = "X-Checksum: 1\r\nHost: evil\r\nX-Forwarded-For: 6.6.6.6\r\n"
            + "Authorization: Basic eDp5\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\nX-Internal: yes\r\n"
            + "X_Forwarded_For: 7.7.7.7\r\nX-Request-Digest: sha-256=x\r\n\r\n";
    private static final String RESPONSE_TRAILERS = "X-Checksum: 2\r\nSet-Cookie: s=1\r\nContent-Length: 9\r\n"
            + "Location: /evil\r\nX-Powered-By: x\r\nServer-Timing: db;dur=5\r\n\r\n";

    /** Records each request's head and its chunked body as received; answers with trailers. */
    private static void trailersBack(RawBackend b, InputStream in, OutputStream out) throws IOException {
        for (String head; (head = RawBackend.head(in)) != null; ) {
            b.seen.add(head);
            if (head.contains("Transfer-Encoding: chunked")) {
                b.seen.add(chunkedBody(in));
            }
            RawBackend.write(out, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n" + RESPONSE_TRAILERS);
        }
    }

    /** The raw bytes of a chunked body, through the blank line that ends its trailers. */
    private static String chunkedBody(InputStream in) throws IOException {
        ByteArrayOutputStream raw = new ByteArrayOutputStream();
        while (true) {
            String size = line(in, raw);
            int n = Integer.parseInt(size.split(";")[0], 16);
            if (n == 0) {
                while (!line(in, raw).isEmpty()) {
                    // a trailer field
                }
                return raw.toString(StandardCharsets.ISO_8859_1);
            }
            raw.write(in.readNBytes(n));
            line(in, raw);
        }
    }

    private static String line(InputStream in, ByteArrayOutputStream raw) throws IOException {
        StringBuilder l = new StringBuilder();
        for (int c; (c = in.read()) != '\n'; ) {
            if (c < 0) {
                throw new IOException("EOF in a chunked body");
            }
            raw.write(c);
            l.append((char) c);
        }
        raw.write('\n');
        return l.substring(0, l.length() - 1);
    }

    @ParameterizedTest
    @ValueSource(strings = {"epoll", "io_uring", "tls"})
    void trailerFieldsThatMustNotBeThereAreRemovedBothWays(String how) throws Exception {
        HttpRelayFixture.Builder relay = HttpRelayFixture.builder().transport(HttpPeerTest.transport(how.equals("tls") ? "epoll" : how))
                .node(Direction.REQUEST, NodeType.HEADER, Action.APPEND, "X-Forwarded-For", "$REMOTE_ADDR")
                .node(Direction.REQUEST, NodeType.HEADER, Action.REMOVE, "X-Internal", null)
                .node(Direction.RESPONSE, NodeType.HEADER, Action.REMOVE, "X-Powered-By", null);
        if (how.equals("tls")) {
            relay.tls(HttpPeerTest.relayTls());
        }
        try (RawBackend b = new RawBackend(HttpRelayTest.BACKEND, HttpTrailerTest::trailersBack);
                HttpRelayFixture r = relay.backend(b.address()).start();
                RawClient c = how.equals("tls") ? HttpTransportsTest.tls(r, HttpTransportsTest.resource("relay.crt")) : r.client()) {
            c.socket.setTcpNoDelay(true);
            // The trailers come in two writes, the second within a field name the relay removes.
            String first = REQUEST_TRAILERS.substring(0, REQUEST_TRAILERS.indexOf("orwarded-For: 6"));
            c.send("POST /up HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5;x=y\r\nhello\r\n0\r\n" + first);
            c.send(REQUEST_TRAILERS.substring(first.length()));
            RawClient.Response res = c.read();
            assertEquals(200, res.status(), res.head());
            assertEquals("ok", res.text());
            assertTrue(res.head().endsWith("chunked\r\ntrailer X-Checksum: 2\r\ntrailer Server-Timing: db;dur=5\r\n"),
                    res.head());
            String head = b.seen.poll(10, TimeUnit.SECONDS);
            assertTrue(head.contains("\r\nX-Forwarded-For: "), head);
            assertEquals("5;x=y\r\nhello\r\n0\r\nX-Checksum: 1\r\nX-Request-Digest: sha-256=x\r\n\r\n",
                    b.seen.poll(10, TimeUnit.SECONDS));
            // The framing held both ways: the connection carries the next exchange.
            c.send(HttpRelayTest.GET);
            assertEquals(200, c.read().status());
            assertTrue(b.seen.poll(10, TimeUnit.SECONDS).startsWith("GET "));
            assertEquals(1, b.connections.get());
        }
    }

    /**
     * A Connection option makes the field it names hop-by-hop wherever it is, trailers
     * included (RFC 9110 7.6.1: remove "any header or trailer field(s)" of that name): a field
     * the relay drops from the head must not reach the server, or the client, as a trailer.
     */
    @Test
    void fieldsAConnectionOptionNamesAreRemovedFromTheTrailersTooBothWays() throws Exception {
        try (RawBackend b = new RawBackend(HttpRelayTest.BACKEND, (backend, in, out) -> {
                    for (String head; (head = RawBackend.head(in)) != null; ) {
                        backend.seen.add(head);
                        if (head.contains("Transfer-Encoding: chunked")) {
                            backend.seen.add(chunkedBody(in));
                        }
                        RawBackend.write(out, "HTTP/1.1 200 OK\r\nConnection: X-Hop-Back, keep-alive\r\n"
                                + "Transfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\nX-Hop-Back: 1\r\nX-Kept: 2\r\n\r\n");
                    }
                });
                HttpRelayFixture r = HttpRelayFixture.builder().backend(b.address()).start();
                RawClient c = r.client()) {
            c.send("POST /up HTTP/1.1\r\nHost: a\r\nConnection: X-Hop, X_Other\r\nTransfer-Encoding: chunked\r\n\r\n"
                    + "5\r\nhello\r\n0\r\nX-Hop: secret\r\nX-Kept: 1\r\nx-other: 2\r\n\r\n");
            RawClient.Response res = c.read();
            assertEquals(200, res.status(), res.head());
            assertTrue(res.head().endsWith("chunked\r\ntrailer X-Kept: 2\r\n"), res.head());
            String head = b.seen.poll(10, TimeUnit.SECONDS);
            assertTrue(!head.contains("Connection"), head);
            assertEquals("5\r\nhello\r\n0\r\nX-Kept: 1\r\n\r\n", b.seen.poll(10, TimeUnit.SECONDS));
            // The options were the last message's: the next one's trailers keep such a field.
            c.send("POST /up HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nX-Hop: 1\r\n\r\n");
            assertEquals(200, c.read().status());
            b.seen.poll(10, TimeUnit.SECONDS);
            assertEquals("0\r\nX-Hop: 1\r\n\r\n", b.seen.poll(10, TimeUnit.SECONDS));
        }
    }
}
