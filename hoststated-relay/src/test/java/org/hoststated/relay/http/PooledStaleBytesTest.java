package org.hoststated.relay.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.hoststated.relay.RelayTransport;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Bytes a server sends on a parked (pooled) connection answer no request, even when the relay's
 * worker loop learns of them in the same batch of I/O events as a new client's request that
 * would take that connection. Found by the framing fuzzer under load (a late loop): the request
 * was written on the parked connection, the stale bytes read as its response, and every later
 * response on that connection went to the client after the one that asked for it.
 */
class PooledStaleBytesTest {
    static final String BACKEND = "127.0.7.10";

    /**
     * Answers each request of a connection with "for " and its request line; a request whose
     * line holds "slow" is answered after 300 ms (so that the next client could take the
     * connection meanwhile, were it parked).
     */
    static final RawBackend.Script ANSWER_EACH = (b, in, out) -> {
        for (String head; (head = RawBackend.head(in)) != null; ) {
            String line = head.substring(0, head.indexOf('\r'));
            if (line.contains("slow")) {
                try {
                    Thread.sleep(300);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
            String body = "for " + line;
            RawBackend.write(out, "HTTP/1.1 200 OK\r\nContent-Length: " + body.length() + "\r\n\r\n" + body);
        }
    };

    static String get(String path) {
        return "GET " + path + " HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n";
    }

    @ParameterizedTest
    @ValueSource(strings = {"epoll", "io_uring"})
    void staleBytesOnAParkedConnectionInTheRequestsBatchAreNeverItsResponse(String transport) throws Exception {
        RelayTransport t = HttpPeerTest.transport(transport);
        try (RawBackend b = new RawBackend(BACKEND, ANSWER_EACH);
                HttpRelayFixture r = HttpRelayFixture.builder().transport(t).backend(b.address()).start()) {
            String secondGot;
            String thirdGot;
            try (RawClient a = r.client()) {
                a.send(get("/a"));
                assertEquals("for GET /a HTTP/1.1", a.read().text());
            }
            BackendReuseTest.await("the connection is parked", () -> r.idleBackends() == 1 && r.active() == 0);
            try (RawClient second = r.client()) {
                BackendReuseTest.await("the second session is open", () -> r.active() == 1);
                // The loop is late: the request, then the stale response, both wait for it.
                holdTheLoop(r);
                second.send(get("/b-slow"));
                Thread.sleep(20);
                Socket parked = b.sockets.get(0);
                OutputStream out = parked.getOutputStream();
                RawBackend.write(out, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nSTALE");
                secondGot = second.read().text();
            }
            // Whatever connection is parked now, the next client gets its own answer.
            try (RawClient third = r.client()) {
                third.send(get("/c"));
                thirdGot = third.read().text();
            }
            String got = secondGot + ", then " + thirdGot;
            assertEquals("for GET /b-slow HTTP/1.1, then for GET /c HTTP/1.1", got);
        }
    }

    /**
     * The same within one keep-alive session: the client's next request and bytes the server
     * sent on the session's idle connection in one batch. The request goes over a fresh
     * connection, and the session's later requests get their own answers.
     */
    @ParameterizedTest
    @ValueSource(strings = {"epoll", "io_uring"})
    void staleBytesOnTheSessionsIdleConnectionInTheNextRequestsBatchAreNeverItsResponse(String transport)
            throws Exception {
        RelayTransport t = HttpPeerTest.transport(transport);
        try (RawBackend b = new RawBackend(BACKEND, ANSWER_EACH);
                HttpRelayFixture r = HttpRelayFixture.builder().transport(t).backend(b.address()).start();
                RawClient c = r.client()) {
            c.send("GET /a HTTP/1.1\r\nHost: a\r\n\r\n");
            assertEquals("for GET /a HTTP/1.1", c.read().text());
            holdTheLoop(r);
            c.send("GET /b-slow HTTP/1.1\r\nHost: a\r\n\r\n");
            Thread.sleep(20);
            RawBackend.write(b.sockets.get(0).getOutputStream(), "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nSTALE");
            String second = c.read().text();
            c.send("GET /c HTTP/1.1\r\nHost: a\r\n\r\n");
            String third = c.read().text();
            assertEquals("for GET /b-slow HTTP/1.1, then for GET /c HTTP/1.1", second + ", then " + third);
        }
    }

    /**
     * Bytes that come after the last response of a pipelined series, in a read of their own,
     * answer nothing: the connection is closed, never parked for the next session.
     */
    @ParameterizedTest
    @ValueSource(strings = {"epoll", "io_uring"})
    void bytesAfterTheLastPipelinedResponseKeepTheConnectionOutOfThePool(String transport) throws Exception {
        RelayTransport t = HttpPeerTest.transport(transport);
        CountDownLatch answered = new CountDownLatch(1);
        RawBackend.Script script = (b, in, out) -> {
            for (int i = 0; i < 2; i++) {
                String head = RawBackend.head(in);
                if (head == null) {
                    return;
                }
                String body = "for " + head.substring(0, head.indexOf('\r'));
                RawBackend.write(out, "HTTP/1.1 200 OK\r\nContent-Length: " + body.length() + "\r\n\r\n" + body);
            }
            try {
                answered.await(5, TimeUnit.SECONDS);
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            RawBackend.write(out, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nSTRAY");
            drain(in);
        };
        try (RawBackend b = new RawBackend(BACKEND, script);
                HttpRelayFixture r = HttpRelayFixture.builder().transport(t).backend(b.address()).start()) {
            try (RawClient c = r.client()) {
                c.send("GET /1 HTTP/1.1\r\nHost: a\r\n\r\nGET /2 HTTP/1.1\r\nHost: a\r\n\r\n");
                assertEquals("for GET /1 HTTP/1.1", c.read().text());
                assertEquals("for GET /2 HTTP/1.1", c.read().text());
                answered.countDown();
                Thread.sleep(150);
            }
            BackendReuseTest.await("the session ended", () -> r.active() == 0);
            assertEquals(0, r.idleBackends());
            try (RawClient c = r.client()) {
                c.send(get("/3"));
                assertEquals("for GET /3 HTTP/1.1", c.read().text());
            }
            assertEquals(2, b.connections.get());
        }
    }

    private static void drain(InputStream in) throws IOException {
        while (in.read() >= 0) {
            // The relay must send nothing more here; the test sees it if it does.
        }
    }

    /** Keeps the relay's (one) worker loop busy for 200 ms from now, as a descheduled loop would be. */
    private static void holdTheLoop(HttpRelayFixture r) throws InterruptedException {
        CountDownLatch held = new CountDownLatch(1);
        r.workers.next().execute(() -> {
            held.countDown();
            try {
                Thread.sleep(200);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        assertTrue(held.await(5, TimeUnit.SECONDS));
    }
}
