package org.hoststated.relay.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A relay replaced by a reload: its keep-alive sessions end between exchanges, so their clients
 * reconnect to the new generation (its rules and hosts) instead of going on with the old one;
 * responses say Connection: close where they can, no request is cut and no client is closed
 * before its first answer.
 */
class HttpRetireTest {
    /** Answers each request after {@code /slow} waits 500 ms. */
    private static void slowOnRequest(RawBackend b, InputStream in, OutputStream out) throws IOException {
        for (String head; (head = RawBackend.head(in)) != null; ) {
            if (head.startsWith("GET /slow")) {
                try {
                    Thread.sleep(500);
                } catch (InterruptedException e) {
                    return;
                }
            }
            RawBackend.write(out, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
        }
    }

    @Test
    void anIdleKeepAliveSessionEndsWhenItStaysIdle() throws Exception {
        try (RawBackend b = new RawBackend(HttpRelayTest.BACKEND, HttpRetireTest::slowOnRequest);
                HttpRelayFixture r = HttpRelayFixture.builder().backend(b.address()).start(); RawClient c = r.client()) {
            c.send("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
            assertEquals(200, c.read().status());
            long t0 = System.nanoTime();
            r.retire();
            assertTrue(c.closed());
            long ms = (System.nanoTime() - t0) / 1_000_000;
            assertTrue(ms >= HttpFrontendHandler.RETIRE_IDLE_MS - 100 && ms < 5000, "closed after " + ms + " ms");
        }
    }

    /** A client that sends its next request just after the reload gets it answered, with Connection: close. */
    @Test
    void aRequestRightAfterTheReloadIsAnsweredAndEndsTheSession() throws Exception {
        try (RawBackend b = new RawBackend(HttpRelayTest.BACKEND, HttpRetireTest::slowOnRequest);
                HttpRelayFixture r = HttpRelayFixture.builder().backend(b.address()).start(); RawClient c = r.client()) {
            c.send("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
            assertEquals(200, c.read().status());
            r.retire();
            c.send("GET /next HTTP/1.1\r\nHost: a\r\n\r\n");
            RawClient.Response next = c.read();
            assertEquals(200, next.status());
            assertEquals("close", next.header("Connection"));
            assertTrue(c.closed());
        }
    }

    @Test
    void aSessionInAnExchangeEndsAfterItsResponse() throws Exception {
        try (RawBackend b = new RawBackend(HttpRelayTest.BACKEND, HttpRetireTest::slowOnRequest);
                HttpRelayFixture r = HttpRelayFixture.builder().backend(b.address()).start(); RawClient c = r.client()) {
            c.send("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
            assertEquals(200, c.read().status());
            c.send("GET /slow HTTP/1.1\r\nHost: a\r\n\r\n");
            BackendReuseTest.await("the request at the server", () -> b.connections.get() == 1 && r.context.sessions().size() == 1);
            Thread.sleep(100);
            r.retire();
            RawClient.Response last = c.read();
            assertEquals(200, last.status());
            assertEquals("ok", last.text());
            assertEquals("close", last.header("Connection"), "the client knows not to send more");
            assertTrue(c.closed());
        }
    }

    /**
     * A request the client sent before it read the response that says Connection: close (one
     * pipelined behind it, or sent by a client that ignores the close) is not served: the old
     * generation's rules and hosts would answer it (a filter the reload added would not apply),
     * and RFC 9112 9.6 forbids it. The session ends with a FIN after that response, so the
     * client resends the request on a new connection, to the new generation.
     */
    @Test
    void aRequestPipelinedBehindTheClosingResponseIsNotServed() throws Exception {
        CountDownLatch answer = new CountDownLatch(1);
        RawBackend.Script held = (b, in, out) -> {
            for (String head; (head = RawBackend.head(in)) != null; ) {
                b.seen.add(head.substring(0, head.indexOf('\r')));
                if (head.startsWith("GET /held")) {
                    try {
                        answer.await();
                    } catch (InterruptedException e) {
                        return;
                    }
                }
                RawBackend.write(out, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
            }
        };
        try (RawBackend b = new RawBackend(HttpRelayTest.BACKEND, held);
                HttpRelayFixture r = HttpRelayFixture.builder().backend(b.address()).start(); RawClient c = r.client()) {
            c.send("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
            assertEquals(200, c.read().status());
            c.send("GET /held HTTP/1.1\r\nHost: a\r\n\r\nGET /old-rules HTTP/1.1\r\nHost: a\r\n\r\n");
            BackendReuseTest.await("the request at the server", () -> b.seen.contains("GET /held HTTP/1.1"));
            r.retire();
            // The retire runs on the session's loop: once a task queued after it has run, the
            // response the server is holding is known to end the client's connection.
            r.context.sessions().iterator().next().eventLoop().submit(() -> { }).get(10, TimeUnit.SECONDS);
            answer.countDown();
            RawClient.Response last = c.read();
            assertEquals(200, last.status());
            assertEquals("close", last.header("Connection"));
            assertEquals("", c.rest(), "nothing after the response that said close");
            assertFalse(b.seen.contains("GET /old-rules HTTP/1.1"), "the server got the pipelined request: " + b.seen);
        }
    }

    @Test
    void aClientThatHasNotAskedYetIsStillAnswered() throws Exception {
        try (RawBackend b = new RawBackend(HttpRelayTest.BACKEND, HttpRetireTest::slowOnRequest);
                HttpRelayFixture r = HttpRelayFixture.builder().backend(b.address()).start(); RawClient c = r.client()) {
            BackendReuseTest.await("the session", () -> r.context.sessions().size() == 1);
            r.retire();
            Thread.sleep(100);
            c.send("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
            RawClient.Response first = c.read();
            assertEquals(200, first.status());
            assertEquals("close", first.header("Connection"));
            assertTrue(c.closed());
        }
    }

    /**
     * The engine stopping: a keep-alive session between exchanges gets a FIN, which its client
     * answers by reconnecting; one whose response is under way gets a reset, so that its client
     * does not take the part it got for the whole.
     */
    @Test
    void aStopClosesAnIdleSessionAndResetsOneUnderWay() throws Exception {
        RawBackend.Script halfBody = (b, in, out) -> {
            for (String head; (head = RawBackend.head(in)) != null; ) {
                if (head.startsWith("GET /cut")) {
                    RawBackend.write(out, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nhalf");
                } else {
                    RawBackend.write(out, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
                }
            }
        };
        try (RawBackend b = new RawBackend(HttpRelayTest.BACKEND, halfBody);
                HttpRelayFixture r = HttpRelayFixture.builder().backend(b.address()).start();
                RawClient idle = r.client(); RawClient cut = r.client()) {
            idle.send("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
            assertEquals(200, idle.read().status());
            cut.send("GET /cut HTTP/1.1\r\nHost: a\r\n\r\n");
            Thread.sleep(300); // the half response reaches the client
            r.stopSessions();
            assertTrue(!idle.reset(), "the idle session got a reset, not a FIN");
            assertTrue(cut.reset(), "the session under way got a FIN, not a reset");
        }
    }
}
