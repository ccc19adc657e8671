package org.hoststated.relay.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.hoststated.core.config.Action;
import org.hoststated.core.config.Direction;
import org.hoststated.core.config.NodeType;
import org.junit.jupiter.api.Test;

/**
 * Bytes beyond ASCII in a response head (obs-text: ISO-8859-1 file names, raw URLs, opaque
 * cookies) are opaque data to a proxy (RFC 9110 5.5): they reach the client as the server sent
 * them, in the reason phrase, fields, 1xx heads, chunk extensions and trailers, and a response
 * filter reads them as ISO-8859-1 as a request filter does. (A probe saw U+FFFD in their place:
 * its backend had decoded them from the query that told it what to send, not the relay.)
 */
class ObsTextResponseTest {
    /** One byte each on the wire, as the test's sockets write strings in ISO-8859-1. */
    private static final String E = "\u00e9";
    private static final String FF = "\u00ff";

    @Test
    void bytesBeyondAsciiInAResponseHeadReachTheClientAsSent() throws Exception {
        String early = "HTTP/1.1 103 Early\r\nLink: </caf" + E + ">\r\n\r\n";
        String head = "HTTP/1.1 200 D" + E + "j" + E + " vu\r\nX-V: caf" + E + FF + "\r\n"
                + "Content-Disposition: attachment; filename=\"r" + E + "sum" + E + ".pdf\"\r\n"
                + "Transfer-Encoding: chunked\r\n";
        String body = "2;n=" + E + "\r\nok\r\n0\r\nX-D: " + E + FF + "\r\n\r\n";
        try (RawBackend b = new RawBackend(HttpRelayTest.BACKEND, (be, in, out) -> {
            RawBackend.head(in);
            RawBackend.write(out, early + head + "\r\n" + body);
        }); HttpRelayFixture r = HttpRelayFixture.builder().backend(b.address()).start(); RawClient c = r.client()) {
            c.send("GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");
            String got = c.rest();
            assertTrue(got.startsWith(early + head), got);
            assertTrue(got.endsWith("\r\n\r\n" + body), got);
        }
    }

    @Test
    void aResponseFilterReadsAValueBeyondAsciiAsIso88591() throws Exception {
        try (RawBackend b = new RawBackend(HttpRelayTest.BACKEND, (be, in, out) -> {
            for (String h; (h = RawBackend.head(in)) != null; ) {
                String value = h.substring(h.indexOf('/') + 1, h.indexOf(' ', 4));
                RawBackend.write(out, "HTTP/1.1 200 OK\r\nX-Cafe: " + (value.equals("latin") ? "caf" + E
                        : value.equals("upper") ? "CAF\u00c9" : "cafe") + "\r\nContent-Length: 2\r\n\r\nok");
            }
        }); HttpRelayFixture r = HttpRelayFixture.builder().backend(b.address()).returnError(null)
                .node(Direction.RESPONSE, NodeType.HEADER, Action.FILTER, "X-Cafe", "caf\u00e9*").start()) {
            for (String path : new String[] {"latin", "upper"}) {
                try (RawClient c = r.client()) {
                    c.send("GET /" + path + " HTTP/1.1\r\nHost: a\r\n\r\n");
                    assertEquals(502, c.read().status(), path); // a refused response: the manual's 502
                }
            }
            try (RawClient c = r.client()) {
                c.send("GET /plain HTTP/1.1\r\nHost: a\r\n\r\n");
                assertEquals(200, c.read().status());
            }
        }
    }
}
