package org.hoststated.relay.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import org.junit.jupiter.api.Test;

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
     * client learns that its request failed instead of seeing its connection close.
     */
    @Test
    void aServerThatClosesAfter100ContinueIsABadGateway() throws Exception {
        try (RawBackend b = new RawBackend(HttpRelayTest.BACKEND, HttpPeerTest::continueThenClose);
                HttpRelayFixture r = HttpRelayFixture.builder().backend(b.address()).start(); RawClient c = r.client()) {
            c.send("POST / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\nhi");
            assertEquals(100, c.read().status());
            RawClient.Response last = c.read();
            assertEquals(502, last.status(), last.head());
            assertTrue(c.closed());
        }
    }
}
