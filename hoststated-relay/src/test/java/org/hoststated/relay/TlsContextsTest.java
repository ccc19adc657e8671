package org.hoststated.relay;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.netty.handler.ssl.JdkSslContext;
import io.netty.handler.ssl.OpenSslContext;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslProvider;
import java.lang.ref.WeakReference;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.hoststated.core.config.SslOptions;
import org.hoststated.core.msg.TlsKeyPair;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A reload that leaves a relay's TLS inputs as they were keeps its context (and so its session
 * cache); anything changed builds a new one, relays on the same inputs share one, and replaced
 * contexts are not held on to.
 */
class TlsContextsTest {
    static final SslOptions CACHE_100 = new SslOptions(SslOptions.DEFAULT_CIPHERS, 100, true);
    /** A list BoringSSL has no TLS 1.2 suite of: the relay is served by the JDK's TLS. */
    static final SslOptions DHE_ONLY = new SslOptions("DHE-RSA-AES128-GCM-SHA256", 100, true);

    /** The same files read again at a reload: equal bytes in new arrays, another generation. */
    static TlsKeyPair reread(TlsKeyPair p, int generation) {
        return new TlsKeyPair(generation, p.relayId(), p.certificatePem().clone(), p.keyPem().clone());
    }

    /** One reload: relay "tls" gets its context for {@code pair} and {@code options}. */
    static SslContext reload(TlsContexts contexts, TlsKeyPair pair, SslOptions options) throws Exception {
        TlsContexts.Next next = contexts.next();
        SslContext c = next.context("tls", pair, options);
        contexts.commit(next);
        return c;
    }

    @Test
    void unchangedInputsKeepTheContext() throws Exception {
        TlsContexts contexts = new TlsContexts();
        TlsKeyPair pair = TlsRelayTest.pair();
        SslContext first = reload(contexts, pair, CACHE_100);
        assertSame(first, reload(contexts, reread(pair, 2), new SslOptions(SslOptions.DEFAULT_CIPHERS, 100, true)));
        assertEquals(1, contexts.built());
    }

    /** Each input of the context, changed alone, gives a new one. */
    @ParameterizedTest
    @CsvSource({"ec-sec1, HIGH:!ADH, 100", "relay, HIGH:!ADH:!AES128, 100", "relay, HIGH:!ADH, 200",
        "relay, HIGH:!ADH, 0", "relay, HIGH:!ADH, -1"})
    void aChangedInputBuildsANewContext(String keys, String ciphers, int cache) throws Exception {
        TlsContexts contexts = new TlsContexts();
        SslContext first = reload(contexts, TlsRelayTest.pair(), CACHE_100);
        SslContext second = reload(contexts, TlsRelayTest.pair(keys), new SslOptions(ciphers, cache, true));
        assertNotSame(first, second);
        assertEquals(2, contexts.built());
        if (cache > 0) {
            assertEquals(cache, second.sessionContext().getSessionCacheSize());
        }
    }

    /** Inputs are compared by their bytes, not by what they mean. */
    @Test
    void theKeyFileIsComparedByItsBytes() throws Exception {
        TlsContexts contexts = new TlsContexts();
        TlsKeyPair pair = TlsRelayTest.pair();
        SslContext first = reload(contexts, pair, CACHE_100);
        // The same key, written with other line breaks: another file to the parent, so a new context.
        byte[] key = new String(pair.keyPem(), StandardCharsets.US_ASCII).replace("\n", "\r\n")
                .getBytes(StandardCharsets.US_ASCII);
        assertNotSame(first, reload(contexts, new TlsKeyPair(2, 1, pair.certificatePem(), key), CACHE_100));
    }

    /** A generation that fails part way is dropped: the next one finds the contexts that ran before. */
    @Test
    void aRefusedGenerationChangesNothing() throws Exception {
        TlsContexts contexts = new TlsContexts();
        TlsKeyPair pair = TlsRelayTest.pair();
        SslContext running = reload(contexts, pair, CACHE_100);
        TlsContexts.Next refused = contexts.next();
        assertNotSame(running, refused.context("tls", TlsRelayTest.pair("ec-sec1"), CACHE_100));
        TlsKeyPair bad = new TlsKeyPair(3, 2, pair.certificatePem(), "not a key".getBytes(StandardCharsets.US_ASCII));
        assertThrows(IllegalArgumentException.class, () -> refused.context("other", bad, CACHE_100));
        assertSame(running, reload(contexts, reread(pair, 4), CACHE_100));
    }

    /**
     * Relays on the same inputs share one context, built once: a context a relay was 3 ms of
     * the engine's loop, and a reload adding 2,000 TLS relays on one certificate held it 6 s
     * (probe U). Other options or other keys get contexts of their own.
     */
    @Test
    void relaysOnTheSameInputsShareOneContext() throws Exception {
        TlsContexts contexts = new TlsContexts();
        TlsKeyPair pair = TlsRelayTest.pair();
        TlsContexts.Next next = contexts.next();
        SslContext shared = next.context("r0", pair, CACHE_100);
        for (int i = 1; i < 2000; i++) {
            assertSame(shared, next.context("r" + i, reread(pair, 1), CACHE_100));
        }
        SslContext otherOptions = next.context("o", pair, new SslOptions(SslOptions.DEFAULT_CIPHERS, 200, true));
        SslContext otherKey = next.context("k", TlsRelayTest.pair("ec-sec1"), CACHE_100);
        contexts.commit(next);
        assertNotSame(shared, otherOptions);
        assertNotSame(shared, otherKey);
        assertNotSame(otherOptions, otherKey);
        assertEquals(3, contexts.built());
        assertEquals(3, contexts.size());
        TlsContexts.Next again = contexts.next();
        assertSame(shared, again.context("r5", reread(pair, 2), CACHE_100));
        contexts.commit(again);
        assertEquals(1, contexts.size(), "only r5's inputs are still used: the others are no longer held");
        assertEquals(3, contexts.built());
    }

    /** Reloads every few minutes for days: one context, not one per reload. */
    @Test
    void twoHundredUnchangedReloadsBuildOneContext() throws Exception {
        TlsContexts contexts = new TlsContexts();
        TlsKeyPair pair = TlsRelayTest.pair();
        SslContext first = reload(contexts, pair, CACHE_100);
        for (int gen = 2; gen <= 200; gen++) {
            assertSame(first, reload(contexts, reread(pair, gen), CACHE_100));
        }
        assertEquals(1, contexts.built());
        assertEquals(1, contexts.size());
    }

    /**
     * Contexts that reloads replaced are not held here: once their sessions are gone, the
     * garbage collector takes them (and Netty's finalizer frees BoringSSL's SSL_CTX).
     */
    @Test
    void replacedContextsAreLetGo() throws Exception {
        TlsContexts contexts = new TlsContexts();
        List<WeakReference<SslContext>> replaced = new ArrayList<>();
        TlsKeyPair[] pairs = {TlsRelayTest.pair(), TlsRelayTest.pair("ec-sec1")};
        for (int gen = 0; gen < 40; gen++) {
            replaced.add(new WeakReference<>(reload(contexts, pairs[gen % 2], CACHE_100)));
        }
        SslContext last = replaced.remove(replaced.size() - 1).get();
        assertEquals(40, contexts.built());
        for (int i = 0; i < 50 && replaced.stream().anyMatch(r -> r.get() != null); i++) {
            System.gc();
            Thread.sleep(20);
        }
        assertEquals(0, replaced.stream().filter(r -> r.get() != null).count(), "replaced contexts still reachable");
        assertSame(last, reload(contexts, reread(pairs[1], 41), CACHE_100));
    }

    /**
     * What a TLS 1.2 client without tickets sees when it comes back with its session id after a
     * reload: resumed when the TLS settings stayed (the context and its cache are the same), a
     * full handshake when the certificate changed (a new context, an empty cache). By
     * BoringSSL, and by the JDK for a relay whose cipher list only the JDK serves.
     */
    @ParameterizedTest
    @CsvSource({"relay, boring, Reused", "ec-sec1, boring, New", "relay, jdk, Reused", "rsa-pkcs1, jdk, New"})
    void sessionIdResumptionAcrossAReload(String keysAfter, String provider, String expected) throws Exception {
        assumeTrue(RelayTls.provider() == SslProvider.OPENSSL, "BoringSSL is not loaded here");
        assumeTrue(new java.io.File("/usr/bin/openssl").canExecute(), "no openssl here");
        boolean jdk = provider.equals("jdk");
        SslOptions options = jdk ? DHE_ONLY : CACHE_100;
        String flags = "-tls1_2 -no_ticket" + (jdk ? " -cipher DHE-RSA-AES128-GCM-SHA256" : "");
        TlsContexts contexts = new TlsContexts();
        TlsKeyPair pair = TlsRelayTest.pair();
        Path sess = Files.createTempFile("tls-session", ".pem");
        try (TestBackend b = TestBackend.identEcho("a")) {
            SslContext before = reload(contexts, pair, options);
            assertTrue(jdk ? before instanceof JdkSslContext : before instanceof OpenSslContext, before.toString());
            try (RelayFixture r = RelayFixture.startTls(RelayTransport.best(), RelayFixture.forward(b), before)) {
                String first = TlsRelayTest.sClient(r, flags + " -sess_out " + sess);
                assertTrue(first.contains("New,"), first);
            }
            TlsKeyPair after = keysAfter.equals("relay") ? reread(pair, 2) : TlsRelayTest.pair(keysAfter);
            SslContext next = reload(contexts, after, options);
            // The reloaded relay serves on a new listener, as a generation whose address changed would.
            try (RelayFixture r = RelayFixture.startTls(RelayTransport.best(), RelayFixture.forward(b), next)) {
                String second = TlsRelayTest.sClient(r, flags + " -sess_in " + sess);
                assertTrue(second.contains(expected + ","), second);
            }
        } finally {
            Files.deleteIfExists(sess);
        }
    }
    /**
     * What a client that resumes by ticket (TLS 1.2 or 1.3) sees after a reload: resumed when
     * the certificate and key stayed, even with other {@code ssl} options (a new context, the
     * relay's ticket key kept); a full handshake, with the new certificate, when they changed.
     * Tickets were sealed with one key per engine process, so a client kept resuming the
     * session of the certificate a reload had replaced, and with it the old identity.
     */
    @ParameterizedTest
    @CsvSource({"relay, 100, -tls1_2, Reused", "relay, 100, -tls1_3, Reused", "relay, 200, -tls1_2, Reused",
        "relay, 200, -tls1_3, Reused", "rsa-pkcs1, 100, -tls1_2, New", "rsa-pkcs1, 100, -tls1_3, New"})
    void ticketResumptionAcrossAReload(String keysAfter, int cacheAfter, String flags, String expected)
            throws Exception {
        assumeTrue(RelayTls.provider() == SslProvider.OPENSSL, "BoringSSL is not loaded here");
        assumeTrue(new java.io.File("/usr/bin/openssl").canExecute(), "no openssl here");
        TlsContexts contexts = new TlsContexts();
        TlsKeyPair pair = TlsRelayTest.pair();
        Path sess = Files.createTempFile("tls-ticket", ".pem");
        try (TestBackend b = TestBackend.identEcho("a")) {
            SslContext before = reload(contexts, pair, CACHE_100);
            try (RelayFixture r = RelayFixture.startTls(RelayTransport.best(), RelayFixture.forward(b), before)) {
                String first = TlsRelayTest.sClient(r, flags + " -sess_out " + sess);
                assertTrue(first.contains("New,"), first);
            }
            TlsKeyPair after = keysAfter.equals("relay") ? reread(pair, 2) : TlsRelayTest.pair(keysAfter);
            SslContext next = reload(contexts, after, new SslOptions(SslOptions.DEFAULT_CIPHERS, cacheAfter, true));
            assertEquals(cacheAfter == 100 && keysAfter.equals("relay") ? 1 : 2, contexts.built());
            try (RelayFixture r = RelayFixture.startTls(RelayTransport.best(), RelayFixture.forward(b), next)) {
                String second = TlsRelayTest.sClient(r, flags + " -sess_in " + sess);
                assertTrue(second.contains(expected + ","), second);
                assertEquals(pemBody(after.certificatePem()), pemBody(second.getBytes(StandardCharsets.US_ASCII)),
                        "the client holds another certificate than the one the relay serves");
            }
        } finally {
            Files.deleteIfExists(sess);
        }
    }

    /**
     * The ticket keys are replaced every hour: a ticket still resumes after one replacement
     * (sealed with the key before the current one) and no longer after two, so a key that
     * leaked opens the TLS 1.2 sessions of two hours at most (probe AT: one key for as long as
     * the engine ran).
     */
    @ParameterizedTest
    @ValueSource(strings = {"-tls1_2", "-tls1_3"})
    void aTicketResumesAfterOneKeyRotationNotAfterTwo(String flags) throws Exception {
        assumeTrue(RelayTls.provider() == SslProvider.OPENSSL, "BoringSSL is not loaded here");
        assumeTrue(new java.io.File("/usr/bin/openssl").canExecute(), "no openssl here");
        TlsContexts contexts = new TlsContexts();
        Path sess = Files.createTempFile("tls-ticket", ".pem");
        try (TestBackend b = TestBackend.identEcho("a");
                RelayFixture r = RelayFixture.startTls(RelayTransport.best(), RelayFixture.forward(b),
                        reload(contexts, TlsRelayTest.pair(), CACHE_100))) {
            assertTrue(TlsRelayTest.sClient(r, flags + " -sess_out " + sess).contains("New,"));
            contexts.rotateTicketKeys();
            String once = TlsRelayTest.sClient(r, flags + " -sess_in " + sess);
            assertTrue(once.contains("Reused,"), once);
            contexts.rotateTicketKeys();
            String twice = TlsRelayTest.sClient(r, flags + " -sess_in " + sess);
            assertTrue(twice.contains("New,"), twice);
        } finally {
            Files.deleteIfExists(sess);
        }
    }

    /** The base64 of the first certificate in {@code text} (a PEM file, or s_client's output). */
    private static String pemBody(byte[] text) {
        String t = new String(text, StandardCharsets.US_ASCII);
        int from = t.indexOf("-----BEGIN CERTIFICATE-----");
        int to = t.indexOf("-----END CERTIFICATE-----", from);
        assertTrue(from >= 0 && to > from, "no certificate in:\n" + t);
        return t.substring(from, to).replaceAll("\\s", "");
    }

    /**
     * A rotation while a reload's new contexts are built (on their own thread) reaches them at
     * the commit: the new context went on sealing tickets with the key the rotation had
     * retired, which then opened nothing after one more rotation (review CF).
     */
    @Test
    void aContextBuiltWhileTheKeysRotatedTakesTheCurrentOnesAtTheCommit() throws Exception {
        assumeTrue(RelayTls.provider() == SslProvider.OPENSSL, "BoringSSL is not loaded here");
        String gcm = "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256";
        TlsContexts contexts = new TlsContexts();
        TlsKeyPair pair = TlsRelayTest.pair();
        SslOptions first = new SslOptions(SslOptions.DEFAULT_CIPHERS, 100, true);
        SslContext running = reload(contexts, pair, first);
        TlsContexts.Next next = contexts.next();
        next.context("tls", reread(pair, 2), first);
        SslContext built = next.context("tls2", reread(pair, 2), new SslOptions(SslOptions.DEFAULT_CIPHERS, 200, true));
        contexts.rotateTicketKeys();
        contexts.commit(next);

        javax.net.ssl.SSLContext client = InMemoryTls.trustingClient();
        assertTrue(!InMemoryTls.handshake(built, client, "TLSv1.2", gcm).resumed());
        assertTrue(InMemoryTls.handshake(running, client, "TLSv1.2", gcm).resumed(), "its sibling opens its ticket");
        javax.net.ssl.SSLContext later = InMemoryTls.trustingClient();
        assertTrue(!InMemoryTls.handshake(built, later, "TLSv1.2", gcm).resumed());
        contexts.rotateTicketKeys();
        assertTrue(InMemoryTls.handshake(built, later, "TLSv1.2", gcm).resumed(), "its ticket opens a rotation later");
    }
}
