package org.hoststated.relay.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/** The chunked body state machine: every split point, the exact end, and what it refuses. */
class ChunkedFramerTest {
    private static final String BODY = "4;name=\"v\"\r\nwiki\r\nA \t; x = 1\r\n0123456789\r\n"
            + "0000000000000000003\r\nabc\r\n0\r\nX-Trailer: t\r\nY: u\r\n\r\n";

    private static int scanAll(ChunkedFramer f, String s, int split) throws HttpException {
        return passOn(f, s, split, null).consumed();
    }

    /** How far the scans went into what was read, and what went on of it. */
    private record Passed(int consumed, String out) {
    }

    /**
     * Scans s as the relay does when it arrives in two reads split at {@code split}: the runs
     * not dropped are passed on, a CR goes where one is owed, and what a scan left (a trailer
     * field's name cut by the split) is scanned again with the second read. Stops at the
     * body's end or when the scans go no further.
     */
    private static Passed passOn(ChunkedFramer f, String s, int split, ChunkedFramer.Data data) throws HttpException {
        ByteBuf b = Unpooled.copiedBuffer(s, StandardCharsets.ISO_8859_1);
        StringBuilder out = new StringBuilder();
        try {
            int at = 0;
            int to = split;
            while (!f.done()) {
                int n = f.scan(b, at, to, data);
                if (!f.dropped()) {
                    out.append(b.toString(at, n, StandardCharsets.ISO_8859_1));
                }
                at += n;
                if (f.crOwed()) {
                    out.append('\r');
                } else if (n == 0 || at == to) {
                    if (to == b.writerIndex()) {
                        break;
                    }
                    to = b.writerIndex();
                }
            }
            return new Passed(at, out.toString());
        } finally {
            b.release();
        }
    }

    @Test
    void everySplitPointEndsExactlyAfterTheTrailers() throws Exception {
        String next = "GET / HTTP/1.1\r\n";
        for (int split = 0; split <= BODY.length(); split++) {
            ChunkedFramer f = new ChunkedFramer(400, 1024, false).reset();
            assertEquals(BODY.length(), scanAll(f, BODY + next, split), "split at " + split);
            assertTrue(f.done());
        }
    }

    /** What an HTTP/1.0 client gets of a chunked body: its data alone, whatever the splits. */
    @Test
    void everySplitPointGivesTheDataAlone() throws Exception {
        for (int split = 0; split <= BODY.length(); split++) {
            ChunkedFramer f = new ChunkedFramer(502, 1024, true).reset();
            StringBuilder data = new StringBuilder();
            ChunkedFramer.Data out = (b, from, to) -> data.append(b.toString(from, to - from, StandardCharsets.ISO_8859_1));
            assertEquals(BODY.length(), passOn(f, BODY, split, out).consumed());
            assertTrue(f.done());
            assertEquals("wiki0123456789abc", data.toString(), "split at " + split);
        }
    }

    @Test
    void anEmptyBody() throws Exception {
        ChunkedFramer f = new ChunkedFramer(400, 1024, false).reset();
        assertEquals(5, scanAll(f, "0\r\n\r\n", 2));
        assertTrue(f.done());
        ChunkedFramer g = new ChunkedFramer(400, 1024, false).reset();
        assertEquals(4, scanAll(g, "0\r\n\r", 4));
        assertFalse(g.done());
    }

    @ParameterizedTest
    @ValueSource(strings = {"x\r\n", "\r\n", " 5\r\n", "-1\r\n", "5\n", "5\r\nabcdeX", "1000000000000000\r\n",
            "0\r\n folded: x\r\n\r\n", "0\r\nbad name: x\r\n\r\n", "0\r\nX: a\u0001b\r\n\r\n", "3;e\u0000\r\n",
            "0\r\nX: y\n\r\n", "5 \r\nabcde\r\n", "5\t\r\n", "5 x\r\n", "00000001000000000000000\r\n"})
    void refuses(String body) {
        assertRefusedInARequest(body);
    }

    /**
     * A request's chunk extensions follow RFC 9112 7.1.1, since they pass on as they came: a
     * server that reads a quoted string on past the line's end (the "Funky Chunks" quoted
     * string cases; Netty before 4.1.132) or ends it at an escaped quote would find another
     * end of the line, and so other chunks, than the relay.
     */
    @ParameterizedTest
    @ValueSource(strings = {"2;a=\"x\r\nok\r\n0\r\n\r\n", "2;a=\"x\\\"\r\nok\r\n", "2;a=\"\\\";b\"\r\nok\r\n",
            "2;a b\r\nok\r\n", "2;\r\nok\r\n", "2;=1\r\nok\r\n", "2;a=\r\nok\r\n", "2;a=\"x\"y\r\nok\r\n",
            "2;a=@\r\nok\r\n", "2;a;\r\nok\r\n", "2;a=\"x\ty\u0001\"\r\nok\r\n", "2;a=b=c\r\nok\r\n"})
    void refusesARequestsMalformedChunkExtensions(String body) {
        assertRefusedInARequest(body);
    }

    private static void assertRefusedInARequest(String body) {
        ChunkedFramer f = new ChunkedFramer(400, 1024, false).reset();
        ByteBuf b = Unpooled.copiedBuffer(body, StandardCharsets.ISO_8859_1);
        try {
            assertEquals(400, assertThrows(HttpException.class, () -> f.scan(b, 0, b.writerIndex())).status());
        } finally {
            b.release();
        }
    }

    @Test
    void takesWellFormedChunkExtensionsAndAResponsesOthers() throws Exception {
        String body = "2;a;b=c ; d = \"q;r= \t\u00e9\" ;e\r\nok\r\n0;last=\"\"\r\n\r\n";
        for (int split = 0; split <= body.length(); split++) {
            ChunkedFramer f = new ChunkedFramer(400, 1024, false).reset();
            assertEquals(body.length(), scanAll(f, body, split), "split at " + split);
            assertTrue(f.done());
        }
        // A response's extensions end at its client, which ignores them: legacy servers' are taken.
        String loose = "2;a b=\"x\r\nok\r\n0\r\n\r\n";
        ChunkedFramer r = new ChunkedFramer(502, 1024, true).reset();
        assertEquals(loose.length(), scanAll(r, loose, 3));
        assertTrue(r.done());
    }

    @Test
    void leadingZerosDoNotCountAgainstTheSizeBound() throws Exception {
        ChunkedFramer f = new ChunkedFramer(400, 1024, false).reset();
        String body = "0000000000000005\r\nabcde\r\n00fffffffffffff\r\n";
        assertEquals(body.length(), scanAll(f, body, 3));
        assertFalse(f.done());
    }

    /** Review CI: sizes stay under 2^52, which a server keeping numbers as doubles reads exactly. */
    @Test
    void aSizeOf2To52IsRefused() {
        ChunkedFramer f = new ChunkedFramer(400, 1024, false).reset();
        assertEquals(400, assertThrows(HttpException.class, () -> scanAll(f, "10000000000000\r\n", 3)).status());
    }

    /**
     * A response's sizes may be padded (legacy servers do): taken, and the padding dropped at
     * every split point, since strict clients refuse it; a bare LF after it still owes its CR.
     */
    @Test
    void aResponsesSizesMayBePaddedAndGoOnWithoutIt() throws Exception {
        String body = "5 \r\nabcde\r\n3\t \r\nabc\r\n2 \t;x=1\r\nok\r\n1  \nz\r\n0  \r\n\r\n";
        String sent = "5\r\nabcde\r\n3\r\nabc\r\n2;x=1\r\nok\r\n1\r\nz\r\n0\r\n\r\n";
        assertPassedOnAtEverySplit(true, body, "HTTP", sent);
    }

    /**
     * A response's lines ended by a bare LF: at every split point the scan stops before each
     * such LF, and with a CR put there the bytes are the body with CRLF lines. A request's are
     * refused ({@link #refuses}).
     */
    @Test
    void aResponsesBareLfLinesOweACrAtEverySplitPoint() throws Exception {
        String lf = "4;name=\"v\"\nwiki\nA \t\n0123456789\r\n3\r\nabc\n0\nX-Trailer: t\nY: u\r\n\n";
        String crlf = "4;name=\"v\"\r\nwiki\r\nA\r\n0123456789\r\n3\r\nabc\r\n0\r\nX-Trailer: t\r\nY: u\r\n\r\n";
        assertPassedOnAtEverySplit(true, lf, "GET", crlf);
    }

    /**
     * {@code body}, followed by {@code next}, read in two parts split at every point: the scans
     * end exactly at the body's end, and what they pass on is {@code out}.
     */
    private static void assertPassedOnAtEverySplit(boolean response, String body, String next, String out)
            throws HttpException {
        for (int split = 0; split <= body.length(); split++) {
            ChunkedFramer f = new ChunkedFramer(response ? 502 : 400, 1024, response).reset();
            Passed p = passOn(f, body + next, split, null);
            assertTrue(f.done(), "split at " + split);
            assertEquals(body.length(), p.consumed(), "split at " + split);
            assertEquals(out, p.out(), "split at " + split);
        }
    }

    private static final String CHUNKS = "3\r\nabc\r\n0\r\n";
    /** Trailer fields that do not belong there (RFC 9110 6.5.1), among ones that do. */
    private static final String TRAILERS = "X-Checksum: 1\r\nHost: evil\r\nX-Forwarded-For: 6.6.6.6\r\n"
            + "authorization: Basic eDp5\r\nContent_Length: 5\r\nServer-Timing: db;dur=5\r\n"
            + "If-None-Match: *\r\nTransfer-Encoding: chunked\r\nCookie: s=1\r\nContent-Type: text/x\r\n"
            + "Connection: close\r\nX-Forwarded-By: 10.0.0.1\r\nDigest: sha-256=x\r\n\r\n";
    private static final String KEPT = "X-Checksum: 1\r\nServer-Timing: db;dur=5\r\nDigest: sha-256=x\r\n\r\n";

    /**
     * A trailer field a server that merges trailers into the head would take for a routing,
     * framing or authentication field, or for the X-Forwarded-For the relay appended, is
     * removed, whichever read its bytes come in; the other fields and the rest of the body pass
     * byte for byte, and the scan ends exactly at the body's end.
     */
    @Test
    void removesFieldsThatDoNotBelongInTrailersAtEverySplitPoint() throws Exception {
        String body = CHUNKS + TRAILERS;
        for (boolean response : new boolean[] {false, true}) {
            assertPassedOnAtEverySplit(response, body, "GET / HTTP/1.1\r\n", CHUNKS + KEPT);
        }
    }

    /** A removed line ended by a bare LF owes no CR; the kept ones around it still get theirs. */
    @Test
    void aResponsesRemovedBareLfTrailerLinesGoWhole() throws Exception {
        String lf = "3\nabc\n0\nX-A: 1\nSet-Cookie: s=1\nHost: h\r\nX-B: 2\n\n";
        for (int split = 0; split <= lf.length(); split++) {
            ChunkedFramer f = new ChunkedFramer(502, 1024, true).reset();
            Passed p = passOn(f, lf, split, null);
            assertTrue(f.done(), "split at " + split);
            assertEquals("3\r\nabc\r\n0\r\nX-A: 1\r\nX-B: 2\r\n\r\n", p.out(), "split at " + split);
        }
    }

    @Test
    void aTrailerSectionOfRemovedFieldsAloneBecomesNone() throws Exception {
        ChunkedFramer f = new ChunkedFramer(400, 1024, false).reset();
        Passed p = passOn(f, "0\r\nHost: a\r\nX-Forwarded-For: b\r\n\r\n", 5, null);
        assertTrue(f.done());
        assertEquals("0\r\n\r\n", p.out());
    }

    /** The names the direction's header actions act on go too, with _ for - as well. */
    @Test
    void removesTheFieldsHeaderActionsActOn() throws Exception {
        TrailerFields configured = new TrailerFields(java.util.List.of("X-Api-Key"));
        String body = "0\r\nX-Api-Key: k\r\nx_api_key: k\r\nX-Api-Keys: k\r\n\r\n";
        ChunkedFramer f = new ChunkedFramer(400, 1024, 100, false, configured).reset();
        assertEquals("0\r\nX-Api-Keys: k\r\n\r\n", passOn(f, body, 9, null).out());
        ChunkedFramer builtIn = new ChunkedFramer(400, 1024, false).reset();
        assertEquals(body, passOn(builtIn, body, 9, null).out());
    }

    /**
     * A trailer name that does not end in what was read is kept by the caller for the next
     * read: the look-ahead counts it against the bound, so those bytes cannot grow without end.
     */
    @Test
    void aTrailerNameWaitingForItsEndIsBounded() throws Exception {
        ChunkedFramer f = new ChunkedFramer(400, 16, false).reset();
        ByteBuf b = Unpooled.copiedBuffer("0\r\nX-Name-Going-On-And-On", StandardCharsets.ISO_8859_1);
        try {
            assertEquals(3, f.scan(b, 0, 10));
            assertEquals(0, f.scan(b, 3, 10));
            assertFalse(f.done());
            assertEquals(400, assertThrows(HttpException.class, () -> f.scan(b, 3, b.writerIndex())).status());
        } finally {
            b.release();
        }
    }

    @Test
    void trailersAreBounded() {
        ChunkedFramer f = new ChunkedFramer(502, 16, true).reset();
        ByteBuf b = Unpooled.copiedBuffer("0\r\nX-Long: 0123456789abcdef\r\n\r\n", StandardCharsets.ISO_8859_1);
        try {
            assertEquals(502, assertThrows(HttpException.class, () -> f.scan(b, 0, b.writerIndex())).status());
        } finally {
            b.release();
        }
    }

    /**
     * A trailer section holds at most as many fields as a head (100): a server that merges
     * trailers into the header section took 1000 (probe U). Both directions.
     */
    @Test
    void trailerFieldsAreCountedAsAHeadsAre() throws Exception {
        String hundred = "X-a: v\r\n".repeat(100);
        for (boolean response : new boolean[] {true, false}) {
            int bad = response ? 502 : 400;
            assertEquals(("0\r\n" + hundred + "\r\n").length(),
                    scanAll(new ChunkedFramer(bad, 16 * 1024, response).reset(), "0\r\n" + hundred + "\r\n", 0));
            ChunkedFramer f = new ChunkedFramer(bad, 16 * 1024, response).reset();
            ByteBuf b = Unpooled.copiedBuffer("0\r\n" + hundred + "X-b: w\r\n\r\n", StandardCharsets.ISO_8859_1);
            try {
                HttpException e = assertThrows(HttpException.class, () -> f.scan(b, 0, b.writerIndex()));
                assertEquals(bad, e.status());
                assertEquals("too many trailer fields", e.getMessage());
            } finally {
                b.release();
            }
        }
    }
}
