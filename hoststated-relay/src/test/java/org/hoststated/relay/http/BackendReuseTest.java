package org.hoststated.relay.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import org.hoststated.core.config.Action;
import org.hoststated.core.config.Direction;
import org.hoststated.core.config.Mode;
import org.hoststated.core.config.NodeType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Backend connections reused across client sessions ({@link BackendPool}), and a request
 * resent when the server closed a reused connection just as it arrived, against real backends
 * that count their connections.
 */
class BackendReuseTest {
    static final String BACKEND = "127.21.0.10";
    static final String BACKEND2 = "127.21.0.11";
    static final String CLOSE = "GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n";

    /** An echo backend that counts connections ended (by either side). */
    static final class CountingEcho implements RawBackend.Script {
        final AtomicInteger ended = new AtomicInteger();

        @Override
        public void serve(RawBackend b, InputStream in, OutputStream out) throws IOException {
            try {
                new EchoScript().serve(b, in, out);
            } finally {
                ended.incrementAndGet();
            }
        }
    }

    static void await(String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                fail("timed out waiting until " + what);
            }
            Thread.sleep(5);
        }
    }

    @Test
    void bytesAfterACompleteResponseRetireTheConnectionAndThePipelinedRequestGoesOnAFreshOne() throws Exception {
        // A server that sends 5 bytes more than its Content-Length on its first connection.
        RawBackend.Script script = (b, in, out) -> {
            if (b.connections.get() > 1) {
                new EchoScript().serve(b, in, out);
                return;
            }
            if (RawBackend.head(in) != null) {
                RawBackend.write(out, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhelloEXTRA");
                out.flush();
            }
            while (in.read() >= 0) {
                // Whatever else comes (the relay must not send it here) is not answered.
            }
        };
        try (RawBackend b = new RawBackend(BACKEND, script); HttpRelayFixture r = HttpRelayFixture.builder()
                .backend(b.address()).start(); RawClient c = r.client()) {
            c.send("GET /1 HTTP/1.1\r\nHost: a\r\n\r\nGET /2 HTTP/1.1\r\nHost: a\r\n\r\n");
            RawClient.Response first = c.read();
            assertEquals(200, first.status());
            assertEquals("hello", first.text());
            RawClient.Response second = c.read();
            assertEquals(200, second.status());
            assertTrue(second.text().startsWith("GET /2 HTTP/1.1\r\n"), second.text());
            assertEquals(2, b.connections.get());
        }
    }

    @Test
    void clientsThatCloseShareOneBackendConnectionWhichTheServerIsAskedToKeep() throws Exception {
        try (RawBackend b = new RawBackend(BACKEND, new EchoScript());
                HttpRelayFixture r = HttpRelayFixture.builder().backend(b.address()).start()) {
            for (int i = 0; i < 3; i++) {
                try (RawClient c = r.client()) {
                    c.send(CLOSE);
                    RawClient.Response res = c.read();
                    assertEquals(200, res.status());
                    assertEquals("close", res.header("Connection"));
                    assertEquals("GET / HTTP/1.1\r\nHost: a\r\nConnection: keep-alive\r\n\r\n", res.text());
                    assertTrue(c.closed());
                }
            }
            // HTTP/1.0 without keep-alive, and a keep-alive client that just goes away.
            try (RawClient c = r.client()) {
                c.send("GET /ten HTTP/1.0\r\n\r\n");
                RawClient.Response res = c.read();
                assertEquals("GET /ten HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", res.text());
                assertEquals("close", res.header("Connection"));
                assertTrue(c.closed());
            }
            try (RawClient c = r.client()) {
                c.send(HttpRelayTest.GET);
                assertEquals(200, c.read().status());
            }
            try (RawClient c = r.client()) {
                // The field the client named as hop-by-hop goes no further than the relay.
                c.send("GET /x HTTP/1.1\r\nHost: a\r\nConnection: close, X-Hop\r\nX-Hop: 1\r\n\r\n");
                assertEquals("GET /x HTTP/1.1\r\nHost: a\r\nConnection: keep-alive\r\n\r\n", c.read().text());
            }
            assertEquals(1, b.connections.get());
        }
    }

    /**
     * A server that, as IIS with NTLM or Apache with a connection-bound Negotiate, logs the
     * connection in: after a request with credentials it serves the later ones on that
     * connection without them; else it challenges, naming {@code scheme}.
     */
    static RawBackend.Script connectionLogin(String scheme) {
        return (b, in, out) -> {
            boolean loggedIn = false;
            for (String head; (head = RawBackend.head(in)) != null; ) {
                loggedIn |= head.contains("\r\nAuthorization: ");
                String body = loggedIn ? "private" : "login required";
                RawBackend.write(out, (loggedIn ? "HTTP/1.1 200 OK\r\n" : "HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: "
                        + scheme + "\r\n") + "Content-Length: " + body.length() + "\r\n\r\n" + body);
            }
        };
    }

    /** Probe AX: bob, on a connection of his own, got the page of alice, whose login the parked connection kept. */
    @ParameterizedTest
    @ValueSource(strings = {"NTLM", "Negotiate", "Basic realm=\"x\", NTLM"})
    void aConnectionItsServerLoggedInIsNeverGivenToAnotherClient(String scheme) throws Exception {
        try (RawBackend b = new RawBackend(BACKEND, connectionLogin(scheme));
                HttpRelayFixture r = HttpRelayFixture.builder().backend(b.address()).start()) {
            try (RawClient alice = r.client()) {
                // The challenge alone binds the connection: the handshake goes on over it.
                alice.send(HttpRelayTest.GET);
                assertEquals(401, alice.read().status());
                alice.send("GET / HTTP/1.1\r\nHost: a\r\nAuthorization: " + scheme.replaceAll(".* ", "") + " alice\r\n\r\n");
                assertEquals("private", alice.read().text());
                alice.send(CLOSE);
                assertEquals("private", alice.read().text());
            }
            try (RawClient bob = r.client()) {
                bob.send(CLOSE);
                assertEquals("login required", bob.read().text());
            }
            assertEquals(2, b.connections.get());
        }
    }

    /**
     * A bound connection wins over a request's hash too: with {@code hash} rules on a
     * loadbalance table, a leg of the handshake whose hashed header named the other host went
     * there, on a connection that had not seen the first leg (review CC).
     */
    @Test
    void aBoundConnectionStaysWhenARequestsHashNamesAnotherHost() throws Exception {
        try (RawBackend b1 = new RawBackend(BACKEND, connectionLogin("NTLM"));
                RawBackend b2 = new RawBackend(BACKEND2, connectionLogin("NTLM"));
                HttpRelayFixture r = HttpRelayFixture.builder().backend(b1.address()).backend(b2.address())
                        .table(Mode.LOADBALANCE).node(Direction.REQUEST, NodeType.HEADER, Action.HASH, "X-User", null)
                        .start();
                RawClient alice = r.client()) {
            alice.send("GET / HTTP/1.1\r\nHost: a\r\nX-User: user0\r\n\r\n");
            assertEquals(401, alice.read().status());
            for (int u = 0; u < 16; u++) {
                alice.send("GET / HTTP/1.1\r\nHost: a\r\nX-User: user" + u + "\r\nAuthorization: NTLM alice\r\n\r\n");
                assertEquals("private", alice.read().text(), "user" + u);
            }
            assertEquals(1, b1.connections.get() + b2.connections.get());
        }
    }

    /** Credentials of a connection scheme sent at once, with no challenge before (Kerberos), bind it too. */
    @Test
    void credentialsOfAConnectionSchemeBindTheConnection() throws Exception {
        try (RawBackend b = new RawBackend(BACKEND, connectionLogin("Negotiate"));
                HttpRelayFixture r = HttpRelayFixture.builder().backend(b.address()).start()) {
            try (RawClient alice = r.client()) {
                alice.send("GET / HTTP/1.1\r\nHost: a\r\nAuthorization: negotiate YIIabc=\r\nConnection: close\r\n\r\n");
                assertEquals("private", alice.read().text());
            }
            try (RawClient bob = r.client()) {
                bob.send(CLOSE);
                assertEquals("login required", bob.read().text());
            }
            assertEquals(2, b.connections.get());
        }
        // Basic credentials go with each request: that connection is anyone's.
        try (RawBackend b = new RawBackend(BACKEND, new EchoScript());
                HttpRelayFixture r = HttpRelayFixture.builder().backend(b.address()).start()) {
            try (RawClient carol = r.client()) {
                carol.send("GET / HTTP/1.1\r\nHost: a\r\nAuthorization: Basic Y2Fyb2w6eA==\r\nConnection: close\r\n\r\n");
                assertEquals(200, carol.read().status());
            }
            await("the connection is parked", () -> r.idleBackends() == 1);
        }
    }

    /**
     * Credentials sent at once whose request moved to the next host, the first refusing its
     * connect: the new connection is the client's too (probe CA: it went to the pool, and bob
     * got alice's page in 4 rounds of 4).
     */
    @Test
    void credentialsThatMovedToTheNextHostBindItsConnection() throws Exception {
        InetSocketAddress refusing;
        try (java.net.ServerSocket probe = new java.net.ServerSocket(0, 1, java.net.InetAddress.getByName(BACKEND2))) {
            refusing = new InetSocketAddress(BACKEND2, probe.getLocalPort());
        }
        try (RawBackend b = new RawBackend(BACKEND, connectionLogin("Negotiate"));
                HttpRelayFixture r = HttpRelayFixture.builder().backend(refusing).backend(b.address())
                        .table(Mode.ROUNDROBIN).start()) {
            for (int round = 0; round < 4; round++) {
                try (RawClient alice = r.client()) {
                    alice.send("GET / HTTP/1.1\r\nHost: a\r\nAuthorization: Negotiate YIIabc=\r\nConnection: close\r\n\r\n");
                    assertEquals("private", alice.read().text());
                }
                try (RawClient bob = r.client()) {
                    bob.send(CLOSE);
                    assertEquals("login required", bob.read().text(), "round " + round);
                }
            }
        }
    }

    @Test
    void withoutPoolTheClientsCloseReachesTheServer() throws Exception {
        try (RawBackend b = new RawBackend(BACKEND, new EchoScript());
                HttpRelayFixture r = HttpRelayFixture.builder().backend(b.address()).pool(BackendPool.Limits.NONE)
                        .start()) {
            for (int i = 0; i < 2; i++) {
                try (RawClient c = r.client()) {
                    c.send(CLOSE);
                    assertEquals(CLOSE, c.read().text());
                    assertTrue(c.closed());
                }
            }
            assertEquals(2, b.connections.get());
        }
    }

    @Test
    void aRequestWithABodyNeverTakesAnIdleConnection() throws Exception {
        try (RawBackend b = new RawBackend(BACKEND, new EchoScript());
                HttpRelayFixture r = HttpRelayFixture.builder().backend(b.address()).start()) {
            try (RawClient c = r.client()) {
                c.send(CLOSE);
                assertEquals(200, c.read().status());
            }
            await("the connection is parked", () -> r.idleBackends() == 1);
            try (RawClient c = r.client()) {
                c.send("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\nConnection: close\r\n\r\nhi");
                assertTrue(c.read().text().endsWith("\r\n\r\nhi"));
            }
            assertEquals(2, b.connections.get());
        }
    }

    @Test
    void aDownHostsIdleConnectionsAreClosedAndNotUsed() throws Exception {
        CountingEcho s1 = new CountingEcho();
        try (RawBackend b1 = new RawBackend(BACKEND, s1); RawBackend b2 = new RawBackend(BACKEND2, new EchoScript());
                HttpRelayFixture r = HttpRelayFixture.builder().backend(b1.address()).backend(b2.address())
                        .table(Mode.ROUNDROBIN).start()) {
            InetSocketAddress a1 = b1.address();
            r.hostsUp(h -> h.address().equals(a1));
            try (RawClient c = r.client()) {
                c.send(CLOSE);
                assertEquals(200, c.read().status());
            }
            await("the connection is parked", () -> r.idleBackends() == 1);
            r.hostsUp(h -> !h.address().equals(a1));
            await("the down host's idle connection is closed", () -> s1.ended.get() == 1);
            assertEquals(0, r.idleBackends());
            try (RawClient c = r.client()) {
                c.send(CLOSE);
                assertEquals(String.valueOf(b2.address().getPort()), c.read().header("X-Backend"));
            }
            r.hostsUp(h -> h.address().equals(a1));
            try (RawClient c = r.client()) {
                c.send(CLOSE);
                assertEquals(String.valueOf(a1.getPort()), c.read().header("X-Backend"));
            }
            assertEquals(2, b1.connections.get());
        }
    }

    @Test
    void aKeepAliveSessionLeavesAHostThatWentDownAtItsNextRequest() throws Exception {
        try (RawBackend b1 = new RawBackend(BACKEND, new EchoScript()); RawBackend b2 = new RawBackend(BACKEND2, new EchoScript());
                HttpRelayFixture r = HttpRelayFixture.builder().backend(b1.address()).backend(b2.address())
                        .table(Mode.ROUNDROBIN).start(); RawClient c = r.client()) {
            InetSocketAddress a1 = b1.address();
            r.hostsUp(h -> h.address().equals(a1));
            c.send(HttpRelayTest.GET);
            assertEquals(String.valueOf(a1.getPort()), c.read().header("X-Backend"));
            // Disabled or failing its checks: the session's next request goes to an up host.
            r.hostsUp(h -> !h.address().equals(a1));
            c.send(HttpRelayTest.GET);
            assertEquals(String.valueOf(b2.address().getPort()), c.read().header("X-Backend"));
            c.send(HttpRelayTest.GET);
            assertEquals(String.valueOf(b2.address().getPort()), c.read().header("X-Backend"));
            assertEquals(1, b2.connections.get());
        }
    }

    /**
     * A request whose server refuses while it restarts reaches it once it is back: {@code retry}
     * waits before it tries the same host again (probe AU: all tries within a millisecond, a
     * 502 for each request of a 0.3 s restart).
     */
    @Test
    void aRetryOnTheSameHostWaitsForAServerBeingRestarted() throws Exception {
        InetSocketAddress at;
        try (java.net.ServerSocket probe = new java.net.ServerSocket(0, 50, java.net.InetAddress.getByName(BACKEND))) {
            at = (InetSocketAddress) probe.getLocalSocketAddress(); // refused until the server below is up
        }
        try (HttpRelayFixture r = HttpRelayFixture.builder().backend(at).retry(3).start(); RawClient c = r.client()) {
            c.send(CLOSE);
            Thread.sleep(400);
            try (java.net.ServerSocket restarted = new java.net.ServerSocket()) {
                restarted.setReuseAddress(true);
                restarted.bind(at);
                try (java.net.Socket s = restarted.accept()) {
                    assertTrue(RawBackend.head(s.getInputStream()).startsWith("GET / HTTP/1.1\r\n"));
                    RawBackend.write(s.getOutputStream(), "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
                    RawClient.Response got = c.read();
                    assertEquals(200, got.status());
                    assertEquals("ok", got.text());
                }
            }
        }
    }

    /**
     * A host that comes back up gets the keep-alive sessions that left it: with loadbalance
     * the one whose hash points at it returns at its next request (probe AU: a recovered host
     * got none of 2,000 requests for as long as the clients stayed connected).
     */
    @Test
    void aKeepAliveSessionReturnsToItsHashedHostWhenItIsUpAgain() throws Exception {
        try (RawBackend b1 = new RawBackend(BACKEND, new EchoScript()); RawBackend b2 = new RawBackend(BACKEND2, new EchoScript());
                HttpRelayFixture r = HttpRelayFixture.builder().backend(b1.address()).backend(b2.address())
                        .table(Mode.LOADBALANCE).start(); RawClient c = r.client()) {
            c.send(HttpRelayTest.GET);
            String home = c.read().header("X-Backend");
            r.hostsUp(h -> !String.valueOf(h.address().getPort()).equals(home));
            c.send(HttpRelayTest.GET);
            String away = c.read().header("X-Backend");
            assertTrue(!away.equals(home), away);
            r.hostsUp(h -> true);
            for (int i = 0; i < 3; i++) {
                c.send(HttpRelayTest.GET);
                assertEquals(home, c.read().header("X-Backend"));
            }
        }
    }

    /** With roundrobin, the keep-alive sessions moved off a host spread over it again once it is up. */
    @Test
    void keepAliveSessionsSpreadAgainWhenAHostIsUpAgain() throws Exception {
        try (RawBackend b1 = new RawBackend(BACKEND, new EchoScript()); RawBackend b2 = new RawBackend(BACKEND2, new EchoScript());
                HttpRelayFixture r = HttpRelayFixture.builder().backend(b1.address()).backend(b2.address())
                        .table(Mode.ROUNDROBIN).start()) {
            String a1 = String.valueOf(b1.address().getPort());
            InetSocketAddress down = b1.address();
            r.hostsUp(h -> !h.address().equals(down));
            List<RawClient> clients = new ArrayList<>();
            try {
                for (int i = 0; i < 4; i++) {
                    RawClient c = r.client();
                    clients.add(c);
                    c.send(HttpRelayTest.GET);
                    assertEquals(String.valueOf(b2.address().getPort()), c.read().header("X-Backend"));
                }
                r.hostsUp(h -> true);
                int onFirst = 0;
                for (RawClient c : clients) {
                    c.send(HttpRelayTest.GET);
                    onFirst += a1.equals(c.read().header("X-Backend")) ? 1 : 0;
                }
                assertTrue(onFirst > 0 && onFirst < 4, onFirst + " of 4 sessions on the host up again");
            } finally {
                for (RawClient c : clients) {
                    c.close();
                }
            }
        }
    }

    /**
     * A server that takes a request and answers nothing (stopped with SIGSTOP, hung, its route
     * dropped: its kernel accepted the connection) goes down while a GET waits for its response:
     * the GET goes to the next host at once. Before, the client waited for its own timeout or
     * the relay's (600 s by default), and got a 504 then.
     */
    @Test
    void aGetWaitingOnAHostThatGoesDownIsResentToTheNextHost() throws Exception {
        try (RawBackend silent = new RawBackend(BACKEND, (be, in, out) -> {
            for (String head; (head = RawBackend.head(in)) != null; ) {
                be.seen.add(head.substring(0, head.indexOf('\r')));
            }
        }); RawBackend b2 = new RawBackend(BACKEND2, new EchoScript());
                HttpRelayFixture r = HttpRelayFixture.builder().backend(silent.address()).backend(b2.address())
                        .table(Mode.ROUNDROBIN).start(); RawClient c = r.client()) {
            InetSocketAddress a1 = silent.address();
            r.hostsUp(h -> h.address().equals(a1));
            c.send("GET /wait HTTP/1.1\r\nHost: a\r\n\r\n");
            assertEquals("GET /wait HTTP/1.1", silent.seen.poll(5, TimeUnit.SECONDS));
            r.hostsUp(h -> !h.address().equals(a1));
            RawClient.Response res = c.read();
            assertEquals(200, res.status());
            assertEquals(String.valueOf(b2.address().getPort()), res.header("X-Backend"));
            assertTrue(res.text().startsWith("GET /wait HTTP/1.1"), res.text());
            // The session stays with the host that answered.
            c.send(HttpRelayTest.GET);
            assertEquals(String.valueOf(b2.address().getPort()), c.read().header("X-Backend"));
            assertEquals(1, b2.connections.get());
        }
    }

    /**
     * A GET moved to the next host late in the relay's timeout gets that host's answer: the
     * timeout counts from the resend. It counted from the first send, so a host found down
     * 1.5 s into a 2 s timeout left the next host 0.5 s, and the client got a 504 (probe Y).
     */
    @Test
    void aGetResentToTheNextHostGetsAWholeTimeoutThere() throws Exception {
        try (RawBackend silent = new RawBackend(BACKEND, (be, in, out) -> {
            for (String head; (head = RawBackend.head(in)) != null; ) {
                be.seen.add(head.substring(0, head.indexOf('\r')));
            }
        }); RawBackend b2 = new RawBackend(BACKEND2, (be, in, out) -> {
            RawBackend.head(in);
            try {
                Thread.sleep(1000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            RawBackend.write(out, "HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nlate");
        }); HttpRelayFixture r = HttpRelayFixture.builder().backend(silent.address()).backend(b2.address())
                .table(Mode.ROUNDROBIN).timeout(2).start(); RawClient c = r.client()) {
            InetSocketAddress a1 = silent.address();
            r.hostsUp(h -> h.address().equals(a1));
            c.send("GET /wait HTTP/1.1\r\nHost: a\r\n\r\n");
            assertEquals("GET /wait HTTP/1.1", silent.seen.poll(5, TimeUnit.SECONDS));
            Thread.sleep(1500);
            r.hostsUp(h -> !h.address().equals(a1));
            RawClient.Response res = c.read();
            assertEquals(200, res.status());
            assertEquals("late", res.text());
        }
    }

    /**
     * A host the operator disables is drained, not failed: a GET it is working on finishes
     * there (a slow answer is not asked of another host because of a maintenance).
     */
    @Test
    void aGetWaitingOnAHostThatIsDisabledFinishesThere() throws Exception {
        java.util.concurrent.CountDownLatch disabled = new java.util.concurrent.CountDownLatch(1);
        try (RawBackend slow = new RawBackend(BACKEND, (be, in, out) -> {
            String head = RawBackend.head(in);
            be.seen.add(head.substring(0, head.indexOf('\r')));
            try {
                disabled.await(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            RawBackend.write(out, "HTTP/1.1 200 OK\r\nContent-Length: 4\r\nConnection: close\r\n\r\nslow");
        }); RawBackend b2 = new RawBackend(BACKEND2, new EchoScript());
                HttpRelayFixture r = HttpRelayFixture.builder().backend(slow.address()).backend(b2.address())
                        .table(Mode.ROUNDROBIN).start(); RawClient c = r.client()) {
            InetSocketAddress a1 = slow.address();
            r.hostsUp(h -> h.address().equals(a1));
            c.send("GET /report HTTP/1.1\r\nHost: a\r\n\r\n");
            assertEquals("GET /report HTTP/1.1", slow.seen.poll(5, TimeUnit.SECONDS));
            r.hostStates(h -> !h.address().equals(a1), h -> false);
            // The walk of the sessions runs on their loops: let it pass before the answer comes.
            Thread.sleep(200);
            disabled.countDown();
            RawClient.Response res = c.read();
            assertEquals(200, res.status());
            assertEquals("slow", res.text());
            assertEquals(0, b2.connections.get());
        }
    }

    /**
     * A server that answers one request per connection with its request line, then drops the
     * connection after {@code pauseMs} (a short keep-alive timeout): with a reset (SO_LINGER 0)
     * if {@code reset}, else with a FIN. Records "dropped" in {@link RawBackend#seen} then.
     */
    static RawBackend.Script answerThenDrop(long pauseMs, boolean reset) {
        return (be, in, out) -> {
            java.net.Socket s = be.sockets.get(be.sockets.size() - 1);
            String head = RawBackend.head(in);
            String line = head.substring(0, head.indexOf('\r'));
            RawBackend.write(out, "HTTP/1.1 200 OK\r\nContent-Length: " + line.length() + "\r\n\r\n" + line);
            try {
                Thread.sleep(pauseMs);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            if (reset) {
                s.setSoLinger(true, 0);
            }
            s.close();
            be.seen.add("dropped");
        };
    }

    /**
     * The server resets its connection after a complete response, while the client's next
     * request has not come or not come whole: the client's connection goes on (it gets no
     * answer to a request it did not make) and its next request goes on a fresh connection.
     */
    @ParameterizedTest(name = "next request already begun: {0}")
    @ValueSource(booleans = {false, true})
    void aResetBetweenExchangesIsNotAnsweredAndTheNextRequestReconnects(boolean begun) throws Exception {
        try (RawBackend b = new RawBackend(BACKEND, answerThenDrop(0, true));
                HttpRelayFixture r = HttpRelayFixture.builder().backend(b.address()).start(); RawClient c = r.client()) {
            c.send("GET /1 HTTP/1.1\r\nHost: a\r\n\r\n" + (begun ? "POST /2 HTTP/1.1\r\nHo" : ""));
            assertEquals("GET /1 HTTP/1.1", c.read().text());
            assertEquals("dropped", b.seen.poll(5, TimeUnit.SECONDS));
            Thread.sleep(100); // the reset reaches the relay
            // A request with a body is never resent: it can only succeed on a fresh connection.
            c.send((begun ? "" : "POST /2 HTTP/1.1\r\nHo") + "st: a\r\nContent-Length: 2\r\n\r\nhi");
            RawClient.Response second = c.read();
            assertEquals(200, second.status(), second.head());
            assertEquals("POST /2 HTTP/1.1", second.text());
            assertEquals(2, b.connections.get());
        }
    }

    @ParameterizedTest(name = "reset: {0}")
    @ValueSource(booleans = {false, true})
    void anIdleConnectionTheServerClosesLeavesThePoolAndTheNextClientGetsAFreshOne(boolean reset) throws Exception {
        try (RawBackend b = new RawBackend(BACKEND, answerThenDrop(50, reset));
                HttpRelayFixture r = HttpRelayFixture.builder().backend(b.address()).start()) {
            try (RawClient c = r.client()) {
                c.send(CLOSE);
                assertEquals("GET / HTTP/1.1", c.read().text());
            }
            assertEquals("dropped", b.seen.poll(5, TimeUnit.SECONDS));
            await("the closed connection left the pool", () -> b.connections.get() == 1 && r.idleBackends() == 0);
            try (RawClient c = r.client()) {
                c.send(CLOSE);
                assertEquals("GET / HTTP/1.1", c.read().text());
            }
            assertEquals(2, b.connections.get());
        }
    }

    /**
     * The server answers the first request of each connection and closes the connection when a
     * second one arrives (with a reset if {@code reset}), as a server whose keep-alive timeout
     * fires just as the relay reuses the connection: the relay resends the request on a new
     * connection and the client never sees an error.
     */
    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void aRequestCrossingTheServersCloseIsResentOnAFreshConnection(boolean reset) throws Exception {
        try (RawBackend b = new RawBackend(BACKEND, (be, in, out) -> {
            String first = RawBackend.head(in);
            RawBackend.write(out, "HTTP/1.1 200 OK\r\nContent-Length: " + first.length() + "\r\n\r\n" + first);
            if (RawBackend.head(in) != null && reset) {
                be.sockets.get(be.sockets.size() - 1).setSoLinger(true, 0);
            }
        }); HttpRelayFixture r = HttpRelayFixture.builder().backend(b.address())
                // The request then leaves as several buffers, all of which are resent.
                .node(Direction.REQUEST, NodeType.HEADER, Action.APPEND, "X-Forwarded-For", "$REMOTE_ADDR").start()) {
            // Within one session (keep-alive) and across sessions (the pool).
            try (RawClient c = r.client()) {
                for (int i = 0; i < 3; i++) {
                    c.send("GET /k" + i + " HTTP/1.1\r\nHost: a\r\n\r\n");
                    RawClient.Response res = c.read();
                    assertEquals(200, res.status());
                    assertEquals("GET /k" + i + " HTTP/1.1\r\nHost: a\r\nX-Forwarded-For: 127.0.0.1\r\n\r\n", res.text());
                }
            }
            for (int i = 0; i < 3; i++) {
                try (RawClient c = r.client()) {
                    c.send("HEAD /s" + i + " HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");
                    RawClient.Response res = c.read(true);
                    assertEquals(200, res.status());
                    assertTrue(c.closed());
                }
            }
            assertTrue(b.connections.get() >= 6, "connections: " + b.connections.get());
        }
    }

    /**
     * A server that starts to close every connection once it has read a request, without an
     * answer, while its check still passes (one that accepts and closes at once): a request
     * sent over a connection the server had kept open is resent to the same host, as for an
     * idle close, and once that fresh connection is lost as well, to the next host. Before,
     * the one resend went to the same failing server and the client got a 502.
     */
    @Test
    void aRequestLostOnAReusedAndThenOnAFreshConnectionGoesToTheNextHost() throws Exception {
        java.util.concurrent.atomic.AtomicBoolean failing = new java.util.concurrent.atomic.AtomicBoolean();
        try (RawBackend b1 = new RawBackend(BACKEND, (be, in, out) -> {
            for (String head; (head = RawBackend.head(in)) != null; ) {
                if (failing.get()) {
                    be.seen.add(head.substring(0, head.indexOf('\r')));
                    return;
                }
                RawBackend.write(out, "HTTP/1.1 200 OK\r\nX-Backend: 1\r\nContent-Length: 0\r\n\r\n");
            }
        }); RawBackend b2 = new RawBackend(BACKEND2, new EchoScript());
                HttpRelayFixture r = HttpRelayFixture.builder().backend(b1.address()).backend(b2.address())
                        .table(Mode.ROUNDROBIN).start(); RawClient c = r.client()) {
            c.send(HttpRelayTest.GET);
            assertEquals("1", c.read().header("X-Backend"));
            failing.set(true);
            c.send("GET /again HTTP/1.1\r\nHost: a\r\n\r\n");
            RawClient.Response res = c.read();
            assertEquals(200, res.status());
            assertEquals(String.valueOf(b2.address().getPort()), res.header("X-Backend"));
            assertEquals(2, b1.connections.get(), "the reused connection and one fresh one");
            assertEquals("GET /again HTTP/1.1", b1.seen.poll(5, TimeUnit.SECONDS));
            assertEquals("GET /again HTTP/1.1", b1.seen.poll(5, TimeUnit.SECONDS));
            assertEquals(1, b2.connections.get());
        }
    }

    @Test
    void aNonIdempotentRequestIsNotResent() throws Exception {
        try (RawBackend b = new RawBackend(BACKEND, (be, in, out) -> {
            RawBackend.head(in);
            RawBackend.write(out, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
            String second = RawBackend.head(in);
            if (second != null) {
                be.seen.add(second);
            }
        }); HttpRelayFixture r = HttpRelayFixture.builder().backend(b.address()).start(); RawClient c = r.client()) {
            c.send(HttpRelayTest.GET);
            assertEquals(200, c.read().status());
            c.send("POST /once HTTP/1.1\r\nHost: a\r\n\r\n");
            assertEquals(502, c.read().status());
            assertEquals(1, b.connections.get());
            assertTrue(b.seen.poll(5, TimeUnit.SECONDS).startsWith("POST /once"));
            assertNull(b.seen.poll());
        }
    }

    @Test
    void thePoolKeepsAtMostItsBoundPerHostAndExpiresIdleConnections() throws Exception {
        CountingEcho s = new CountingEcho();
        try (RawBackend b = new RawBackend(BACKEND, s);
                HttpRelayFixture r = HttpRelayFixture.builder().backend(b.address())
                        .pool(new BackendPool.Limits(2, 10, 1000)).start()) {
            List<RawClient> clients = new ArrayList<>();
            try {
                for (int i = 0; i < 4; i++) {
                    RawClient c = r.client();
                    clients.add(c);
                    c.send(HttpRelayTest.GET);
                    assertEquals(200, c.read().status());
                }
            } finally {
                for (RawClient c : clients) {
                    c.close();
                }
            }
            assertEquals(4, b.connections.get());
            await("two connections are parked and two closed", () -> s.ended.get() == 2 && r.idleBackends() == 2);
            await("the idle connections expire", () -> s.ended.get() == 4 && r.idleBackends() == 0);
        }
    }
}
