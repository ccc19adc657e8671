package org.hoststated.relay.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import org.hoststated.core.config.Action;
import org.hoststated.core.config.Direction;
import org.hoststated.core.config.NodeType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * What the relay rewrites in a request before its rules run, seen from a backend that echoes
 * what it received: an absolute-form target becomes origin-form with its authority as Host,
 * hop-by-hop fields go no further (either way), and {@code OPTIONS *} gets no path or query
 * edits. Targets and Host values that real clients send pass unchanged.
 */
class HttpNormalisationTest {
    private static final Direction REQ = Direction.REQUEST;

    /** The status the client gets for {@code request}; the backend must not have seen it. */
    private static int refused(HttpRelayFixture r, RawBackend b, String request) throws Exception {
        int before = b.seen.size();
        try (RawClient c = r.client()) {
            c.send(request);
            int status = c.read().status();
            assertTrue(c.closed());
            assertEquals(before, b.seen.size(), "the backend got the request");
            return status;
        }
    }

    @Test
    void anAbsoluteFormTargetIsSentInOriginFormWithItsAuthorityAsTheOnlyHost() throws Exception {
        try (RawBackend b = new RawBackend(HttpRelayTest.BACKEND, new EchoScript()); HttpRelayFixture r = HttpRelayTest.forward(b)) {
            assertEquals("GET /admin?x=1 HTTP/1.1\r\nHost: Evil.example:8080\r\nAccept: */*\r\n\r\n",
                    r.forwarded("GET http://Evil.example:8080/admin?x=1 HTTP/1.1\r\nHost: good\r\nAccept: */*\r\n\r\n"));
            assertEquals("GET /?q=1 HTTP/1.1\r\nHost: [::1]\r\n\r\n",
                    r.forwarded("GET HTTPS://[::1]?q=1 HTTP/1.1\r\nHost: good\r\n\r\n"));
            // HTTP/1.0 may come without Host: the authority becomes one.
            assertEquals("GET / HTTP/1.0\r\nHost: a.example\r\nConnection: keep-alive\r\n\r\n",
                    r.forwarded("GET http://a.example HTTP/1.0\r\n\r\n"));
            // OPTIONS about the server as a whole: asterisk-form (RFC 9112 3.2.4), not a resource.
            assertEquals("OPTIONS * HTTP/1.1\r\nHost: a.example\r\n\r\n",
                    r.forwarded("OPTIONS http://a.example HTTP/1.1\r\nHost: good\r\n\r\n"));
            assertEquals("OPTIONS /?q HTTP/1.1\r\nHost: a.example\r\n\r\n",
                    r.forwarded("OPTIONS http://a.example?q HTTP/1.1\r\nHost: good\r\n\r\n"));
        }
    }

    @Test
    void aHostFilterSeesTheAuthorityOfAnAbsoluteFormTarget() throws Exception {
        try (RawBackend b = new RawBackend(HttpRelayTest.BACKEND, new EchoScript());
                HttpRelayFixture r = HttpRelayFixture.builder().backend(b.address()).returnError(null)
                        .node(REQ, NodeType.HEADER, Action.FILTER, "Host", "evil.example*").start()) {
            assertEquals(403, refused(r, b, "GET / HTTP/1.1\r\nHost: evil.example\r\n\r\n"));
            assertEquals(403, refused(r, b, "GET http://evil.example/ HTTP/1.1\r\nHost: good\r\n\r\n"));
            assertEquals(403, refused(r, b, "GET http://EVIL.example:80/ HTTP/1.0\r\n\r\n"));
            assertTrue(r.forwarded("GET http://good/ HTTP/1.1\r\nHost: evil.example\r\n\r\n")
                    .startsWith("GET / HTTP/1.1\r\nHost: good\r\n"));
        }
    }

    @Test
    void aPathFilterSeesThePathOfAnAbsoluteFormTarget() throws Exception {
        try (RawBackend b = new RawBackend(HttpRelayTest.BACKEND, new EchoScript());
                HttpRelayFixture r = HttpRelayFixture.builder().backend(b.address()).returnError(null)
                        .node(REQ, NodeType.PATH, Action.FILTER, "/admin*", "*")
                        .node(REQ, NodeType.QUERY, Action.CHANGE, "lang", "en").start()) {
            assertEquals(403, refused(r, b, "GET http://good/admin HTTP/1.1\r\nHost: good\r\n\r\n"));
            assertEquals(403, refused(r, b, "GET http://good/admin/x?y=1 HTTP/1.1\r\nHost: good\r\n\r\n"));
            assertTrue(r.forwarded("GET http://good/pub?lang=de HTTP/1.1\r\nHost: good\r\n\r\n")
                    .startsWith("GET /pub?lang=en HTTP/1.1\r\nHost: good\r\n"));
        }
    }

    @Test
    void fieldsTheClientNamesInConnectionAndOtherHopByHopFieldsStopAtTheRelay() throws Exception {
        try (RawBackend b = new RawBackend(HttpRelayTest.BACKEND, new EchoScript());
                HttpRelayFixture r = HttpRelayFixture.builder().backend(b.address())
                        .node(REQ, NodeType.HEADER, Action.APPEND, "X-Forwarded-For", "$REMOTE_ADDR").start();
                RawClient c = r.client()) {
            c.send("GET / HTTP/1.1\r\nHost: a\r\nConnection: close, X-Forwarded-For, X-Secret\r\nX-Secret: hop\r\n"
                    + "Keep-Alive: timeout=5\r\nProxy-Connection: keep-alive\r\nTE: gzip\r\nUpgrade: h2c\r\n"
                    + "X-Forwarded-For: 6.6.6.6\r\nAccept: */*\r\n\r\n");
            RawClient.Response res = c.read();
            assertEquals("GET / HTTP/1.1\r\nHost: a\r\nConnection: keep-alive\r\nAccept: */*\r\n"
                    + "X-Forwarded-For: 127.0.0.1\r\n\r\n", res.text());
            assertEquals("close", res.header("Connection"));
            assertTrue(c.closed());
        }
    }

    /**
     * An HTTP/1.1 client's {@code TE: trailers} reaches the server (the relay passes trailers
     * on; servers that send them only when asked left them out, probe C); in a 1.0 request it
     * goes, as any TE that names a coding.
     */
    @Test
    void teTrailersOfAnHttp11RequestGoesOn() throws Exception {
        try (RawBackend b = new RawBackend(HttpRelayTest.BACKEND, new EchoScript());
                HttpRelayFixture r = HttpRelayTest.forward(b);
                RawClient c = r.client()) {
            c.send("GET / HTTP/1.1\r\nHost: a\r\nConnection: TE\r\nTE: Trailers\r\n\r\n");
            assertEquals("GET / HTTP/1.1\r\nHost: a\r\nTE: Trailers\r\n\r\n", c.read().text());
            // The codings offered besides go: the relay does not decode them (probe G).
            c.send("GET / HTTP/1.1\r\nHost: a\r\nTE: deflate, trailers;q=0.5\r\n\r\n");
            assertEquals("GET / HTTP/1.1\r\nHost: a\r\nTE: trailers\r\n\r\n", c.read().text());
            c.send("GET / HTTP/1.0\r\nHost: a\r\nConnection: keep-alive\r\nTE: trailers\r\n\r\n");
            assertEquals("GET / HTTP/1.0\r\nHost: a\r\nConnection: keep-alive\r\n\r\n", c.read().text());
        }
    }

    @Test
    void theFieldsThatFrameTheRequestStayWhenNamedInConnection() throws Exception {
        try (RawBackend b = new RawBackend(HttpRelayTest.BACKEND, new EchoScript()); HttpRelayFixture r = HttpRelayTest.forward(b);
                RawClient c = r.client()) {
            c.send("POST / HTTP/1.1\r\nHost: a\r\nConnection: Content-Length, Host, x-gone\r\nX-Gone: 1\r\n"
                    + "Content-Length: 3\r\n\r\nabc");
            assertEquals("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabc", c.read().text());
            c.send("POST / HTTP/1.1\r\nHost: a\r\nConnection: keep-alive, Transfer-Encoding\r\n"
                    + "Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n");
            assertEquals("POST / HTTP/1.1\r\nHost: a\r\nConnection: keep-alive\r\nTransfer-Encoding: chunked\r\n\r\n"
                    + "3\r\nabc\r\n0\r\n\r\n", c.read().text());
        }
    }

    @Test
    void fieldsTheServerNamesInConnectionStopAtTheRelay() throws Exception {
        try (RawBackend b = new RawBackend(HttpRelayTest.BACKEND, RawBackend.answering(
                "HTTP/1.1 200 OK\r\nConnection: X-Internal\r\nX-Internal: secret\r\n"
                        + "Keep-Alive: timeout=5\r\nX-Kept: yes\r\nContent-Length: 2\r\n\r\nok"));
                HttpRelayFixture r = HttpRelayTest.forward(b); RawClient c = r.client()) {
            for (int i = 0; i < 2; i++) {
                c.send(HttpRelayTest.GET);
                RawClient.Response res = c.read();
                assertEquals("HTTP/1.1 200 OK\r\nX-Kept: yes\r\nContent-Length: 2\r\n", res.head());
                assertEquals("ok", res.text());
            }
        }
    }

    /** So do those of an interim response (103 Early Hints), which no rule sees. */
    @Test
    void fieldsTheServerNamesInConnectionOfAnInterimResponseStopAtTheRelay() throws Exception {
        try (RawBackend b = new RawBackend(HttpRelayTest.BACKEND, RawBackend.answering(
                "HTTP/1.1 103 Early Hints\r\nConnection: X-Internal\r\nX-Internal: secret\r\n"
                        + "Keep-Alive: timeout=5\r\nLink: </a.css>; rel=preload\r\n\r\n"
                        + "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"));
                HttpRelayFixture r = HttpRelayTest.forward(b); RawClient c = r.client()) {
            for (int i = 0; i < 2; i++) {
                c.send(HttpRelayTest.GET);
                RawClient.Response early = c.read();
                assertEquals("HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n", early.head());
                RawClient.Response res = c.read();
                assertEquals(200, res.status());
                assertEquals("ok", res.text());
            }
        }
    }

    /**
     * A response {@code remove} applies to an interim response too: a field the operator keeps
     * from clients reached them in a 103 Early Hints, which servers fill with more than hints
     * (Go's net/http sends its whole header map). The other actions do not: an {@code expect}
     * on a field only the final response has lets the 103 pass, and a {@code change} adds
     * nothing to it.
     */
    @Test
    void aResponseRemoveAppliesToAnInterimResponseAndNoOtherActionDoes() throws Exception {
        try (RawBackend b = new RawBackend(HttpRelayTest.BACKEND, RawBackend.answering(
                "HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\nX-Secret: s3cr3t\r\n"
                        + "Server: gohttp\r\n\r\n"
                        + "HTTP/1.1 200 OK\r\nX-Secret: s3cr3t\r\nServer: gohttp\r\nContent-Type: text/plain\r\n"
                        + "Content-Length: 2\r\n\r\nok"));
                HttpRelayFixture r = HttpRelayFixture.builder().backend(b.address())
                        .node(Direction.RESPONSE, NodeType.HEADER, Action.REMOVE, "X-Secret", null)
                        .node(Direction.RESPONSE, NodeType.HEADER, Action.REMOVE, "server", null)
                        .node(Direction.RESPONSE, NodeType.HEADER, Action.EXPECT, "Content-Type", "text/*")
                        .node(Direction.RESPONSE, NodeType.HEADER, Action.CHANGE, "X-Frame-Options", "DENY")
                        .start(); RawClient c = r.client()) {
            for (int i = 0; i < 2; i++) {
                c.send(HttpRelayTest.GET);
                RawClient.Response early = c.read();
                assertEquals("HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n", early.head());
                RawClient.Response res = c.read();
                assertEquals("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n"
                        + "X-Frame-Options: DENY\r\n", res.head());
                assertEquals("ok", res.text());
            }
        }
    }

    @Test
    void anUpgradeKeepsItsUpgradeFieldAndLosesTheOtherOptions() throws Exception {
        try (RawBackend b = new RawBackend(HttpRelayTest.BACKEND, (be, in, out) -> {
            be.seen.add(RawBackend.head(in));
            RawBackend.write(out, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n");
            in.transferTo(out);
        }); HttpRelayFixture r = HttpRelayTest.forward(b); RawClient c = r.client()) {
            c.send("GET /ws HTTP/1.1\r\nHost: a\r\nConnection: keep-alive, Upgrade, X-Secret\r\nX-Secret: s\r\n"
                    + "Upgrade: websocket\r\n\r\n");
            assertEquals("HTTP/1.1 101 Switching Protocols", c.line());
            while (!c.line().isEmpty()) {
                // the rest of the 101
            }
            c.send("ping");
            assertEquals("ping", new String(c.in.readNBytes(4), StandardCharsets.US_ASCII));
            assertEquals("GET /ws HTTP/1.1\r\nHost: a\r\nConnection: keep-alive, Upgrade\r\nUpgrade: websocket\r\n\r\n",
                    b.seen.poll());
        }
    }

    /**
     * HTTP/2 in a tunnel would pass the request rules, so h2c is never offered to the server,
     * which answers the request in HTTP/1.1; nor is a list with something in it that is no
     * protocol name, which a server could read as h2c ({@code h2c;q=1} reached servers with
     * its HTTP2-Settings, probe I).
     */
    @ParameterizedTest
    @ValueSource(strings = {"h2c", "H2C", "foo, h2c", "h2c/1", "websocket, h2c;q=1", "web socket", "h2", "HTTP/2.0",
        "h2c-14"})
    void anH2cUpgradeIsNotOffered(String offer) throws Exception {
        try (RawBackend b = new RawBackend(HttpRelayTest.BACKEND, new EchoScript());
                HttpRelayFixture r = HttpRelayTest.forward(b)) {
            String sent = "GET / HTTP/1.1\r\nHost: a\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: " + offer
                    + "\r\nHTTP2-Settings: AAMAAABkAAQCAAAAAAIAAAAA\r\n\r\n";
            assertEquals("GET / HTTP/1.1\r\nHost: a\r\n\r\n", r.forwarded(sent));
        }
    }

    /**
     * An upgrade with a body (curl's h2c upgrade of a POST) is not one the relay can tunnel:
     * the server is not offered it, else a server that switches gets the client a 502.
     */
    @ParameterizedTest
    @ValueSource(strings = {"Content-Length: 5\r\n\r\nhello", "Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n"})
    void anUpgradeWithABodyIsNotOffered(String body) throws Exception {
        try (RawBackend b = new RawBackend(HttpRelayTest.BACKEND, new EchoScript());
                HttpRelayFixture r = HttpRelayTest.forward(b)) {
            String sent = "POST / HTTP/1.1\r\nHost: a\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\n"
                    + "HTTP2-Settings: AAMAAABkAAQCAAAAAAIAAAAA\r\n" + body;
            assertEquals("POST / HTTP/1.1\r\nHost: a\r\n" + body, r.forwarded(sent));
        }
    }

    /**
     * An HTTP/1.0 request's Upgrade is ignored (RFC 9110 7.8): the server is not offered it,
     * and one that switches anyway gets the client a 502, not a tunnel past the request rules.
     */
    /**
     * A 101 must switch to a protocol its request offered (RFC 9110 7.8): a server that
     * switched a websocket offer to h2c opened HTTP/2 inside a tunnel, past the request rules
     * that keep h2c offers from it (probe I). A 502 then, as for a 101 nobody asked for; the
     * protocol's name matches without case.
     */
    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {"websocket|h2c|502", "websocket|websocket, h2c|502", "websocket|''|502",
            "foo, websocket|WebSocket|101", "websocket/13|websocket|101"})
    void a101MustSwitchToAnOfferedProtocol(String offer, String upgrade, int status) throws Exception {
        try (RawBackend b = new RawBackend(HttpRelayTest.BACKEND, (be, in, out) -> {
            be.seen.add(RawBackend.head(in));
            String field = upgrade.isEmpty() ? "" : "Upgrade: " + upgrade + "\r\n";
            RawBackend.write(out, "HTTP/1.1 101 Switching Protocols\r\n" + field + "Connection: Upgrade\r\n\r\n");
            in.transferTo(out);
        }); HttpRelayFixture r = HttpRelayTest.forward(b); RawClient c = r.client()) {
            c.send("GET /ws HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\nUpgrade: " + offer + "\r\n\r\n");
            assertEquals(status, c.read().status());
        }
    }

    @Test
    void anHttp10UpgradeIsNotOffered() throws Exception {
        String sent = "GET /ws HTTP/1.0\r\nHost: a\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n";
        try (RawBackend b = new RawBackend(HttpRelayTest.BACKEND, new EchoScript());
                HttpRelayFixture r = HttpRelayTest.forward(b)) {
            String got = r.forwarded(sent);
            assertTrue(got.startsWith("GET /ws HTTP/1.0\r\nHost: a\r\n") && !got.toLowerCase().contains("upgrade"), got);
        }
        try (RawBackend b = new RawBackend(HttpRelayTest.BACKEND, (be, in, out) -> {
            RawBackend.head(in);
            RawBackend.write(out, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n");
        }); HttpRelayFixture r = HttpRelayTest.forward(b); RawClient c = r.client()) {
            c.send(sent);
            assertEquals(502, c.read().status());
        }
    }

    @Test
    void optionsAsteriskGetsNoPathOrQueryEdits() throws Exception {
        try (RawBackend b = new RawBackend(HttpRelayTest.BACKEND, new EchoScript());
                HttpRelayFixture r = HttpRelayFixture.builder().backend(b.address())
                        .node(REQ, NodeType.QUERY, Action.CHANGE, "c", "C")
                        .node(REQ, NodeType.PATH, Action.CHANGE, "*", "p=1").start()) {
            assertEquals("OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n", r.forwarded("OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n"));
            assertTrue(r.forwarded("OPTIONS /x HTTP/1.1\r\nHost: a\r\n\r\n").startsWith("OPTIONS /x?p=1 HTTP/1.1"));
        }
        try (RawBackend b = new RawBackend(HttpRelayTest.BACKEND, new EchoScript());
                HttpRelayFixture r = HttpRelayFixture.builder().backend(b.address()).returnError(null)
                        .node(REQ, NodeType.PATH, Action.EXPECT, "/api/*", "*").start()) {
            // An expect is an allow list: a target without a path is not on it.
            assertEquals(403, refused(r, b, "OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n"));
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "GET /a/b;c=d/%7Euser/:@!$&'()*+,=-._~ HTTP/1.1\r\nHost: a\r\n\r\n",
        // What browsers leave unescaped in a path (WHATWG URL).
        "GET /list[1]/a|b^c HTTP/1.1\r\nHost: a\r\n\r\n",
        "GET /search?q=[1]&r={x}|y^z`\\w&s=?/:@&pct=100%&e=%41 HTTP/1.1\r\nHost: a\r\n\r\n",
        "GET /?a[]=1&a[]=2 HTTP/1.1\r\nHost: www.example.com:8080\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: [2001:db8::1]:443\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: [v7.fe:x]\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: 192.0.2.1\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: my_host.local\r\n\r\n",
        "GET / HTTP/1.1\r\nHost:\r\n\r\n",
        "OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n"})
    void targetsAndHostsRealClientsSendPassUnchanged(String request) throws Exception {
        try (RawBackend b = new RawBackend(HttpRelayTest.BACKEND, new EchoScript()); HttpRelayFixture r = HttpRelayTest.forward(b)) {
            assertEquals(request, r.forwarded(request));
        }
    }

    /**
     * A later HTTP/1.x (1.2 to 1.9) is read as 1.1 (RFC 9112 2.3) and each hop is told the
     * relay's own version (RFC 9110 2.5), as HAProxy and nginx do: Node.js answers a request
     * that says HTTP/1.2 with 400, and a client need not know what 1.2 is.
     */
    @Test
    void aLaterMinorVersionIsSentOnAsHttp11() throws Exception {
        try (RawBackend b = new RawBackend(HttpRelayTest.BACKEND, new EchoScript()); HttpRelayFixture r = HttpRelayTest.forward(b)) {
            assertEquals("GET /x HTTP/1.1\r\nHost: a\r\n\r\n", r.forwarded("GET /x HTTP/1.2\r\nHost: a\r\n\r\n"));
            assertEquals("GET /y?q HTTP/1.1\r\nHost: b\r\n\r\n", r.forwarded("GET http://b/y?q HTTP/1.9\r\nHost: a\r\n\r\n"));
            assertEquals("OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n", r.forwarded("OPTIONS * HTTP/1.2\r\nHost: a\r\n\r\n"));
        }
        try (RawBackend b = new RawBackend(HttpRelayTest.BACKEND, new EchoScript());
                HttpRelayFixture r = HttpRelayFixture.builder().backend(b.address())
                        .node(REQ, NodeType.QUERY, Action.CHANGE, "lang", "en").start()) {
            // A rule's new target and the version, both on the request line.
            assertEquals("GET /p?lang=en HTTP/1.1\r\nHost: a\r\n\r\n", r.forwarded("GET /p?lang=de HTTP/1.3\r\nHost: a\r\n\r\n"));
        }
        try (RawBackend b = new RawBackend(HttpRelayTest.BACKEND, RawBackend.answering(
                "HTTP/1.2 103 Early Hints\r\nLink: </a.css>\r\n\r\n"
                        + "HTTP/1.2 200 OK\r\nContent-Length: 2\r\n\r\nok"));
                HttpRelayFixture r = HttpRelayTest.forward(b); RawClient c = r.client()) {
            for (int i = 0; i < 2; i++) {
                c.send(HttpRelayTest.GET);
                assertEquals("HTTP/1.1 103 Early Hints\r\nLink: </a.css>\r\n", c.read().head());
                RawClient.Response res = c.read();
                assertEquals("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n", res.head());
                assertEquals("ok", res.text());
            }
        }
    }

    /**
     * Repeated Content-Length lines of one value read as one length, but together they are the
     * list {@code 5, 5}, which RFC 9110 8.6 forbids a sender to forward: the next hop gets one.
     * nginx refuses such a request and regenerates a response's length, HAProxy sends one line;
     * Node.js refuses a message with two (llhttp "Duplicate Content-Length") whatever their values.
     */
    @Test
    void repeatedContentLengthsGoOnAsOneLine() throws Exception {
        try (RawBackend b = new RawBackend(HttpRelayTest.BACKEND, new EchoScript()); HttpRelayFixture r = HttpRelayTest.forward(b)) {
            assertEquals("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nX: y\r\n\r\nhello",
                    r.forwarded("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nX: y\r\ncontent-length: 5\r\n\r\nhello"));
        }
        try (RawBackend b = new RawBackend(HttpRelayTest.BACKEND, RawBackend.answering(
                "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 2\r\nX: y\r\n\r\nok"));
                HttpRelayFixture r = HttpRelayTest.forward(b); RawClient c = r.client()) {
            for (int i = 0; i < 2; i++) {
                c.send(HttpRelayTest.GET);
                RawClient.Response res = c.read();
                assertEquals("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nX: y\r\n", res.head());
                assertEquals("ok", res.text());
            }
        }
    }

    /**
     * A framing field padded with other white space than one space after the colon goes on as
     * {@code "Name: value"}: a lax peer that read {@code "chunked "} as no coding would take the
     * chunks for the next message (probe U; HAProxy sends them so too).
     */
    @Test
    void paddedFramingFieldsGoOnWrittenPlainly() throws Exception {
        try (RawBackend b = new RawBackend(HttpRelayTest.BACKEND, new EchoScript()); HttpRelayFixture r = HttpRelayTest.forward(b)) {
            assertEquals("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabc",
                    r.forwarded("POST / HTTP/1.1\r\nHost: a\r\nContent-Length:3 \r\n\r\nabc"));
            // Leading zeros, any number of them, go: a peer could read 010 as octal (probe A).
            assertEquals("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabc",
                    r.forwarded("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 00000000000000000003\r\n\r\nabc"));
            assertEquals("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n",
                    r.forwarded("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 000\r\n\r\n"));
            for (String te : new String[] {"Transfer-Encoding: chunked ", "Transfer-Encoding:\tchunked", "Transfer-Encoding:chunked\t"}) {
                assertEquals("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
                        r.forwarded("POST / HTTP/1.1\r\nHost: a\r\n" + te + "\r\n\r\n3\r\nabc\r\n0\r\n\r\n"), te);
            }
        }
        assertResponseHead("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nX: y\r\n",
                "HTTP/1.1 200 OK\r\nTransfer-Encoding:\tchunked \r\nX: y\r\n\r\n2\r\nok\r\n0\r\n\r\n");
        assertResponseHead("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n",
                "HTTP/1.1 200 OK\r\nContent-Length: 0000000000000000000002\r\n\r\nok");
    }

    /** A server's {@code response}, whose body is "ok", reaches the client with {@code head}. */
    private static void assertResponseHead(String head, String response) throws Exception {
        try (RawBackend b = new RawBackend(HttpRelayTest.BACKEND, RawBackend.answering(response));
                HttpRelayFixture r = HttpRelayTest.forward(b); RawClient c = r.client()) {
            c.send(HttpRelayTest.GET);
            RawClient.Response res = c.read();
            assertEquals(head, res.head());
            assertEquals("ok", res.text());
        }
    }

    /** A chunked response's Trailer field does not reach an HTTP/1.0 client, which gets no chunks and so no trailer. */
    @Test
    void anHttp10ClientGetsNoTrailerField() throws Exception {
        try (RawBackend b = new RawBackend(HttpRelayTest.BACKEND, RawBackend.answering(
                "HTTP/1.1 200 OK\r\nTrailer: X-T\r\nTransfer-Encoding: chunked\r\nX: y\r\n\r\n"
                        + "2\r\nok\r\n0\r\nX-T: yes\r\n\r\n"));
                HttpRelayFixture r = HttpRelayTest.forward(b); RawClient c = r.client()) {
            c.send("GET / HTTP/1.0\r\nHost: a\r\n\r\n");
            assertEquals("HTTP/1.1 200 OK\r\nX: y\r\nConnection: close\r\n\r\nok", c.rest());
        }
    }

    @Test
    void aLoneUpgradeFieldOrOptionIsDropped() throws Exception {
        try (RawBackend b = new RawBackend(HttpRelayTest.BACKEND, new EchoScript()); HttpRelayFixture r = HttpRelayTest.forward(b)) {
            assertEquals("GET / HTTP/1.1\r\nHost: a\r\n\r\n", r.forwarded("GET / HTTP/1.1\r\nHost: a\r\nUpgrade: h2c\r\n\r\n"));
            assertEquals("GET / HTTP/1.1\r\nHost: a\r\n\r\n",
                    r.forwarded("GET / HTTP/1.1\r\nHost: a\r\nConnection: upgrade\r\n\r\n"));
        }
    }
}
