package org.hoststated.hce.check;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.OutputStream;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import javax.net.ssl.SSLContext;
import org.hoststated.core.config.DigestType;
import org.hoststated.core.config.GlobMatcher;
import org.hoststated.core.msg.HostError;
import org.hoststated.hce.TestLoop;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** ssl, http code, http digest and send/expect against real loopback servers, plain and TLS. */
class TcpFamilyCheckTest {
    private static final String BODY = "<html>ok</html>\n";
    private static SSLContext tls;
    private static final List<AutoCloseable> tlsOpen = new ArrayList<>();
    private final TestLoop loop = new TestLoop();
    private final TestServers servers = new TestServers();
    private final PlainProbe plain = new PlainProbe(loop.loop());
    private final TlsProbe tlsProbe = new TlsProbe(loop.loop());

    @BeforeAll
    static void key(@TempDir Path dir) throws Exception {
        tls = TlsServer.context(dir);
    }

    @AfterAll
    static void closeTls() throws Exception {
        for (AutoCloseable c : tlsOpen) {
            c.close();
        }
    }

    @AfterEach
    void tearDown() {
        servers.close();
        loop.close();
    }

    private static TestServers.Session answer(String response, CompletableFuture<String> request) {
        return (in, out) -> {
            request.complete(TestServers.readUntil(in, s -> s.contains("\r\n\r\n")));
            write(out, response);
        };
    }

    private static void write(OutputStream out, String s) throws java.io.IOException {
        out.write(s.getBytes(StandardCharsets.ISO_8859_1));
        out.flush();
    }

    private CheckResult run(Check c, int port, int timeoutMs) {
        return CheckRunner.run(loop, c, port, timeoutMs);
    }

    /**
     * TLS checks run on BoringSSL on the platform the daemon ships for: a build that lost its
     * library would check over the JDK's TLS in silence, at about four times the CPU per check.
     */
    @Test
    void tlsChecksHaveBoringSslOnLinuxX8664() {
        org.junit.jupiter.api.Assumptions.assumeTrue(System.getProperty("os.name").equals("Linux")
                && System.getProperty("os.arch").equals("amd64"), "netty-tcnative is packaged for Linux x86-64 only");
        assertTrue(io.netty.handler.ssl.OpenSsl.isAvailable(),
                String.valueOf(io.netty.handler.ssl.OpenSsl.unavailabilityCause()));
    }

    @Test
    void httpCodeSendsHeadWithHostAndMatchesCode() throws Exception {
        CompletableFuture<String> req = new CompletableFuture<>();
        int port = servers.serve(answer("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", req));
        assertEquals(CheckResult.up(HostError.HTTP_CODE_OK),
                run(HttpCheck.code(plain, "/health", "www.example.org", 200), port, 1000));
        assertEquals("HEAD /health HTTP/1.0\r\nHost: www.example.org\r\n\r\n", req.get(5, TimeUnit.SECONDS));
    }

    @Test
    void httpCodeMismatchAndMalformed() throws Exception {
        int notFound = servers.serve(answer("HTTP/1.0 404 Not Found\r\n\r\n", new CompletableFuture<>()));
        assertEquals(CheckResult.down(HostError.HTTP_CODE_FAIL, "answered 404, expected 200"),
                run(HttpCheck.code(plain, "/", null, 200), notFound, 1000));
        int http2 = servers.serve(answer("HTTP/2.0 200 OK\r\n\r\n", new CompletableFuture<>()));
        assertEquals(CheckResult.down(HostError.HTTP_CODE_ERROR),
                run(HttpCheck.code(plain, "/", null, 200), http2, 1000));
        int shortAnswer = servers.serve(answer("HTTP/1.0 2", new CompletableFuture<>()));
        assertEquals(CheckResult.down(HostError.HTTP_CODE_ERROR),
                run(HttpCheck.code(plain, "/", null, 200), shortAnswer, 1000));
    }

    @Test
    void httpDigestSha1AndMd5() throws Exception {
        CompletableFuture<String> req = new CompletableFuture<>();
        int port = servers.serve(answer("HTTP/1.0 200 OK\r\nContent-Type: text/html\r\n\r\n" + BODY, req));
        assertEquals(CheckResult.up(HostError.HTTP_DIGEST_OK), run(HttpCheck.digest(plain, "/index.html",
                null, DigestType.SHA1, hex("SHA-1", BODY)), port, 1000));
        assertEquals("GET /index.html HTTP/1.0\r\n\r\n", req.get(5, TimeUnit.SECONDS));
        assertEquals(CheckResult.up(HostError.HTTP_DIGEST_OK), run(HttpCheck.digest(plain, "/", null,
                DigestType.MD5, hex("MD5", BODY).toUpperCase()), port, 1000));
        assertEquals(CheckResult.down(HostError.HTTP_DIGEST_FAIL, "body's digest " + hex("SHA-1", BODY)
                + ", expected " + hex("SHA-1", "other")), run(HttpCheck.digest(plain, "/", null,
                DigestType.SHA1, hex("SHA-1", "other")), port, 1000));
        int noBody = servers.serve(answer("HTTP/1.0 200 OK\r\n", new CompletableFuture<>()));
        assertEquals(CheckResult.down(HostError.HTTP_DIGEST_ERROR), run(HttpCheck.digest(plain, "/", null,
                DigestType.SHA1, hex("SHA-1", BODY)), noBody, 1000));
    }

    /** Interim 1xx answers are skipped; "2000" is no status code; a bare reason-less line is fine. */
    @Test
    void httpCodeAfterInterimAnswers() throws Exception {
        String hints = "HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\n";
        int early = servers.serve(answer(hints + "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n",
                new CompletableFuture<>()));
        assertEquals(CheckResult.up(HostError.HTTP_CODE_OK), run(HttpCheck.code(plain, "/", null, 200), early, 1000));
        int cont = servers.serve(answer("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 404 Not Found\r\n\r\n",
                new CompletableFuture<>()));
        assertEquals(CheckResult.down(HostError.HTTP_CODE_FAIL, "answered 404, expected 200"),
                run(HttpCheck.code(plain, "/", null, 200), cont, 1000));
        int fourDigits = servers.serve(answer("HTTP/1.1 2000 OK\r\n\r\n", new CompletableFuture<>()));
        assertEquals(CheckResult.down(HostError.HTTP_CODE_ERROR),
                run(HttpCheck.code(plain, "/", null, 200), fourDigits, 1000));
        int noReason = servers.serve(answer("HTTP/1.1 200\r\n\r\n", new CompletableFuture<>()));
        assertEquals(CheckResult.up(HostError.HTTP_CODE_OK), run(HttpCheck.code(plain, "/", null, 200), noReason, 1000));
    }

    /**
     * The digest is of the body an HTTP client would see: after interim answers, Content-Length
     * bytes or decoded chunks, judged without waiting for a close that a keep-alive server never does.
     */
    @Test
    void httpDigestOfTheFramedBody() throws Exception {
        DigestType sha1 = DigestType.SHA1;
        String want = hex("SHA-1", BODY);
        int keepAlive = servers.serve((in, out) -> {
            TestServers.readUntil(in, s -> s.contains("\r\n\r\n"));
            write(out, "HTTP/1.1 200 OK\r\nContent-Length: " + BODY.length() + "\r\n\r\n" + BODY + "trailing junk");
            TestServers.SILENT.run(in, out);
        });
        long t0 = System.nanoTime();
        assertEquals(CheckResult.up(HostError.HTTP_DIGEST_OK),
                run(HttpCheck.digest(plain, "/", null, sha1, want), keepAlive, 3000));
        assertTrue(System.nanoTime() - t0 < TimeUnit.MILLISECONDS.toNanos(2000), "waited for a close");
        String chunks = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                + "6;x=y\r\n" + BODY.substring(0, 6) + "\r\n" + Integer.toHexString(BODY.length() - 6) + "\r\n"
                + BODY.substring(6) + "\r\n0\r\nX-Trailer: 1\r\n\r\n";
        int chunked = servers.serve((in, out) -> {
            TestServers.readUntil(in, s -> s.contains("\r\n\r\n"));
            write(out, chunks);
            TestServers.SILENT.run(in, out);
        });
        assertEquals(CheckResult.up(HostError.HTTP_DIGEST_OK),
                run(HttpCheck.digest(plain, "/", null, sha1, want), chunked, 1000));
        int cutShort = servers.serve(answer(chunks.substring(0, chunks.length() - 12), new CompletableFuture<>()));
        assertEquals(CheckResult.down(HostError.HTTP_DIGEST_ERROR),
                run(HttpCheck.digest(plain, "/", null, sha1, want), cutShort, 1000));
        int shortBody = servers.serve(answer("HTTP/1.1 200 OK\r\nContent-Length: " + (BODY.length() + 88)
                + "\r\n\r\n" + BODY, new CompletableFuture<>()));
        assertEquals(CheckResult.down(HostError.HTTP_DIGEST_ERROR),
                run(HttpCheck.digest(plain, "/", null, sha1, want), shortBody, 1000),
                "a body the close cut short, whose bytes hash to the digest");
        int early = servers.serve(answer("HTTP/1.1 103 Early Hints\r\n\r\nHTTP/1.0 200 OK\r\n\r\n" + BODY,
                new CompletableFuture<>()));
        assertEquals(CheckResult.up(HostError.HTTP_DIGEST_OK),
                run(HttpCheck.digest(plain, "/", null, sha1, want), early, 1000));
        int bareLf = servers.serve(answer("HTTP/1.0 200 OK\nServer: x\n\n" + BODY, new CompletableFuture<>()));
        assertEquals(CheckResult.up(HostError.HTTP_DIGEST_OK),
                run(HttpCheck.digest(plain, "/", null, sha1, want), bareLf, 1000));
    }

    /**
     * A Content-Length that is no number, or two that differ, leave the body's end unknown: an
     * unrecoverable error for a client (RFC 9112, 6.3), so malformed. The first of two differing
     * ones was taken (its body's digest matched: up), and "-1" read the body to EOF (up). One
     * value repeated, in two headers or a list, is that value.
     */
    @Test
    void httpDigestRefusesAnAmbiguousContentLength() throws Exception {
        String want = hex("SHA-1", BODY);
        int n = BODY.length();
        for (String lengths : List.of("Content-Length: " + n + "\r\nContent-Length: " + (n + 2), "Content-Length: -1",
                "Content-Length: " + n + ", " + (n + 2), "Content-Length: 0x10")) {
            int port = servers.serve(answer("HTTP/1.1 200 OK\r\n" + lengths + "\r\n\r\n" + BODY, new CompletableFuture<>()));
            assertEquals(CheckResult.down(HostError.HTTP_DIGEST_ERROR),
                    run(HttpCheck.digest(plain, "/", null, DigestType.SHA1, want), port, 1000), lengths);
        }
        for (String lengths : List.of("Content-Length: " + n + "\r\nContent-Length: " + n, "Content-Length: " + n + ", " + n)) {
            int port = servers.serve(answer("HTTP/1.1 200 OK\r\n" + lengths + "\r\n\r\n" + BODY, new CompletableFuture<>()));
            assertEquals(CheckResult.up(HostError.HTTP_DIGEST_OK),
                    run(HttpCheck.digest(plain, "/", null, DigestType.SHA1, want), port, 1000), lengths);
        }
    }

    @Test
    void sendExpect() throws Exception {
        int banner = servers.serve((in, out) -> {
            write(out, "220 mail.example.org ESMTP\r\n");
            TestServers.SILENT.run(in, out);
        });
        assertEquals(CheckResult.up(HostError.SEND_EXPECT_OK),
                run(new SendExpectCheck(plain, null, "220 *"), banner, 1000));
        int pong = servers.serve((in, out) -> {
            TestServers.readUntil(in, s -> s.endsWith("\r\n"));
            write(out, "+PO");
            write(out, "NG\r\n");
            TestServers.SILENT.run(in, out);
        });
        assertEquals(CheckResult.up(HostError.SEND_EXPECT_OK),
                run(new SendExpectCheck(plain, "PING\r\n", "+PONG*"), pong, 1000));
        // EOF without a match is down (DECISIONS.md), well before the timeout.
        int bye = servers.serve((in, out) -> write(out, "421 go away\r\n"));
        long t0 = System.nanoTime();
        assertEquals(CheckResult.down(HostError.SEND_EXPECT_FAIL, "answered \"421 go away\\r\\n\""),
                run(new SendExpectCheck(plain, null, "220*"), bye, 5000));
        assertTrue(System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(4));
    }

    /**
     * Text beyond ASCII goes out in UTF-8, as the file writes it, and a pattern with it matches
     * an answer in UTF-8 (probe AF: "€" went out as "?", ISO-8859-1, and "café" never matched).
     */
    @Test
    void sendExpectSpeaksUtf8() throws Exception {
        CompletableFuture<String> got = new CompletableFuture<>();
        int port = servers.serve((in, out) -> {
            got.complete(TestServers.readUntil(in, s -> s.endsWith("\r\n")));
            out.write("220 caf\u00e9 pr\u00eat\r\n".getBytes(StandardCharsets.UTF_8));
            out.flush();
            TestServers.SILENT.run(in, out);
        });
        assertEquals(CheckResult.up(HostError.SEND_EXPECT_OK),
                run(new SendExpectCheck(plain, "h\u00e9llo \u20ac\r\n", "220 caf\u00e9 *"), port, 1000));
        assertEquals(new String("h\u00e9llo \u20ac\r\n".getBytes(StandardCharsets.UTF_8), StandardCharsets.ISO_8859_1),
                got.get(5, TimeUnit.SECONDS));
    }

    /**
     * A host that closes every connection at once, before a byte of an answer, is down every
     * time with one reason, whatever the pattern. Whether the check then reads an EOF or a reset
     * depends on whether its request reached the host before the close; the EOF judged the empty
     * answer against the pattern, so {@code expect "*"} flapped between up and down (a daemon's
     * log: 42 of 185 checks up, 54 state changes) and http code said "malformed" or "tcp read
     * failed" by turns. A host that resets at once is the same, whichever step the reset hits
     * (connect, write or read: it said "tcp connect failed" or "tcp read failed" by turns).
     */
    @Test
    void closedWithoutAnAnswerIsDown() throws Exception {
        int closes = servers.serve((in, out) -> { });
        int resets = resetAtOnce();
        for (int i = 0; i < 20; i++) {
            assertEquals(CheckResult.down(HostError.NO_ANSWER),
                    run(new SendExpectCheck(plain, "PING\r\n", "*"), closes, 1000));
            assertEquals(CheckResult.down(HostError.NO_ANSWER), run(new SendExpectCheck(plain, null, "*"), closes, 1000));
            assertEquals(CheckResult.down(HostError.NO_ANSWER), run(HttpCheck.code(plain, "/", null, 200), closes, 1000));
        }
        // A reset can hit between two reads of the socket's state at the connect: no timeout then.
        for (int i = 0; i < 150; i++) {
            assertEquals(CheckResult.down(HostError.NO_ANSWER),
                    run(new SendExpectCheck(plain, "PING\r\n", "*"), resets, 1000));
            assertEquals(CheckResult.down(HostError.NO_ANSWER), run(HttpCheck.code(plain, "/", null, 200), resets, 1000));
        }
        int tlsCloses = TlsServer.serve(tls, (in, out) -> TestServers.readUntil(in, s -> s.endsWith("\r\n")), tlsOpen);
        assertEquals(CheckResult.down(HostError.NO_ANSWER),
                run(new SendExpectCheck(tlsProbe, "PING\r\n", "*"), tlsCloses, 3000));
        // The same before the handshake, and a reset: https and ssl checks say so too, not "ssl
        // connect error" or "tcp connect failed" (probe AF).
        for (int i = 0; i < 20; i++) {
            assertEquals(CheckResult.down(HostError.NO_ANSWER), run(HttpCheck.code(tlsProbe, "/", null, 200), closes, 3000));
            assertEquals(CheckResult.down(HostError.NO_ANSWER), run(new SslCheck(tlsProbe), closes, 3000));
            assertEquals(CheckResult.down(HostError.NO_ANSWER), run(HttpCheck.code(tlsProbe, "/", null, 200), resets, 3000));
            assertEquals(CheckResult.down(HostError.NO_ANSWER), run(new SslCheck(tlsProbe), resets, 3000));
        }
    }

    /** A listener that resets each connection as soon as it accepts it (SO_LINGER 0). */
    private int resetAtOnce() throws java.io.IOException {
        java.net.ServerSocket ss = new java.net.ServerSocket(0, 64, java.net.InetAddress.getLoopbackAddress());
        tlsOpen.add(ss);
        Thread t = new Thread(() -> {
            while (!ss.isClosed()) {
                try (java.net.Socket s = ss.accept()) {
                    s.setSoLinger(true, 0);
                } catch (java.io.IOException e) {
                    return;
                }
            }
        }, "reset-server");
        t.setDaemon(true);
        t.start();
        return ss.getLocalPort();
    }

    /** A host's long banner against a pattern of several stars: judged in time, the loop not frozen. */
    @Test
    void hostileBannerDoesNotStallTheLoop() throws Exception {
        int port = servers.serve((in, out) -> {
            write(out, "ab".repeat(30_000));
            TestServers.SILENT.run(in, out);
        });
        long t0 = System.nanoTime();
        assertEquals(CheckResult.down(HostError.TCP_READ_TIMEOUT),
                run(new SendExpectCheck(plain, null, "*a*b*a*b*c*"), port, 1000));
        assertTrue(System.nanoTime() - t0 < TimeUnit.MILLISECONDS.toNanos(2500));
    }

    /** Answers sent one byte per write are judged as a whole; more than the cap is "response too large". */
    @Test
    void trickledAnswers() throws Exception {
        int banner = servers.serve((in, out) -> {
            trickle(out, "x".repeat(2000) + "220 ok\r\n");
            TestServers.SILENT.run(in, out);
        });
        assertEquals(CheckResult.up(HostError.SEND_EXPECT_OK),
                run(new SendExpectCheck(plain, null, "*220 ok*"), banner, 5000));
        int endless = servers.serve((in, out) -> {
            trickle(out, "x".repeat(70 * 1024));
            TestServers.SILENT.run(in, out);
        });
        assertEquals(CheckResult.down(HostError.RESPONSE_TOO_LARGE),
                run(new SendExpectCheck(plain, null, "*220 ok*"), endless, 5000));
        String chunks = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                + "6\r\n" + BODY.substring(0, 6) + "\r\n" + Integer.toHexString(BODY.length() - 6) + "\r\n"
                + BODY.substring(6) + "\r\n0\r\n\r\n";
        int chunked = servers.serve((in, out) -> {
            TestServers.readUntil(in, s -> s.contains("\r\n\r\n"));
            trickle(out, chunks);
            TestServers.SILENT.run(in, out);
        });
        assertEquals(CheckResult.up(HostError.HTTP_DIGEST_OK),
                run(HttpCheck.digest(plain, "/", null, DigestType.SHA1, hex("SHA-1", BODY)), chunked, 5000));
        int tlsEndless = TlsServer.serve(tls, (in, out) -> {
            for (int i = 0; i < 70; i++) {
                write(out, "x".repeat(1024));
            }
            TestServers.SILENT.run(in, out);
        }, tlsOpen);
        assertEquals(CheckResult.down(HostError.RESPONSE_TOO_LARGE),
                run(new SendExpectCheck(tlsProbe, null, "*220 ok*"), tlsEndless, 5000));
    }

    /**
     * A host that trickles byte by byte, each byte its own wake-up: after a few small reads the
     * probe reads in batches, not once per byte, and the verdict is the same (here: the match at
     * the end, and a close right after a trickle is seen at once).
     */
    @Test
    void aTricklingHostIsReadInBatches() throws Exception {
        String banner = "x".repeat(3000) + "220 ok\r\n";
        int port = servers.serve((in, out) -> {
            for (byte b : banner.getBytes(StandardCharsets.ISO_8859_1)) {
                out.write(b);
                out.flush();
                LockSupport.parkNanos(200_000);
            }
            TestServers.SILENT.run(in, out);
        });
        CompletableFuture<CheckResult> r = new CompletableFuture<>();
        CountingValidator counting = new CountingValidator(new SendExpectValidator(new GlobMatcher("*220 ok*")));
        loop.run(() -> plain.probe(new CheckTarget(1, "127.0.0.1", InetAddress.getLoopbackAddress(), port),
                System.nanoTime() + TimeUnit.SECONDS.toNanos(10), null, counting, r::complete));
        assertEquals(CheckResult.up(HostError.SEND_EXPECT_OK), r.get(20, TimeUnit.SECONDS));
        assertTrue(counting.reads() < 1000, counting.reads() + " reads for " + banner.length() + " bytes");
        int closes = servers.serve((in, out) -> trickle(out, "x".repeat(500)));
        long t0 = System.nanoTime();
        assertEquals(CheckResult.down(HostError.SEND_EXPECT_FAIL, "answered \"" + "x".repeat(64) + "\"..."),
                run(new SendExpectCheck(plain, null, "*220 ok*"), closes, 5000));
        assertTrue(System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(4), "the close waited for the deadline");
    }

    private static void trickle(OutputStream out, String s) throws java.io.IOException {
        for (byte b : s.getBytes(StandardCharsets.ISO_8859_1)) {
            out.write(b);
            out.flush();
        }
    }

    @Test
    void silentServerTimesOut() throws Exception {
        int port = servers.serve(TestServers.SILENT);
        assertTimeout(HttpCheck.code(plain, "/", null, 200), port, HostError.TCP_READ_TIMEOUT);
        assertTimeout(new SendExpectCheck(plain, null, "220*"), port, HostError.TCP_READ_TIMEOUT);
        // A TLS check against a server that never speaks TLS: the handshake times out.
        assertTimeout(new SslCheck(tlsProbe), port, HostError.SSL_CONNECT_TIMEOUT);
    }

    @Test
    void halfResponseTimesOut() throws Exception {
        int port = servers.serve((in, out) -> {
            write(out, "HTTP/1.");
            TestServers.SILENT.run(in, out);
        });
        assertTimeout(HttpCheck.code(plain, "/", null, 200), port, HostError.TCP_READ_TIMEOUT);
        int body = servers.serve((in, out) -> {
            write(out, "HTTP/1.0 200 OK\r\n\r\n<html>");
            TestServers.SILENT.run(in, out);
        });
        assertTimeout(HttpCheck.digest(plain, "/", null, DigestType.SHA1, hex("SHA-1", BODY)), body,
                HostError.TCP_READ_TIMEOUT);
        assertTimeout(new SendExpectCheck(plain, null, "HTTP/1.1*"), port, HostError.TCP_READ_TIMEOUT);
    }

    /**
     * A banner no more bytes can make match, the connection kept open: the send/expect failed,
     * not "tcp read timeout", which said the host had been silent (probe M of session 58).
     */
    @Test
    void aWrongBannerKeptOpenIsASendExpectFailure() throws Exception {
        int port = servers.serve((in, out) -> {
            write(out, "SSH-2.0-OpenSSH_9.0\r\n");
            TestServers.SILENT.run(in, out);
        });
        assertTimeout(new SendExpectCheck(plain, null, "SSH-1.*"), port,
                CheckResult.down(HostError.SEND_EXPECT_FAIL, "answered \"SSH-2.0-OpenSSH_9.0\\r\\n\""));
    }

    @Test
    void unansweredConnectTimesOut() throws Exception {
        assertTimeout(HttpCheck.code(plain, "/", null, 200), servers.blackhole(), HostError.TCP_CONNECT_TIMEOUT);
    }

    @Test
    void refused() throws Exception {
        assertEquals(CheckResult.down(HostError.TCP_CONNECT_REFUSED),
                run(HttpCheck.code(plain, "/", null, 200), TestServers.refusedPort(), 1000));
    }

    @Test
    void sslHandshake() throws Exception {
        int port = TlsServer.serve(tls, (in, out) -> {
            out.flush(); // completes the handshake
            TestServers.SILENT.run(in, out);
        }, tlsOpen);
        assertEquals(CheckResult.up(HostError.SSL_CONNECT_OK), run(new SslCheck(tlsProbe), port, 3000));
        int garbage = servers.serve((in, out) -> write(out, "this is not TLS\r\n".repeat(10)));
        // The TLS library's words go to the log line (probe AF: they were at -v only).
        assertEquals(CheckResult.down(HostError.SSL_CONNECT_ERROR, "not an SSL/TLS record"),
                run(new SslCheck(tlsProbe), garbage, 3000));
    }

    /**
     * A TLS check asks for the check's {@code host}, else the host's name (SNI), never for an
     * address: with none, a server that wants a name refused every check while its clients
     * were served (review CF).
     */
    @Test
    void tlsChecksAskForTheChecksHostOrTheHostsName() throws Exception {
        List<String> asked = new java.util.concurrent.CopyOnWriteArrayList<>();
        javax.net.ssl.SSLServerSocket ss = (javax.net.ssl.SSLServerSocket) tls.getServerSocketFactory()
                .createServerSocket(0, 64, java.net.InetAddress.getLoopbackAddress());
        tlsOpen.add(ss);
        javax.net.ssl.SSLParameters p = ss.getSSLParameters();
        p.setSNIMatchers(List.of(new javax.net.ssl.SNIMatcher(javax.net.ssl.StandardConstants.SNI_HOST_NAME) {
            @Override
            public boolean matches(javax.net.ssl.SNIServerName n) {
                asked.add(((javax.net.ssl.SNIHostName) n).getAsciiName());
                return true;
            }
        }));
        ss.setSSLParameters(p);
        Thread t = new Thread(() -> {
            while (!ss.isClosed()) {
                try (java.net.Socket s = ss.accept()) {
                    TestServers.readUntil(s.getInputStream(), x -> x.contains("\r\n\r\n"));
                    write(s.getOutputStream(), "HTTP/1.0 200 OK\r\n\r\n");
                } catch (java.io.IOException e) {
                    // the check closed first, or the test is over
                }
            }
        });
        t.setDaemon(true);
        t.start();
        java.net.InetAddress lo = java.net.InetAddress.getLoopbackAddress();
        int port = ss.getLocalPort();
        assertEquals(CheckResult.up(HostError.HTTP_CODE_OK), CheckRunner.run(loop,
                HttpCheck.code(tlsProbe, "/", "www.example.com:8443", 200), "backend.example", lo, port, 3000));
        assertEquals(CheckResult.up(HostError.HTTP_CODE_OK), CheckRunner.run(loop,
                HttpCheck.code(tlsProbe, "/", null, 200), "backend.example.", lo, port, 3000));
        assertEquals(CheckResult.up(HostError.HTTP_CODE_OK), CheckRunner.run(loop,
                HttpCheck.code(tlsProbe, "/", null, 200), "127.0.0.1", lo, port, 3000));
        assertEquals(List.of("www.example.com", "backend.example"), asked);
        assertEquals(null, TlsProbe.sniName("::1"));
        assertEquals(null, TlsProbe.sniName("[::1]:443"));
        assertEquals("a-b.example", TlsProbe.sniName("a-b.example:80"));
        assertEquals("my_svc.example", TlsProbe.sniName("my_svc.example"), "as OpenSSL's clients send it (probe CH)");
        assertEquals(null, TlsProbe.sniName("backend1"), "no dot: the TLS library sends none");
    }

    @Test
    void httpsAndSendExpectOverTls() throws Exception {
        CompletableFuture<String> req = new CompletableFuture<>();
        int https = TlsServer.serve(tls, answer("HTTP/1.0 302 Found\r\n\r\n", req), tlsOpen);
        assertEquals(CheckResult.up(HostError.HTTP_CODE_OK),
                run(HttpCheck.code(tlsProbe, "/", null, 302), https, 3000));
        assertEquals("HEAD / HTTP/1.0\r\n\r\n", req.get(5, TimeUnit.SECONDS));
        int banner = TlsServer.serve(tls, (in, out) -> {
            write(out, "* OK IMAP4 ready\r\n");
            TestServers.SILENT.run(in, out);
        }, tlsOpen);
        assertEquals(CheckResult.up(HostError.SEND_EXPECT_OK),
                run(new SendExpectCheck(tlsProbe, null, "\\* OK*"), banner, 3000));
    }

    private void assertTimeout(Check c, int port, HostError expected) {
        assertTimeout(c, port, CheckResult.down(expected));
    }

    private void assertTimeout(Check c, int port, CheckResult expected) {
        long t0 = System.nanoTime();
        CheckResult r = run(c, port, 300);
        long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
        assertEquals(expected, r);
        assertTrue(ms >= 290, "reported after " + ms + " ms, before the deadline");
    }

    private static String hex(String alg, String s) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance(alg).digest(s.getBytes(StandardCharsets.ISO_8859_1)));
    }
}
