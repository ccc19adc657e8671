package org.hoststated.relay.http;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/**
 * On epoll a plain client whose {@code Connection: close} request was read as soon as it was
 * accepted is not read again while the request is at the server, so that it never joins the
 * loop's epoll set (one {@code epoll_ctl} less per such session, EpollLoops): its answer still
 * comes and its connection still ends after it, and a client that resets meanwhile ends its
 * session when the answer is written instead of at once.
 */
class CloseRequestOnEpollTest {
    private static final String CLOSE_REQUEST = "GET /x HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n";

    @Test
    void closeRequestsAreAnsweredAndTheirConnectionsEnd() throws Exception {
        try (RawBackend b = new RawBackend(HttpRelayTest.BACKEND, new EchoScript());
                HttpRelayFixture r = HttpRelayFixture.builder().backend(b.address()).start()) {
            for (int i = 0; i < 20; i++) {
                try (RawClient c = r.client()) {
                    c.send(CLOSE_REQUEST);
                    RawClient.Response res = c.read();
                    assertEquals(200, res.status());
                    assertEquals("close", res.header("Connection"));
                    assertEquals(-1, c.in.read(), "the connection ends after the answer");
                }
            }
            HttpSafetyTest.awaitNoSessions(r);
        }
    }

    @Test
    void aClientThatResetsWhileItsCloseRequestWaitsEndsItsSessionWithTheAnswer() throws Exception {
        try (RawBackend b = new RawBackend(HttpRelayTest.BACKEND, CloseRequestOnEpollTest::answerLate);
                HttpRelayFixture r = HttpRelayFixture.builder().backend(b.address()).start()) {
            try (Socket s = new Socket(r.address.getAddress(), r.address.getPort())) {
                s.getOutputStream().write(CLOSE_REQUEST.getBytes(StandardCharsets.US_ASCII));
                b.seen.take();
                s.setSoLinger(true, 0);
            }
            HttpSafetyTest.awaitNoSessions(r);
            try (RawClient c = r.client()) {
                c.send(CLOSE_REQUEST);
                assertEquals(200, c.read().status());
            }
        }
    }

    /** Answers each request half a second late. */
    private static void answerLate(RawBackend b, InputStream in, OutputStream out) throws IOException {
        for (String head; (head = RawBackend.head(in)) != null; ) {
            b.seen.add(head);
            try {
                Thread.sleep(500);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
            RawBackend.write(out, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
        }
    }
}
