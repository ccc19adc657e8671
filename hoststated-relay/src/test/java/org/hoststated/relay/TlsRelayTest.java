package org.hoststated.relay;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.netty.handler.ssl.JdkSslContext;
import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.OpenSslContext;
import io.netty.handler.ssl.OpenSslSessionContext;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslProvider;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.Arrays;
import java.util.List;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import org.hoststated.core.config.SslOptions;
import org.hoststated.core.msg.TlsKeyPair;
import org.hoststated.relay.handler.RelaySession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** {@code listen on ... ssl}: TLS terminated by the relay, plain TCP to the backend. */
class TlsRelayTest {
    static byte[] resource(String name) throws IOException {
        try (InputStream in = TlsRelayTest.class.getResourceAsStream("/tls/" + name)) {
            return in.readAllBytes();
        }
    }

    static TlsKeyPair pair() throws IOException {
        return pair("relay");
    }

    /** {@code <name>.crt} and {@code <name>.key} from the test resources. */
    static TlsKeyPair pair(String name) throws IOException {
        return new TlsKeyPair(1, 1, resource(name + ".crt"), resource(name + ".key"));
    }

    static SSLContext clientTrusting(byte[] certPem) throws Exception {
        X509Certificate cert = (X509Certificate) CertificateFactory.getInstance("X.509")
                .generateCertificate(new java.io.ByteArrayInputStream(certPem));
        KeyStore ks = KeyStore.getInstance(KeyStore.getDefaultType());
        ks.load(null, null);
        ks.setCertificateEntry("relay", cert);
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(ks);
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(null, tmf.getTrustManagers(), null);
        return ctx;
    }

    static SSLSocket connect(RelayFixture r, TlsKeyPair pair, String protocol, String... suites) throws Exception {
        SSLSocket c = (SSLSocket) clientTrusting(pair.certificatePem()).getSocketFactory()
                .createSocket(InetAddress.getLoopbackAddress(), r.port);
        c.setSoTimeout(20_000);
        c.setEnabledProtocols(new String[] {protocol});
        if (suites.length > 0) {
            c.setEnabledCipherSuites(suites);
        }
        c.startHandshake();
        return c;
    }

    /** A TLS relay in front of {@code b}. */
    /**
     * Whether a TLS 1.3 client's close_notify is a half-close here: the JDK's engine does not
     * answer it (BoringSSL's does, at once).
     */
    static boolean halfClosesTls13(String protocol) {
        return protocol.equals("TLSv1.3") && RelayTls.provider() == SslProvider.JDK;
    }

    static RelayFixture tlsRelay(TestBackend b, TlsKeyPair pair, SslOptions options) throws IOException {
        return RelayFixture.startTls(RelayTransport.best(), RelayFixture.forward(b), RelayTls.serverContext(pair, options));
    }

    /**
     * A server that resets mid-stream: the TLS client gets the bytes, then a reset instead of
     * close_notify, which would vouch that the stream was complete.
     */
    @Test
    void aServerResetIsNoCloseNotify() throws Exception {
        TlsKeyPair pair = pair();
        try (java.net.ServerSocket server = new java.net.ServerSocket(0, 4, java.net.InetAddress.getLoopbackAddress())) {
            java.util.concurrent.CompletableFuture.runAsync(() -> {
                try (java.net.Socket s = server.accept()) {
                    s.getInputStream().read(); // the session is up
                    s.getOutputStream().write(new byte[100_000]);
                    s.setSoLinger(true, 0);
                } catch (IOException e) {
                    // the test fails on its side
                }
            });
            org.hoststated.core.config.RelayConfig cfg = RelayFixture.relay("fwd",
                    new org.hoststated.core.config.ForwardTarget(java.net.InetAddress.getLoopbackAddress(), "127.0.0.1",
                            server.getLocalPort(), 0), 600, false);
            try (RelayFixture r = RelayFixture.startTls(RelayTransport.best(), cfg,
                    RelayTls.serverContext(pair, SslOptions.defaults()));
                    SSLSocket c = (SSLSocket) clientTrusting(pair.certificatePem()).getSocketFactory()
                            .createSocket("127.0.0.1", r.port)) {
                c.setSoTimeout(20_000);
                c.getOutputStream().write('x');
                c.getOutputStream().flush();
                java.io.InputStream in = c.getInputStream();
                byte[] buf = new byte[65536];
                try {
                    while (in.read(buf) >= 0) {
                        // what the server sent before its reset
                    }
                    org.junit.jupiter.api.Assertions.fail("close_notify after a cut stream");
                } catch (IOException e) {
                    // a reset (or the JDK's complaint that the peer closed without close_notify)
                }
            }
        }
    }

    /** Every key form OpenSSL writes, over TLS 1.2 and TLS 1.3, relays bytes both ways. */
    @ParameterizedTest
    @CsvSource({"relay, TLSv1.3", "relay, TLSv1.2", "rsa-pkcs1, TLSv1.3", "rsa-pkcs1, TLSv1.2",
        "ec-sec1, TLSv1.3", "ec-sec1, TLSv1.2", "ec384-sec1, TLSv1.2"})
    void terminatesTlsAndRelaysPlainToTheBackend(String keys, String protocol) throws Exception {
        TlsKeyPair pair = pair(keys);
        try (TestBackend b = TestBackend.identEcho("a");
                RelayFixture r = tlsRelay(b, pair, SslOptions.defaults());
                SSLSocket c = connect(r, pair, protocol)) {
            assertEquals(protocol, c.getSession().getProtocol());
            InputStream in = c.getInputStream();
            assertEquals("a", TcpRelayTest.readLine(in));
            byte[] payload = Pattern.bytes(0, 300_000);
            c.getOutputStream().write(payload);
            c.getOutputStream().flush();
            byte[] back = in.readNBytes(payload.length);
            assertTrue(Arrays.equals(payload, back));
            c.getOutputStream().write("bye".getBytes(StandardCharsets.US_ASCII));
            c.getOutputStream().flush();
            assertEquals("bye", new String(in.readNBytes(3), StandardCharsets.US_ASCII));
        }
    }

    /**
     * A certificate file that holds the key as well (cat crt key > file, as HAProxy reads it):
     * the key block is skipped, as OpenSSL skips it, and only the certificate is served.
     */
    @Test
    void aCertificateFileWithTheKeyInItServesTheCertificate() throws Exception {
        byte[] crt = resource("relay.crt");
        byte[] key = resource("relay.key");
        byte[] both = new byte[crt.length + key.length];
        System.arraycopy(crt, 0, both, 0, crt.length);
        System.arraycopy(key, 0, both, crt.length, key.length);
        TlsKeyPair pair = new TlsKeyPair(1, 1, both, key);
        try (TestBackend b = TestBackend.identEcho("a");
                RelayFixture r = tlsRelay(b, pair, SslOptions.defaults());
                SSLSocket c = connect(r, pair, "TLSv1.3")) {
            assertEquals(1, c.getSession().getPeerCertificates().length);
            assertEquals("a", TcpRelayTest.readLine(c.getInputStream()));
        }
    }

    @Test
    void cipherListLimitsTls12Suites() throws Exception {
        TlsKeyPair pair = pair();
        SslOptions gcmOnly = new SslOptions("ECDHE+AESGCM:!ADH", SslOptions.CACHE_DEFAULT, true);
        try (TestBackend b = TestBackend.identEcho("a");
                RelayFixture r = tlsRelay(b, pair, gcmOnly)) {
            try (SSLSocket c = connect(r, pair, "TLSv1.2", "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256")) {
                assertEquals("a", TcpRelayTest.readLine(c.getInputStream()));
            }
            assertThrows(IOException.class,
                    () -> connect(r, pair, "TLSv1.2", "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256").close());
            // TLS 1.3 suites are not the list's business.
            try (SSLSocket c = connect(r, pair, "TLSv1.3")) {
                assertEquals("a", TcpRelayTest.readLine(c.getInputStream()));
            }
        }
    }

    /**
     * A client that sends bytes that are not TLS in the middle of its session failed, and its
     * stream is cut: it gets an alert (BoringSSL's) or a reset, never close_notify, which would
     * vouch for what it got as the whole stream. On the JDK's engine, Netty refuses such bytes
     * before the engine sees them, and the close that followed sent close_notify (probe V).
     * On the JDK's engine only: BoringSSL sends its alert, or at times a bare FIN, which the
     * JDK's client here reads as an end as it does a close_notify (it cannot tell them apart).
     */
    @Test
    void aClientThatSendsBytesThatAreNotTlsIsNotToldItsStreamEnded() throws Exception {
        assumeTrue(RelayTls.provider() == SslProvider.JDK, "the JDK's engine only (the jdk-tls run)");
        TlsKeyPair pair = pair();
        int size = 8 << 20;
        try (TestBackend b = TestBackend.source("s", size);
                RelayFixture r = tlsRelay(b, pair, SslOptions.defaults());
                java.net.Socket tcp = new java.net.Socket(InetAddress.getLoopbackAddress(), r.port)) {
            SSLSocket c = (SSLSocket) clientTrusting(pair.certificatePem()).getSocketFactory()
                    .createSocket(tcp, "localhost", r.port, true);
            c.setSoTimeout(10_000);
            c.startHandshake();
            InputStream in = c.getInputStream();
            assertEquals(1024, in.readNBytes(1024).length);
            tcp.getOutputStream().write("JUNK that is not a TLS record\r\n".getBytes(StandardCharsets.US_ASCII));
            long junkSent = System.nanoTime();
            long got = 1024;
            IOException cut = null;
            try {
                for (int n; (n = in.read(new byte[65536])) >= 0; ) {
                    got += n;
                }
            } catch (IOException e) {
                cut = e;
            }
            assertTrue(cut != null && !(cut instanceof java.net.SocketTimeoutException),
                    "a cut stream of " + got + " bytes ended as if whole: " + cut);
            // Reset once what the relay held was taken, not at the end of the cut's 5 s grace
            // (the relay's flush through the failed engine never completes; probe W).
            long tookMs = (System.nanoTime() - junkSent) / 1_000_000;
            assertTrue(tookMs < 3000, "reset " + tookMs + " ms after the bytes that are not TLS");
        }
    }

    /**
     * A TLS 1.3 client that sends KeyUpdates without end (the JDK's client sends one at each
     * startHandshake after the handshake) has its session cut after 32 in a row, by BoringSSL
     * and, where the JDK serves TLS, by the relay (JdkEngineLimits): the JDK answered each one,
     * at about 170 us of key derivation, and two such clients held an engine's loops for
     * seconds (probe V).
     */
    @Test
    void aClientThatSendsKeyUpdatesWithoutEndIsCut() throws Exception {
        TlsKeyPair pair = pair();
        try (TestBackend b = TestBackend.identEcho("a");
                RelayFixture r = tlsRelay(b, pair, SslOptions.defaults());
                SSLSocket c = (SSLSocket) clientTrusting(pair.certificatePem()).getSocketFactory()
                        .createSocket(InetAddress.getLoopbackAddress(), r.port)) {
            c.setSoTimeout(5_000);
            c.setEnabledProtocols(new String[] {"TLSv1.3"});
            c.startHandshake();
            assertEquals("a", TcpRelayTest.readLine(c.getInputStream()));
            // An alert (BoringSSL's), or a FIN without close_notify, or a reset of the writes
            // after it; not the read's time limit, which a session that went on would reach.
            try {
                for (int i = 0; i < 100; i++) {
                    c.startHandshake();
                }
                assertEquals(-1, c.getInputStream().read());
            } catch (IOException cut) {
                assertFalse(cut instanceof java.net.SocketTimeoutException, "the session went on: " + cut);
            }
            TcpRelayTest.await(() -> r.counters.active() == 0);
        }
    }

    /**
     * A TLS 1.2 client that starts a renegotiation gets BoringSSL's fatal no_renegotiation
     * alert. Its session ends then: Netty's engine keeps the error until the next read, so a
     * client that waits (here, one that keeps its TCP connection open) held the session, dead,
     * until the idle timeout.
     */
    @Test
    void aRefusedRenegotiationEndsTheSession() throws Exception {
        TlsKeyPair pair = pair();
        try (TestBackend b = TestBackend.identEcho("a");
                RelayFixture r = tlsRelay(b, pair, SslOptions.defaults());
                java.net.Socket raw = new java.net.Socket(InetAddress.getLoopbackAddress(), r.port)) {
            raw.setSoTimeout(5_000);
            // Layered without autoClose: the client's failure leaves the TCP connection open.
            SSLSocket c = (SSLSocket) clientTrusting(pair.certificatePem()).getSocketFactory()
                    .createSocket(raw, "127.0.0.1", r.port, false);
            c.setSoTimeout(5_000);
            c.setEnabledProtocols(new String[] {"TLSv1.2"});
            c.startHandshake();
            assertEquals("a", TcpRelayTest.readLine(c.getInputStream()));
            c.startHandshake(); // sends the renegotiation's ClientHello
            assertThrows(javax.net.ssl.SSLException.class, () -> c.getInputStream().read());
            assertFalse(raw.isClosed());
            long start = System.nanoTime();
            try {
                while (raw.getInputStream().read() >= 0) {
                    // bytes after the alert, if any
                }
            } catch (java.net.SocketException reset) {
                // a reset is a close too
            }
            assertTrue(System.nanoTime() - start < java.util.concurrent.TimeUnit.SECONDS.toNanos(3));
        }
    }

    /**
     * A client that sends FIN before its handshake is done (nothing at all, or part of its
     * ClientHello) can never finish it: its session ends at once, and says why. It was held,
     * in CLOSE_WAIT, until Netty's handshake limit (10 s) and logged as a handshake timeout:
     * clients that connect and go away (port scans, load balancer probes) each kept a session
     * and a descriptor for 10 s. Each transport; a FIN alone, and a close.
     */
    @ParameterizedTest
    @CsvSource({"epoll, 0, shutdown", "epoll, 11, close", "io_uring, 0, close", "io_uring, 11, shutdown",
        "epoll, 11, reset", "io_uring, 11, reset"})
    void aClientThatLeavesDuringItsHandshakeEndsItsSessionAtOnce(String transport, int sent, String how)
            throws Exception {
        TlsKeyPair pair = pair();
        byte[] helloStart = {0x16, 0x03, 0x01, 0x00, (byte) 0xc8, 0x01, 0x00, 0x00, (byte) 0xc4, 0x03, 0x03};
        try (TestBackend b = TestBackend.identEcho("a");
                RelayFixture r = RelayFixture.startTls(TcpOptionsTest.transport(transport), RelayFixture.forward(b),
                        RelayTls.serverContext(pair, SslOptions.defaults()));
                java.net.Socket c = r.connect()) {
            c.getOutputStream().write(helloStart, 0, sent);
            io.netty.channel.Channel client = TcpRelayTest.awaitSession(r);
            if (how.equals("shutdown")) {
                c.shutdownOutput();
            } else {
                c.setSoLinger(how.equals("reset"), 0);
                c.close();
            }
            client.closeFuture().awaitUninterruptibly(20, java.util.concurrent.TimeUnit.SECONDS);
            // A reset is named as such, in the handshake's words (probe S: "client: Connection reset by peer").
            assertEquals(how.equals("reset") ? "TLS handshake: Connection reset by peer"
                    : "TLS handshake: the client closed the connection", RelaySession.reason(client));
            assertEquals(0, b.connections(), "no backend connection for an abandoned handshake");
        }
    }

    /**
     * A relay whose {@code timeout} is shorter than the handshake limit (10 s): a client that
     * stalls in its handshake is ended by the session's timer, and its close line says it was
     * the handshake that timed out, as at the limit (it said "session timeout", which reads as
     * an idle session that had relayed something).
     */
    @Test
    void aStalledHandshakeEndedByTheSessionTimeoutIsNamedSo() throws Exception {
        TlsKeyPair pair = pair();
        byte[] helloStart = {0x16, 0x03, 0x01, 0x00, (byte) 0xc8, 0x01, 0x00, 0x00, (byte) 0xc4, 0x03, 0x03};
        try (TestBackend b = TestBackend.identEcho("a");
                RelayFixture r = RelayFixture.startTls(RelayTransport.best(),
                        RelayFixture.relay("fwd", new org.hoststated.core.config.ForwardTarget(
                                InetAddress.getLoopbackAddress(), "127.0.0.1", b.port(), 0), 1, false),
                        RelayTls.serverContext(pair, SslOptions.defaults()));
                java.net.Socket c = r.connect()) {
            c.getOutputStream().write(helloStart);
            io.netty.channel.Channel client = TcpRelayTest.awaitSession(r);
            client.closeFuture().awaitUninterruptibly(20, java.util.concurrent.TimeUnit.SECONDS);
            assertEquals("TLS handshake: timed out", RelaySession.reason(client));
        }
    }

    /**
     * A first record announced longer than TLS allows, and a flood of warning alerts before the
     * ClientHello, end the handshake at once, by BoringSSL and by the JDK alike: the JDK's
     * engine held both until the handshake timeout, 10 s of a session slot (probe AT).
     */
    @ParameterizedTest
    @CsvSource({"boring, long", "boring, alerts", "jdk, long", "jdk, alerts", "boring, plain", "jdk, plain",
            "boring, text", "jdk, text"})
    void anOverlongRecordOrAnAlertFloodEndsTheHandshakeAtOnce(String provider, String what) throws Exception {
        TlsKeyPair pair = pair();
        SslOptions options = provider.equals("jdk") ? TlsContextsTest.DHE_ONLY : SslOptions.defaults();
        java.io.ByteArrayOutputStream sent = new java.io.ByteArrayOutputStream();
        if (what.equals("long")) {
            sent.write(new byte[] {0x16, 0x03, 0x01, (byte) 0xff, (byte) 0xff, 0x01, 0x00});
        } else if (what.equals("text")) {
            // Plain text, whose bytes read as a record header announce 27,756 bytes (probe BA).
            sent.write("hello, relay\r\n".getBytes(StandardCharsets.US_ASCII));
        } else if (what.equals("plain")) {
            // 2^14 + 1: longer than a record in clear, as the ClientHello is, may be.
            sent.write(new byte[] {0x16, 0x03, 0x01, 0x40, 0x01, 0x01, 0x00});
        } else {
            for (int i = 0; i < 20; i++) {
                sent.write(new byte[] {0x15, 0x03, 0x01, 0x00, 0x02, 0x01, 0x5a}); // warning, user_canceled
            }
        }
        try (TestBackend b = TestBackend.identEcho("a"); RelayFixture r = tlsRelay(b, pair, options);
                java.net.Socket c = r.connect()) {
            io.netty.channel.Channel client = TcpRelayTest.awaitSession(r);
            c.getOutputStream().write(sent.toByteArray());
            assertTrue(client.closeFuture().awaitUninterruptibly(3, java.util.concurrent.TimeUnit.SECONDS),
                    "still open after 3 s");
            assertEquals(what.equals("text") ? "TLS handshake: the client did not begin TLS (plain text to a TLS port?)"
                    : !what.equals("alerts") ? "TLS handshake: a record longer than TLS allows"
                    : "TLS handshake: more than 4 alerts from the client", RelaySession.reason(client));
        }
    }

    @Test
    void oldProtocolsAreRefused() throws Exception {
        TlsKeyPair pair = pair();
        try (TestBackend b = TestBackend.identEcho("a");
                RelayFixture r = tlsRelay(b, pair, SslOptions.defaults())) {
            // The JDK client may refuse TLSv1.1 itself; either way no session is made.
            assertThrows(Exception.class, () -> connect(r, pair, "TLSv1.1").close());
            assertEquals(0, b.connections());
        }
    }

    @Test
    void sessionCacheSizeAndDisable() throws Exception {
        SslContext sized = RelayTls.serverContext(pair(), new SslOptions(SslOptions.DEFAULT_CIPHERS, 77, true));
        assertEquals(77, sized.sessionContext().getSessionCacheSize());
        SslContext off = RelayTls.serverContext(pair(),
                new SslOptions(SslOptions.DEFAULT_CIPHERS, SslOptions.CACHE_DISABLED, true));
        assertEquals(RelayTls.DISABLED_CACHE_TIMEOUT_SEC, off.sessionContext().getSessionTimeout());
        if (off.sessionContext() instanceof OpenSslSessionContext s) {
            assertFalse(s.isSessionCacheEnabled());
        }
    }

    /**
     * What openssl s_client sees when it comes back with the session of its first visit:
     * {@code session cache <n>} resumes TLS 1.3 (ticket), TLS 1.2 by ticket and by session id;
     * {@code session cache disable} (0) none of them. Netty turned tickets back on for every engine
     * that offers TLS 1.3, so a disabled cache still resumed by ticket.
     */
    @ParameterizedTest
    @CsvSource({"100, -tls1_3, Reused", "100, -tls1_2, Reused", "100, -tls1_2 -no_ticket, Reused",
        "0, -tls1_3, New", "0, -tls1_2, New", "0, -tls1_2 -no_ticket, New"})
    void resumptionAsTheSessionCacheSays(int cache, String flags, String expected) throws Exception {
        assumeTrue(RelayTls.provider() == SslProvider.OPENSSL, "BoringSSL is not loaded here");
        assumeTrue(new java.io.File("/usr/bin/openssl").canExecute(), "no openssl here");
        TlsKeyPair pair = pair();
        java.nio.file.Path sess = java.nio.file.Files.createTempFile("tls-session", ".pem");
        try (TestBackend b = TestBackend.identEcho("a");
                RelayFixture r = tlsRelay(b, pair, new SslOptions(SslOptions.DEFAULT_CIPHERS, cache, true))) {
            String first = sClient(r, flags + " -sess_out " + sess);
            assertTrue(first.contains("New,"), first);
            if (java.nio.file.Files.size(sess) == 0) {
                // Neither a ticket nor a session id came: s_client saved nothing to come back with.
                assertEquals("New", expected, first);
                return;
            }
            String second = sClient(r, flags + " -sess_in " + sess);
            assertTrue(second.contains(expected + ","), second);
        } finally {
            java.nio.file.Files.deleteIfExists(sess);
        }
    }

    /**
     * A TLS 1.3 client of a server that never writes to it (syslog over TLS, a log shipper)
     * gets its session ticket and resumes: BoringSSL held the tickets until the relay's first
     * write, so such a client never resumed, and each reconnect cost a full handshake (probe CB).
     */
    @Test
    void aTls13ClientThatOnlySendsGetsATicketAndResumes() throws Exception {
        assumeTrue(RelayTls.provider() == SslProvider.OPENSSL, "BoringSSL is not loaded here");
        assumeTrue(new java.io.File("/usr/bin/openssl").canExecute(), "no openssl here");
        java.nio.file.Path sess = java.nio.file.Files.createTempFile("tls-session", ".pem");
        try (TestBackend b = TestBackend.sink("logs");
                RelayFixture r = tlsRelay(b, pair(), new SslOptions(SslOptions.DEFAULT_CIPHERS, 100, true))) {
            assertTrue(sendOnly(r, "-tls1_3 -sess_out " + sess).contains("New,"));
            assertTrue(java.nio.file.Files.size(sess) > 0, "no ticket came: s_client saved no session");
            String second = sendOnly(r, "-tls1_3 -sess_in " + sess);
            assertTrue(second.contains("Reused,"), second);
        } finally {
            java.nio.file.Files.deleteIfExists(sess);
        }
    }

    /** Runs s_client against the relay: it sends a line, reads for a second, and quits. */
    private static String sendOnly(RelayFixture r, String flags) throws Exception {
        List<String> cmd = new java.util.ArrayList<>(List.of("openssl", "s_client", "-connect", "127.0.0.1:" + r.port));
        cmd.addAll(List.of(flags.split(" ")));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        try {
            p.getOutputStream().write("<13>a log line\n".getBytes(StandardCharsets.US_ASCII));
            p.getOutputStream().flush();
            Thread.sleep(1000);
            p.getOutputStream().close();
            assertTrue(p.waitFor(10, java.util.concurrent.TimeUnit.SECONDS), "s_client did not quit");
            return new String(p.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
        } finally {
            p.destroyForcibly();
        }
    }

    /** Runs s_client against the relay until the backend's greeting came through, then quits. */
    static String sClient(RelayFixture r, String flags) throws Exception {
        List<String> cmd = new java.util.ArrayList<>(List.of("openssl", "s_client", "-connect", "127.0.0.1:" + r.port));
        cmd.addAll(List.of(flags.split(" ")));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        StringBuilder out = new StringBuilder();
        try (java.io.BufferedReader in = new java.io.BufferedReader(
                new java.io.InputStreamReader(p.getInputStream(), StandardCharsets.US_ASCII))) {
            // The ticket comes with the relay's first write; the greeting is behind it.
            for (String line = in.readLine(); line != null && !line.equals("a"); line = in.readLine()) {
                out.append(line).append('\n');
            }
            p.getOutputStream().close();
            assertTrue(p.waitFor(10, java.util.concurrent.TimeUnit.SECONDS), "s_client did not quit");
        } finally {
            p.destroyForcibly();
        }
        return out.toString();
    }

    /**
     * BoringSSL serves TLS on the platform the daemon ships for (its library is in lib/): a
     * build that lost it would fall back to the JDK in silence, at several times the CPU per
     * handshake.
     */
    @Test
    void boringSslServesOnLinuxX8664() throws Exception {
        assumeTrue(System.getProperty("os.name").equals("Linux") && System.getProperty("os.arch").equals("amd64"),
                "netty-tcnative is packaged for Linux x86-64 only");
        assumeFalse(Boolean.getBoolean("io.netty.handler.ssl.noOpenSsl"), "BoringSSL is switched off in this run");
        assertEquals(SslProvider.OPENSSL, RelayTls.provider(), String.valueOf(OpenSsl.unavailabilityCause()));
        assertTrue(RelayTls.serverContext(pair(), SslOptions.defaults()) instanceof OpenSslContext);
    }

    /**
     * BoringSSL serves a list it has a suite of for the key without the JDK's suites of it:
     * those the list names one by one are warned of (they were dropped without a word, probe V),
     * not those a word such as HIGH brings in.
     */
    @Test
    void theJdksSuitesThatBoringSslLeavesOutAreNamedWhenTheListNamesThem() {
        List<String> suites = List.of("TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", "TLS_DHE_RSA_WITH_AES_256_GCM_SHA384",
                "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256");
        List<String> boring = List.of("TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256");
        assertEquals(List.of("DHE-RSA-AES256-GCM-SHA384"), RelayTls.namedAndLeftOut(
                "ECDHE-RSA-AES128-GCM-SHA256:DHE-RSA-AES256-GCM-SHA384:kEDH", suites, boring));
        assertEquals(List.of(), RelayTls.namedAndLeftOut("HIGH:!ADH", suites, boring));
        assertEquals(List.of(), RelayTls.namedAndLeftOut(null, suites, boring));
    }

    /** A list BoringSSL has no suite of (it has no DHE) keeps working, on the JDK's TLS. */
    @Test
    void aCipherListOnlyTheJdkCanServeFallsBackToIt() throws Exception {
        assumeTrue(RelayTls.provider() == SslProvider.OPENSSL, "BoringSSL is not loaded here");
        TlsKeyPair pair = pair();
        SslOptions dheOnly = new SslOptions("DHE-RSA-AES128-GCM-SHA256", SslOptions.CACHE_DEFAULT, true);
        assertTrue(RelayTls.serverContext(pair, dheOnly) instanceof JdkSslContext);
    }

    /**
     * A list whose only suite that BoringSSL has is one the key cannot sign with (ECDSA for an
     * RSA key; ECDHE-RSA-AES256-SHA384 is the JDK's alone): BoringSSL failed every handshake,
     * TLS 1.3 too, with an internal_error. The JDK, which has the RSA suite, serves instead.
     */
    @Test
    void aCipherListWhoseBoringSslSuitesDoNotFitTheKeyFallsBackToTheJdk() throws Exception {
        assumeTrue(RelayTls.provider() == SslProvider.OPENSSL, "BoringSSL is not loaded here");
        TlsKeyPair pair = pair();
        SslOptions list = new SslOptions("ECDHE-RSA-AES256-SHA384:ECDHE-ECDSA-AES128-GCM-SHA256",
                SslOptions.CACHE_DEFAULT, true);
        assertTrue(RelayTls.serverContext(pair, list) instanceof JdkSslContext);
        try (TestBackend b = TestBackend.identEcho("a");
                RelayFixture r = tlsRelay(b, pair, list)) {
            for (String version : List.of("TLSv1.3", "TLSv1.2")) {
                try (SSLSocket c = connect(r, pair, version)) {
                    assertEquals("a", TcpRelayTest.readLine(c.getInputStream()), version);
                }
            }
        }
    }

    /**
     * A server sends 1 MiB and ends its stream while the TLS client, with a small receive
     * window, has read a little; the client then sends a command and reads on. The relay
     * closed the client's connection as soon as the last bytes were in its kernel: the
     * command made the kernel reset it, dropping what the client had not received (about 860
     * KB of 1 MB in probe T). It now closes once the client has taken everything, without
     * waiting for the client to close (session 61: once its output was shut, the relay took
     * the connection for one still being sent to, and kept it until its timeout).
     */
    @ParameterizedTest
    @CsvSource({"TLSv1.3", "TLSv1.2"})
    void aTlsClientThatSendsAfterItsServerEndedGetsTheWholeStream(String version) throws Exception {
        TlsKeyPair pair = pair();
        int size = 1 << 20;
        try (TestBackend b = TestBackend.source("s", size);
                RelayFixture r = tlsRelay(b, pair, SslOptions.defaults());
                java.net.Socket tcp = new java.net.Socket()) {
            tcp.setReceiveBufferSize(16 * 1024);
            tcp.connect(new java.net.InetSocketAddress(InetAddress.getLoopbackAddress(), r.port));
            SSLSocket c = (SSLSocket) clientTrusting(pair.certificatePem()).getSocketFactory()
                    .createSocket(tcp, "localhost", r.port, true);
            c.setSoTimeout(20_000);
            c.setEnabledProtocols(new String[] {version});
            c.startHandshake();
            assertEquals(size, LateClientBytes.readAllSendingMidway(c, "QUIT\r\n"));
            TcpRelayTest.await(() -> r.counters.active() == 0); // the client's socket still open
        }
    }

    @Test
    void keysThatCannotServeAreRefusedWithTheReason() throws Exception {
        TlsKeyPair notPem = new TlsKeyPair(1, 1, resource("relay.crt"), "not a key".getBytes(StandardCharsets.US_ASCII));
        assertTrue(refusal(notPem).contains("no PEM private key"), refusal(notPem));
        TlsKeyPair mismatched = new TlsKeyPair(1, 1, resource("relay.crt"), resource("rsa-pkcs1.key"));
        assertTrue(refusal(mismatched).contains("does not belong"), refusal(mismatched));
        TlsKeyPair otherKind = new TlsKeyPair(1, 1, resource("relay.crt"), resource("ec-sec1.key"));
        assertEquals("the key does not belong to the certificate (an EC key, the certificate's is RSA)",
                refusal(otherKind));
        TlsKeyPair encrypted = new TlsKeyPair(1, 1, resource("relay.crt"),
                "-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIIB\n-----END ENCRYPTED PRIVATE KEY-----\n"
                        .getBytes(StandardCharsets.US_ASCII));
        assertTrue(refusal(encrypted).contains("encrypted"), refusal(encrypted));
        assertEquals("key file: the relay serves RSA and EC keys, not EdDSA", refusal(pair("ed25519")));
        assertEquals("key file: the relay serves RSA and EC keys, not RSASSA-PSS", refusal(pair("rsa-pss")));
        TlsKeyPair noCert = new TlsKeyPair(1, 1, "junk".getBytes(StandardCharsets.US_ASCII), resource("relay.key"));
        assertTrue(refusal(noCert).startsWith("certificate file") || refusal(noCert).startsWith("no certificate"),
                refusal(noCert));
    }

    static String refusal(TlsKeyPair p) {
        return assertThrows(IllegalArgumentException.class, () -> RelayTls.serverContext(p, SslOptions.defaults()))
                .getMessage();
    }

    @Test
    void handshakeFailureEndsOnlyThatSession() throws Exception {
        TlsKeyPair pair = pair();
        try (TestBackend b = TestBackend.identEcho("a");
                RelayFixture r = tlsRelay(b, pair, SslOptions.defaults())) {
            try (java.net.Socket raw = r.connect()) {
                raw.getOutputStream().write("GET / HTTP/1.0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                raw.getOutputStream().flush();
                InputStream in = raw.getInputStream();
                while (in.read() >= 0) {
                    // An alert, then EOF.
                }
            } catch (IOException e) {
                // A reset is a fine answer too.
            }
            assertEquals(0, b.connections(), "no backend connection for a failed handshake");
            try (SSLSocket c = connect(r, pair, "TLSv1.3")) {
                assertEquals("a", TcpRelayTest.readLine(c.getInputStream()));
            }
        }
    }


    /**
     * A client that sends close_notify and keeps its TCP connection open, waiting for the
     * relay's: the session ends then, not at its idle timeout (600 s here). TLS 1.3 half-closes
     * (what the server sends after the client's close_notify still arrives); TLS 1.2 answers
     * close_notify at once, so the session is over.
     */
    @ParameterizedTest
    @CsvSource({"TLSv1.3", "TLSv1.2"})
    void closeNotifyWithoutFinEndsTheSession(String protocol) throws Exception {
        TlsKeyPair pair = pair();
        try (TestBackend b = TestBackend.identEcho("a");
                RelayFixture r = tlsRelay(b, pair, SslOptions.defaults());
                TlsCloseNotifyClient c = new TlsCloseNotifyClient(r.address(), protocol)) {
            c.send("x\n");
            assertEquals("a\nx\n", c.awaitEndingWith("x\n"));
            c.closeNotify();
            assertTrue(c.closedWithin(5), "the relay kept the connection open after close_notify");
            long deadline = System.nanoTime() + 5_000_000_000L;
            while (!r.sessions().isEmpty() && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            assertEquals(List.of(), r.sessions(), "session still open after close_notify");
        }
    }

    /**
     * A TLS client that sends its data and close_notify while the relay is still connecting to
     * its server (right after the handshake, as {@code printf data | openssl s_client} does):
     * the data reaches the server, then a FIN, whether the client keeps its socket open or
     * closes it at once (the engine's close_notify then meets a reset). It was dropped: "0
     * bytes to server".
     */
    @ParameterizedTest
    @CsvSource({"TLSv1.3, open", "TLSv1.3, closed", "TLSv1.2, closed"})
    void dataBeforeCloseNotifyReachesAServerStillConnecting(String protocol, String socket) throws Exception {
        TlsKeyPair pair = pair();
        try (SilentListener slow = SilentListener.open()) {
            org.hoststated.core.config.RelayConfig cfg = RelayFixture.relay("fwd",
                    new org.hoststated.core.config.ForwardTarget(java.net.InetAddress.getLoopbackAddress(), "127.0.0.1",
                            slow.address().getPort(), 0), 600, false);
            try (RelayFixture r = RelayFixture.startTls(RelayTransport.best(), cfg,
                    RelayTls.serverContext(pair, SslOptions.defaults()));
                    TlsCloseNotifyClient c = new TlsCloseNotifyClient(r.address(), protocol)) {
                c.send("hello\n");
                c.closeNotify();
                if (socket.equals("closed")) {
                    c.close();
                }
                Thread.sleep(300); // the relay's connect still waits: its SYN was dropped
                try (java.net.Socket s = slow.acceptTheNext()) {
                    s.setSoTimeout(20_000);
                    assertEquals("hello\n", new String(s.getInputStream().readAllBytes(), StandardCharsets.US_ASCII));
                }
            }
        }
    }

    /**
     * A TLS client that sends close_notify while its server is still sending (no FIN from it
     * yet): BoringSSL answers with the relay's own close_notify at once, and what the server
     * sends next cannot follow. That close_notify would vouch for the cut stream as whole: the
     * client is reset instead, after what it was sent. A server that had ended its stream had
     * all of it sent, and the client gets close_notify (whether its own close_notify comes
     * before the relay's close, which is rare, or after it). On each transport. Where the JDK
     * serves TLS, a TLS 1.3 close_notify is a half-close, as TLS 1.3 allows: the server gets a
     * FIN, and the client the rest of the stream, then close_notify.
     */
    @ParameterizedTest
    @CsvSource({"epoll, TLSv1.3, sending", "epoll, TLSv1.2, sending", "io_uring, TLSv1.3, sending",
        "io_uring, TLSv1.2, sending", "epoll, TLSv1.3, ended", "io_uring, TLSv1.2, ended"})
    void closeNotifyWhileTheServerSendsIsAReset(String transport, String protocol, String server) throws Exception {
        TlsKeyPair pair = pair();
        java.util.concurrent.CountDownLatch notified = new java.util.concurrent.CountDownLatch(1);
        try (java.net.ServerSocket backend = new java.net.ServerSocket(0, 4, InetAddress.getLoopbackAddress())) {
            java.util.concurrent.CompletableFuture<Void> served = java.util.concurrent.CompletableFuture.runAsync(() -> {
                try (java.net.Socket s = backend.accept()) {
                    s.getOutputStream().write("first".getBytes(StandardCharsets.US_ASCII));
                    if (server.equals("ended")) {
                        s.shutdownOutput();
                    }
                    notified.await(10, java.util.concurrent.TimeUnit.SECONDS);
                    Thread.sleep(50);
                    if (server.equals("sending")) {
                        s.getOutputStream().write("second".getBytes(StandardCharsets.US_ASCII));
                    }
                    s.getInputStream().read(); // until the relay closes
                } catch (IOException e) {
                    // the relay closed first
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            try (RelayFixture r = forwardingTls(transport, backend.getLocalPort(), pair);
                    TlsCloseNotifyClient c = new TlsCloseNotifyClient(r.address(), protocol)) {
                String got = c.awaitEndingWith("first");
                assertEquals("first", got);
                if (server.equals("sending") && halfClosesTls13(protocol)) {
                    c.closeNotify();
                    notified.countDown();
                    assertEquals("firstsecond", c.awaitEndingWith("second"));
                    assertTrue(c.closedWithin(5), "the relay kept the connection open after the server's end");
                    assertTrue(c.closeNotifyReceived(), "no close_notify after the server's whole stream");
                    assertFalse(c.reset(), "a reset after the server's whole stream");
                    served.get(10, java.util.concurrent.TimeUnit.SECONDS);
                    return;
                }
                if (server.equals("sending")) {
                    c.closeNotify();
                } else {
                    // Once the relay has read the server's FIN, which may come a read after
                    // "first": a close_notify before it is taken as a cut (the relay cannot know
                    // the FIN was next), and is reset. The relay may have closed by now.
                    Thread.sleep(100);
                    c.closeNotifyIfOpen();
                }
                assertTrue(c.closedWithin(5), "the relay kept the connection open after close_notify");
                notified.countDown();
                assertEquals("first", c.awaitEndingWith("first"));
                if (server.equals("sending")) {
                    assertFalse(c.closeNotifyReceived(), "close_notify after a cut stream");
                    assertTrue(c.reset(), "no reset after a cut stream");
                } else {
                    assertTrue(c.closeNotifyReceived(), "no close_notify after the server's whole stream");
                    assertFalse(c.reset(), "a reset after the server's whole stream");
                }
            }
            served.get(10, java.util.concurrent.TimeUnit.SECONDS);
        }
    }

    /**
     * A TLS client's FIN on a TCP relay is passed on as a half-close, but only between records:
     * one that cuts a record (the JDK client here sends the first 10 bytes of its record) is a
     * truncation, and the server is reset rather than sent a FIN that would vouch for its
     * stream as whole. It got a FIN, and the close line said "closed by server". A FIN between
     * records still reaches the server as one, after the data, and once the server has ended
     * too the session is "done" (it said "closed by server", though the client ended first).
     * The FIN may come before the relay's connect to the server is done, which then resets it.
     */
    @ParameterizedTest
    @CsvSource({"epoll, TLSv1.3, cut", "io_uring, TLSv1.2, cut", "epoll, TLSv1.2, whole", "io_uring, TLSv1.3, whole"})
    void aClientFinInTheMiddleOfARecordResetsTheServer(String transport, String protocol, String how)
            throws Exception {
        TlsKeyPair pair = pair();
        try (java.net.ServerSocket backend = new java.net.ServerSocket(0, 4, InetAddress.getLoopbackAddress())) {
            java.util.concurrent.CompletableFuture<String> served = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
                try (java.net.Socket s = backend.accept()) {
                    java.io.ByteArrayOutputStream got = new java.io.ByteArrayOutputStream();
                    try {
                        s.getInputStream().transferTo(got);
                    } catch (IOException e) {
                        return "reset after " + got.size();
                    }
                    s.shutdownOutput(); // the server ends its stream in turn
                    return "fin after " + got.toString(StandardCharsets.US_ASCII);
                } catch (IOException e) {
                    return e.toString();
                }
            });
            try (RelayFixture r = forwardingTls(transport, backend.getLocalPort(), pair);
                    CuttingSocket tcp = new CuttingSocket()) {
                SSLSocket c = handshaken(r, tcp, pair, protocol);
                io.netty.channel.Channel client = TcpRelayTest.awaitSession(r);
                if (how.equals("cut")) {
                    tcp.cutAfter(10);
                }
                c.getOutputStream().write("hello".getBytes(StandardCharsets.US_ASCII));
                c.getOutputStream().flush();
                tcp.shutdownOutput();
                assertEquals(how.equals("cut") ? "reset after 0" : "fin after hello",
                        served.get(10, java.util.concurrent.TimeUnit.SECONDS));
                assertTrue(client.closeFuture().awaitUninterruptibly(10, java.util.concurrent.TimeUnit.SECONDS));
                String reason = RelaySession.reason(client);
                if (how.equals("cut")) {
                    assertTrue(reason.startsWith("client: TLS: the connection ended in the middle of a record ("),
                            reason);
                } else {
                    assertEquals("done", reason);
                }
            }
        }
    }

    /**
     * A TLS client's reset on a TCP relay, between records, resets the server, as a plain
     * client's does: the server got a FIN first, read a clean end of its stream after the cut
     * data and answered it as whole, and the reset came only after (probe S).
     */
    @ParameterizedTest
    @CsvSource({"epoll, TLSv1.3", "io_uring, TLSv1.2", "io_uring, TLSv1.3"})
    void aClientResetBetweenRecordsResetsTheServer(String transport, String protocol) throws Exception {
        TlsKeyPair pair = pair();
        java.util.concurrent.CountDownLatch allIn = new java.util.concurrent.CountDownLatch(1);
        try (java.net.ServerSocket backend = new java.net.ServerSocket(0, 4, InetAddress.getLoopbackAddress())) {
            java.util.concurrent.CompletableFuture<String> served = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
                try (java.net.Socket s = backend.accept()) {
                    long got = 0;
                    byte[] buf = new byte[8192];
                    try {
                        for (int n; (n = s.getInputStream().read(buf)) >= 0; ) {
                            got += n;
                            if (got == 100_000) {
                                allIn.countDown();
                            }
                        }
                    } catch (IOException e) {
                        return "reset after " + got;
                    }
                    return "fin after " + got;
                } catch (IOException e) {
                    return e.toString();
                }
            });
            try (RelayFixture r = forwardingTls(transport, backend.getLocalPort(), pair);
                    java.net.Socket tcp = new java.net.Socket()) {
                SSLSocket c = handshaken(r, tcp, pair, protocol);
                io.netty.channel.Channel client = TcpRelayTest.awaitSession(r);
                c.getOutputStream().write(new byte[100_000]);
                c.getOutputStream().flush();
                assertTrue(allIn.await(10, java.util.concurrent.TimeUnit.SECONDS));
                tcp.setSoLinger(true, 0);
                tcp.close();
                assertEquals("reset after 100000", served.get(10, java.util.concurrent.TimeUnit.SECONDS));
                assertTrue(client.closeFuture().awaitUninterruptibly(10, java.util.concurrent.TimeUnit.SECONDS));
                assertEquals("client: Connection reset by peer", RelaySession.reason(client));
            }
        }
    }

    /** A TLS TCP relay on {@code transport} that forwards to {@code port} on the loopback address. */
    private static RelayFixture forwardingTls(String transport, int port, TlsKeyPair pair) throws Exception {
        org.hoststated.core.config.RelayConfig cfg = RelayFixture.relay("fwd",
                new org.hoststated.core.config.ForwardTarget(InetAddress.getLoopbackAddress(), "127.0.0.1", port, 0),
                600, false);
        return RelayFixture.startTls(TcpOptionsTest.transport(transport), cfg,
                RelayTls.serverContext(pair, SslOptions.defaults()));
    }

    /** A {@code protocol} client of {@code r} over {@code tcp}, its handshake done. */
    private static SSLSocket handshaken(RelayFixture r, java.net.Socket tcp, TlsKeyPair pair, String protocol)
            throws Exception {
        tcp.connect(r.address());
        SSLSocket c = (SSLSocket) clientTrusting(pair.certificatePem()).getSocketFactory()
                .createSocket(tcp, "localhost", r.port, false);
        c.setEnabledProtocols(new String[] {protocol});
        c.startHandshake();
        return c;
    }

    /**
     * A TLS client that reads nothing while its server streams: the relay stops reading the
     * server once about the water mark waits for the client, as it does for a plain client
     * (TcpRelayTest.slowReaderKeepsTheRelaysBufferBounded), and the whole stream arrives once
     * the client reads. Behind TLS the client's writability event comes late; reading on until
     * it came queued 12 MB per such client.
     */
    @Test
    void aTlsClientThatReadsNothingKeepsTheRelaysBufferBounded() throws Exception {
        TlsKeyPair pair = pair();
        long size = 32L * 1024 * 1024;
        try (TestBackend b = TestBackend.source("src", size);
                RelayFixture r = tlsRelay(b, pair, SslOptions.defaults());
                java.net.Socket tcp = new java.net.Socket()) {
            tcp.setReceiveBufferSize(16 * 1024);
            tcp.connect(r.address());
            SSLSocket c = (SSLSocket) clientTrusting(pair.certificatePem()).getSocketFactory()
                    .createSocket(tcp, "localhost", r.port, true);
            c.setSoTimeout(20_000);
            c.startHandshake();
            io.netty.channel.Channel client = TcpRelayTest.awaitSession(r);
            TcpRelayTest.awaitOnLoop(client, () -> !client.isWritable());
            // One read (at most SocketOptions.MAX_READ) may pass the mark before reading stops,
            // and behind TLS what is pending is sealed: one record more, and each record's
            // header and tag (329,734 bytes against a plain bound of 327,680 once in CI).
            long bound = SocketOptions.WATER_MARK.high() + SocketOptions.MAX_READ + 16 * 1024 + 4096;
            for (int i = 0; i < 20; i++) {
                long pending = TcpRelayTest.onLoop(client, () -> {
                    io.netty.channel.ChannelOutboundBuffer ob = client.unsafe().outboundBuffer();
                    return ob == null ? 0 : ob.totalPendingWriteBytes();
                });
                assertTrue(pending <= bound, "pending " + pending + " > " + bound);
                Thread.sleep(25); // the server goes on sending meanwhile
            }
            TestBackend.Received got = Pattern.drain(c.getInputStream());
            assertEquals(size, got.bytes());
            assertTrue(Arrays.equals(Pattern.digest(size), got.sha256()));
        }
    }
}
