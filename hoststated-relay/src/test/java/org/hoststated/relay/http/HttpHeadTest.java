package org.hoststated.relay.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The head scanner and parser on their own: framing facts, split arrival, and refusals. */
class HttpHeadTest {
    private static ByteBuf buf(String s) {
        return Unpooled.copiedBuffer(s, StandardCharsets.ISO_8859_1);
    }

    private static HttpHead request(String s) throws HttpException {
        ByteBuf b = buf(s);
        try {
            int end = new HeadScanner(400).find(b);
            assertEquals(s.length(), end);
            HttpHead h = new HttpHead();
            h.parseRequest(b, 0, end, 100);
            return h;
        } finally {
            b.release();
        }
    }

    @Test
    void requestFramingFacts() throws Exception {
        HttpHead h = request("POST /x?a=1 HTTP/1.1\r\nHost: a\r\ncontent-LENGTH:  12 \r\n"
                + "Connection: keep-alive, Upgrade\r\nUpgrade: websocket\r\n\r\n");
        assertEquals(12, h.contentLength);
        assertEquals(11, h.version);
        assertTrue(h.persistent());
        // An upgrade with a body is not relayed (HttpHead.upgradeRelayed): its fields are hop-by-hop.
        assertFalse(h.upgradeRequest());
        assertTrue(h.hopByHop);
        assertTrue(request("GET / HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n")
                .upgradeRequest());
        assertEquals("/x?a=1", h.target());
        assertEquals(4, h.fields);
        assertEquals("12", h.value(1));
        HttpHead c = request("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: Chunked \r\n\r\n");
        assertTrue(c.chunked);
        // In a request, no coding may come before chunked (a server that frames only a lone
        // chunked would not read this body as one): 501, as from nginx.
        assertEquals(501, assertThrows(HttpException.class, () -> request(
                "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n")).status());
        HttpHead old = request("GET / HTTP/1.0\r\nConnection: close\r\n\r\n");
        assertFalse(old.persistent());
        assertTrue(request("HEAD / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n").methodHead);
    }

    @Test
    void theTargetsFormIsNoted() throws Exception {
        HttpHead abs = request("GET hTTp://h.example:81?q HTTP/1.1\r\nHost: x\r\n\r\n");
        assertTrue(abs.absoluteForm);
        String t = abs.target();
        assertEquals("h.example:81", t.substring(abs.authorityStart - abs.targetStart, abs.authorityEnd - abs.targetStart));
        assertTrue(request("OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n").asteriskForm);
        HttpHead origin = request("GET /a?b HTTP/1.1\r\nHost: a\r\n\r\n");
        assertFalse(origin.absoluteForm || origin.asteriskForm);
    }

    @Test
    void hopByHopFieldsAreNotedAndTheUsualConnectionFieldsAreNot() throws Exception {
        for (String fields : new String[] {"Connection: keep-alive\r\n", "Connection: close\r\n",
                "Connection: keep-alive, Upgrade\r\nUpgrade: websocket\r\n", ""}) {
            assertFalse(request("GET / HTTP/1.1\r\nHost: a\r\n" + fields + "\r\n").hopByHop, fields);
        }
        for (String fields : new String[] {"Connection: close, X-A\r\n", "TE: trailers\r\n", "Keep-Alive: 5\r\n",
                "Proxy-Connection: keep-alive\r\n", "Upgrade: h2c\r\n", "Connection: upgrade\r\n"}) {
            assertTrue(request("GET / HTTP/1.1\r\nHost: a\r\n" + fields + "\r\n").hopByHop, fields);
        }
    }

    /** Up to 18 digits after any number of leading zeros; a list on one line is refused. */
    @Test
    void aContentLengthMayHaveLeadingZeros() throws Exception {
        assertEquals(5, request("PUT / HTTP/1.1\r\nHost: a\r\nContent-Length: 0000000000000000000005\r\n\r\n")
                .contentLength);
        assertEquals(999_999_999_999_999_999L, request(
                "PUT / HTTP/1.1\r\nHost: a\r\nContent-Length: 0999999999999999999\r\n\r\n").contentLength);
        for (String v : new String[] {"1000000000000000000", "5, 5", "", "+5"}) {
            assertEquals(400, assertThrows(HttpException.class,
                    () -> request("PUT / HTTP/1.1\r\nHost: a\r\nContent-Length: " + v + "\r\n\r\n")).status(), v);
        }
    }

    @Test
    void identicalContentLengthsAreOne() throws Exception {
        assertEquals(3, request("PUT / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nContent-Length: 003\r\n\r\n")
                .contentLength);
    }

    @Test
    void aHeadArrivingByteByByteIsFoundOnce() throws Exception {
        feedByteByByte(new HeadScanner(400), "GET / HTTP/1.1\r\nHost: a\r\nX: y\r\n\r\n").release();
    }

    /** Feeds {@code s} to {@code scanner} a byte at a time: its end is found with its last byte only. */
    private static ByteBuf feedByteByByte(HeadScanner scanner, String s) throws HttpException {
        ByteBuf b = Unpooled.buffer();
        for (int i = 0; i < s.length(); i++) {
            b.writeByte(s.charAt(i));
            assertEquals(i == s.length() - 1 ? s.length() : -1, scanner.find(b), "after byte " + i);
        }
        return b;
    }

    @Test
    void aResponseHeadWithBareLfLinesIsFoundByteByByteAndRewrittenWithCrlf() throws Exception {
        String s = "HTTP/1.1 200 OK\nX: y\r\nZ: w\n\n";
        HeadScanner scanner = new HeadScanner(502);
        ByteBuf b = feedByteByByte(scanner, s);
        try {
            assertTrue(scanner.bareLf());
            ByteBuf crlf = HeadScanner.withCrlf(b, 0, s.length(), Unpooled.buffer().alloc());
            assertEquals("HTTP/1.1 200 OK\r\nX: y\r\nZ: w\r\n\r\n", crlf.toString(StandardCharsets.ISO_8859_1));
            HttpHead h = new HttpHead();
            h.parseResponse(crlf, 0, crlf.readableBytes(), 10);
            assertEquals(2, h.fields);
            crlf.release();
        } finally {
            b.release();
        }
        ByteBuf lf = buf("GET / HTTP/1.1\nHost: a\n\n");
        assertEquals(400, assertThrows(HttpException.class, () -> new HeadScanner(400).find(lf)).status());
        lf.release();
    }

    /** A response that cannot begin a status line is refused at its first wrong byte, not at its head's end. */
    @Test
    void aResponseNotBeginningWithHttpIsRefusedAtItsFirstWrongByte() throws Exception {
        for (String s : new String[] {"S", "HTTX", "HTTP1", "\r", "HTTp"}) {
            HeadScanner scanner = new HeadScanner(502);
            ByteBuf b = Unpooled.buffer();
            for (int i = 0; i < s.length() - 1; i++) {
                b.writeByte(s.charAt(i));
                assertEquals(-1, scanner.find(b), s + " after byte " + i);
            }
            b.writeByte(s.charAt(s.length() - 1));
            assertEquals(502, assertThrows(HttpException.class, () -> scanner.find(b), s).status());
            b.release();
        }
    }

    @Test
    void responses() throws Exception {
        HttpHead h = new HttpHead();
        ByteBuf b = buf("HTTP/1.1 204\r\nX: y\r\n\r\n");
        h.parseResponse(b, 0, b.readableBytes(), 10);
        assertEquals(204, h.status);
        b.release();
        // A response's body ends at the client, which decodes it: its codings are its own.
        ByteBuf coded = buf("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n");
        h.parseResponse(coded, 0, coded.readableBytes(), 10);
        assertTrue(h.chunked);
        coded.release();
        ByteBuf bad = buf("HTTP/1.1 20 OK\r\n\r\n");
        HttpException e = assertThrows(HttpException.class, () -> h.parseResponse(bad, 0, bad.readableBytes(), 10));
        assertEquals(502, e.status());
        bad.release();
        // Refused field lines say how they are wrong in the close line (probe CB).
        for (String[] c : new String[][] {{"X: a\r\n  b", "folded header line (obs-fold)"},
                {"X : a", "white space before a header field's colon"}, {"X\u00e9: a", "malformed header field"}}) {
            ByteBuf f = buf("HTTP/1.1 200 OK\r\n" + c[0] + "\r\n\r\n");
            HttpException fe = assertThrows(HttpException.class, () -> h.parseResponse(f, 0, f.readableBytes(), 10));
            assertEquals(502, fe.status());
            assertEquals(c[1], fe.getMessage());
            f.release();
        }
    }

    /**
     * A response's Transfer-Encoding must be a list of tokens, chunked without parameters: one
     * that was not ("chunked\xff", "\"chunked\"", "chunked;q=1") was passed on with its body
     * read to the close, which a client matching "chunked" loosely read as chunked (probe AM).
     * Other codings may have parameters.
     */
    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(strings = {"chunked\u00ff", "\u00ffchunked", "\"chunked\"",
        "chun\u00c3\u00a9ked", "chunked;q=1", "chunked ; q=1", "gzip;q=\u00ff, chunked", "gzip, \"x\""})
    void aTransferEncodingThatIsNoTokenListIsABadGateway(String value) throws Exception {
        ByteBuf b = Unpooled.copiedBuffer("HTTP/1.1 200 OK\r\nTransfer-Encoding: " + value + "\r\n\r\n",
                java.nio.charset.StandardCharsets.ISO_8859_1);
        try {
            HttpException e = assertThrows(HttpException.class, () -> new HttpHead().parseResponse(b, 0, b.readableBytes(), 10));
            assertEquals(502, e.status());
            assertEquals(400, assertThrows(HttpException.class, () -> request("POST / HTTP/1.1\r\nHost: a\r\n"
                    + "Transfer-Encoding: " + value + "\r\n\r\n")).status());
        } finally {
            b.release();
        }
        ByteBuf ok = buf("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip;level=9 , chunked\r\n\r\n");
        HttpHead h = new HttpHead();
        h.parseResponse(ok, 0, ok.readableBytes(), 10);
        assertTrue(h.chunked);
        ok.release();
    }

    @Test
    void anHttp2PrefaceIsRefusedAsAVersionNotAsATarget() {
        HttpException e = assertThrows(HttpException.class, () -> request("PRI * HTTP/2.0\r\n\r\n"));
        assertEquals(505, e.status());
        assertEquals("HTTP/2 connection preface (only HTTP/1 is relayed)", e.getMessage());
        assertEquals(400, assertThrows(HttpException.class, () -> request("GET * HTTP/1.1\r\nHost: a\r\n\r\n"))
                .status());
    }

    @Test
    void refusals() {
        assertEquals(400, assertThrows(HttpException.class,
                () -> request("GET / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Length: 1\r\n\r\n"))
                .status());
        assertEquals(431, assertThrows(HttpException.class, () -> {
            ByteBuf b = buf("GET / HTTP/1.1\r\nHost: a\r\nA: 1\r\nB: 2\r\n\r\n");
            try {
                new HttpHead().parseRequest(b, 0, b.readableBytes(), 2);
            } finally {
                b.release();
            }
        }).status());
        // A field line that starts with a CR is malformed, not the end of the head.
        assertEquals(400, assertThrows(HttpException.class,
                () -> request("GET / HTTP/1.1\r\nHost: a\r\n\rTransfer-Encoding: chunked\r\n\r\n")).status());
        assertEquals(400, assertThrows(HttpException.class,
                () -> request("GET / HTTP/1.1\r\nHost: a\r\n\r\r\nX: y\r\n\r\n")).status());
        HttpHead response = new HttpHead();
        ByteBuf cr = buf("HTTP/1.1 200 OK\r\n\rContent-Length: 5\r\n\r\n");
        assertEquals(502, assertThrows(HttpException.class,
                () -> response.parseResponse(cr, 0, cr.readableBytes(), 10)).status());
        cr.release();
        ByteBuf lf = buf("GET / HTTP/1.1\r\nHost: a\n\r\n");
        assertEquals(400, assertThrows(HttpException.class, () -> new HeadScanner(400).find(lf)).status());
        lf.release();
    }
}
