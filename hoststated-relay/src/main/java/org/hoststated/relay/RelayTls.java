package org.hoststated.relay;

import io.netty.channel.Channel;
import io.netty.channel.ChannelException;
import io.netty.channel.unix.IntegerUnixChannelOption;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.handler.ssl.CipherSuiteConverter;
import io.netty.handler.ssl.IdentityCipherSuiteFilter;
import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.OpenSslContext;
import io.netty.handler.ssl.OpenSslSessionContext;
import io.netty.handler.ssl.OpenSslSessionTicketKey;
import io.netty.handler.ssl.ReferenceCountedOpenSslEngine;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslProvider;
import io.netty.internal.tcnative.SSL;
import java.security.SecureRandom;
import java.util.List;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLSession;
import org.hoststated.core.config.SslOptions;
import org.hoststated.core.msg.TlsKeyPair;
import org.hoststated.core.tls.OpenSslCipherList;
import org.hoststated.core.tls.PemKeyPair;
import org.hoststated.relay.handler.SessionInfo;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Builds the TLS server context of a {@code listen on ... ssl} relay from the certificate chain
 * and key the parent read (PEM, sent as {@code RECONF_KEYPAIR}): the chrooted relay engine
 * opens no files. TLS 1.2 and 1.3 only (DECISIONS.md), by BoringSSL (netty-tcnative) where its
 * library loads, which costs a handshake far less CPU than the JDK's provider, else by the
 * JDK. The protocol's {@code ssl} options apply: {@code ciphers} in OpenSSL's language
 * ({@link OpenSslCipherList}, TLS 1.2 suites), and {@code session cache <n>} (sessions kept) or
 * {@code session cache disable}. Runs on the relay engine's loop when a configuration is
 * applied; {@link #provider()} is chosen once, before the chroot.
 */
public final class RelayTls {
    private static final Logger log = LoggerFactory.getLogger(RelayTls.class);
    static final String[] PROTOCOLS = {"TLSv1.3", "TLSv1.2"};
    /**
     * {@code session cache disable}: the JDK cannot switch its session cache (or TLS 1.3
     * tickets) off, so one session is kept for one second, which no client can use in practice.
     */
    static final int DISABLED_CACHE_SIZE = 1;
    static final int DISABLED_CACHE_TIMEOUT_SEC = 1;

    /** Netty's merging record buffer, compacted when it would pin a larger buffer. */
    private static final ByteToMessageDecoder.Cumulator COMPACTING = (alloc, cumulation, in) ->
            ReceiveRing.compact(ByteToMessageDecoder.MERGE_CUMULATOR.cumulate(alloc, cumulation, in), alloc);

    /** {@code TCP_QUICKACK} (IPPROTO_TCP 6, option 12), on the epoll and io_uring channels alike. */
    private static final IntegerUnixChannelOption QUICKACK = new IntegerUnixChannelOption("TCP_QUICKACK", 6, 12);

    private static final SecureRandom RANDOM = new SecureRandom();
    /**
     * The in-memory key store a context's key passes through: JKS protects a key with one
     * SHA-1 pass, where PKCS12 runs two PBKDF2 derivations per context, on the relay's event
     * loop (8 contexts: about 250 against 350 ms on a quiet two-core machine; under load a
     * helper saw 8 TLS relays stall the loop for seconds).
     */
    private static final String HANDOVER_KEY_STORE = "JKS";

    /** The provider of every context; chosen by the first {@link #provider()} call. */
    private static volatile SslProvider provider;

    private RelayTls() {
    }

    /**
     * BoringSSL when netty-tcnative's library loads here, else the JDK. The first call loads the
     * library, which Netty unpacks into /tmp: the engine makes it before its chroot.
     */
    public static SslProvider provider() {
        SslProvider p = provider;
        if (p == null) {
            p = OpenSsl.isAvailable() ? SslProvider.OPENSSL : SslProvider.JDK;
            if (p == SslProvider.JDK) {
                // The cause's text as the argument: slf4j takes a last Throwable for a stack trace.
                Throwable why = OpenSsl.unavailabilityCause();
                log.info("TLS by the JDK: BoringSSL cannot be used here ({})", why == null ? "no reason given" : why.getMessage());
            }
            provider = p;
        }
        return p;
    }

    /** How the start-up line names the provider. */
    public static String providerName() {
        return provider() == SslProvider.OPENSSL ? OpenSsl.versionString() : "the JDK";
    }

    /**
     * The TLS handler of one accepted session. Its record buffer is compacted
     * ({@link ReceiveRing#compact}): the bytes of an incomplete record would otherwise keep a
     * whole ring buffer (or a large read buffer) alive for as long as a slow client takes to
     * send the rest. Under {@code session cache disable} the session issues no tickets. The
     * version and cipher agreed go to the session's close line as {@code [tls: TLSv1.3
     * TLS_AES_128_GCM_SHA256]}, so an operator sees who still needs TLS 1.2 or a weak suite.
     * The JDK's engine gets BoringSSL's limit on records without data ({@link JdkEngineLimits}).
     *
     * <p>When a handshake is done, the client's last flight is acknowledged at once
     * ({@code TCP_QUICKACK}): in TLS 1.3, and in a resumed TLS 1.2 one, the client's Finished
     * is the handshake's last message, nothing of the relay's answers it, and the kernel delays
     * the acknowledgement by 40 ms or more; a client whose socket keeps Nagle's algorithm on
     * (OpenSSL's s_client, Python's) holds its first request back until then (probe CE: 42 ms
     * for each resumed TLS 1.2 session; only TLS 1.3 was looked after). In a full TLS 1.2
     * handshake the relay's own Finished answers the client's, and the option changes nothing.
     * (The JDK's client writes its ChangeCipherSpec and its Finished apart, so with Nagle on its
     * Finished waits as long, behind nginx too.)
     */
    public static SslHandler handler(SslContext tls, Channel ch) {
        SslHandler h = tls.isServer() && !(tls instanceof OpenSslContext)
                ? new SslHandler(new JdkEngineLimits(tls.newEngine(ch.alloc())))
                : tls.newHandler(ch.alloc());
        h.setCumulator(COMPACTING);
        h.handshakeFuture().addListener(f -> {
            if (!f.isSuccess()) {
                return;
            }
            SSLSession agreed = h.engine().getSession();
            if ("TLSv1.3".equals(agreed.getProtocol())) {
                sendTicketsNow(h, ch);
            }
            acknowledgeNow(ch);
            SessionInfo session = SessionInfo.of(ch);
            if (session != null) {
                session.logValue("tls", agreed.getProtocol() + " " + agreed.getCipherSuite());
            }
        });
        if (tls.sessionContext() instanceof OpenSslSessionContext s && !s.isSessionCacheEnabled()
                && h.engine() instanceof ReferenceCountedOpenSslEngine e) {
            // Netty clears SSL_OP_NO_TICKET on every server engine that offers TLS 1.3, and
            // BoringSSL, given no ticket keys, makes its own: both TLS 1.3 and 1.2 clients
            // would resume by ticket.
            SSL.setOptions(e.sslPointer(), SSL.SSL_OP_NO_TICKET);
        }
        return h;
    }

    /** Where a write of zero bytes points (the native call refuses a null address); kept reachable. */
    private static final java.nio.ByteBuffer NO_BYTES = java.nio.ByteBuffer.allocateDirect(1);
    private static final long NO_BYTES_ADDRESS = io.netty.util.internal.PlatformDependent.directBufferAddress(NO_BYTES);

    /**
     * Sends the session tickets of a TLS 1.3 handshake now: BoringSSL holds them until the
     * server's first write, and asks a server that may never write to the client to write zero
     * bytes (its {@code do_send_new_session_ticket}). A client that only sends (syslog over TLS,
     * a log or metrics shipper behind a TCP relay) got no ticket, and every reconnect cost a
     * full handshake (probe CB). The flush takes the tickets out of the engine's buffer.
     */
    private static void sendTicketsNow(SslHandler h, Channel ch) {
        if (!(h.engine() instanceof ReferenceCountedOpenSslEngine e)) {
            return;   // the JDK's engine sends its tickets with the handshake's end
        }
        synchronized (e) {
            long ssl = e.sslPointer();
            if (ssl == 0 || e.isOutboundDone()) {
                return;
            }
            SSL.writeToSSL(ssl, NO_BYTES_ADDRESS, 0);
            // What it says (SSL_ERROR_SYSCALL for no bytes) must not meet the engine's next call.
            SSL.clearError();
        }
        ch.flush();
    }

    /**
     * Sends the acknowledgement that {@code ch}'s kernel holds back for what it received, if
     * any: setting {@code TCP_QUICKACK} sends it (Linux, {@code tcp(7)}). Nothing when the
     * channel cannot take the option.
     */
    private static void acknowledgeNow(Channel ch) {
        try {
            ch.config().setOption(QUICKACK, 1);
        } catch (ChannelException | UnsupportedOperationException e) {
            log.debug("cannot acknowledge at once: {}", e.toString());
        }
    }

    /**
     * @param relayName for the warning about cipher words that are not understood
     * @param ticketKeys seal the session tickets BoringSSL issues (the first) and open them
     *     ({@link TicketKeys}); the JDK's provider keeps its own keys in each context
     * @throws SSLException the JDK cannot build the context
     * @throws IllegalArgumentException the certificate, key or cipher list cannot be used (the
     *     message says why)
     */
    public static SslContext serverContext(String relayName, TlsKeyPair pair, SslOptions options,
            OpenSslSessionTicketKey... ticketKeys) throws SSLException {
        PemKeyPair keys = PemKeyPair.parse(pair.certificatePem(), pair.keyPem());
        SslOptions o = options != null ? options : SslOptions.defaults();
        OpenSslCipherList.Result ciphers = OpenSslCipherList.apply(
                o.ciphers() != null ? o.ciphers() : SslOptions.DEFAULT_CIPHERS, OpenSslCipherList.jdkDefaultSuites());
        // A TLS 1.3 suite's name is known, only not the list's to choose: the configuration's
        // check said so, and the engine offers it anyway (probe AZ).
        List<String> notKnown = ciphers.notKnown();
        if (!notKnown.isEmpty()) {
            log.warn("relay {}: ciphers: skipped {} (unknown here)", relayName, String.join(" ", notKnown));
        }
        SslProvider p = provider();
        List<String> suites = ciphers.suites();
        if (p == SslProvider.OPENSSL) {
            List<String> boring = suites.stream().filter(OpenSsl.availableJavaCipherSuites()::contains).toList();
            if (OpenSslCipherList.fitsKey(boring, keys.key().getAlgorithm())) {
                List<String> left = namedAndLeftOut(o.ciphers(), suites, boring);
                if (!left.isEmpty()) {
                    // The JDK would serve them; BoringSSL serves the rest, faster (probe V).
                    log.warn("relay {}: ciphers: BoringSSL has not {}: left out", relayName, String.join(" ", left));
                }
                suites = boring;
            } else {
                // The list was checked against the JDK's suites when it was loaded; keep it
                // working rather than refuse what hoststated -n accepted. A TLS 1.2 suite of
                // BoringSSL's is not enough: with none the key signs with, BoringSSL failed
                // every handshake, TLS 1.3 too, after -n and the reload said OK (probe Q).
                warnServedByJdk(relayName, keys.key().getAlgorithm());
                p = SslProvider.JDK;
            }
        }
        SslContextBuilder b = SslContextBuilder.forServer(keys.key(), keys.chain())
                // Netty stores the key in a key store of this type to hand it over; the JDK's
                // default, PKCS12, seals and unseals it with 10,000 PBKDF2 rounds each time.
                .keyStoreType(HANDOVER_KEY_STORE)
                .sslProvider(p)
                .protocols(PROTOCOLS)
                .ciphers(suites, IdentityCipherSuiteFilter.INSTANCE);
        boolean disabled = o.sessionCache() == SslOptions.CACHE_DISABLED;
        if (disabled) {
            b.sessionCacheSize(DISABLED_CACHE_SIZE).sessionTimeout(DISABLED_CACHE_TIMEOUT_SEC);
        } else if (o.sessionCache() > 0) {
            b.sessionCacheSize(o.sessionCache());
        }
        SslContext ctx = b.build();
        if (ctx.sessionContext() instanceof OpenSslSessionContext s) {
            if (disabled) {
                // BoringSSL can really switch it off; handler() turns tickets off per session.
                s.setSessionCacheEnabled(false);
            } else {
                // Netty clears SSL_OP_NO_TICKET on a server engine that offers TLS 1.3, so TLS
                // 1.2 clients get tickets too; BoringSSL would make its own key otherwise.
                s.setTicketKeys(ticketKeys);
            }
        }
        return ctx;
    }

    /**
     * Warns that relay {@code relayName} is served by the JDK: BoringSSL has none of its TLS 1.2
     * suites that a key of {@code keyAlgorithm} signs with. Said for every such relay, also one
     * that shares a context built for another ({@link TlsContexts}).
     */
    static void warnServedByJdk(String relayName, String keyAlgorithm) {
        log.warn("relay {}: ciphers: BoringSSL has none of the TLS 1.2 suites chosen that an {} key signs with; "
                + "TLS by the JDK", relayName, keyAlgorithm);
    }

    /**
     * The suites of {@code suites} that BoringSSL has not ({@code boring} are those it has) and
     * that the operator's list names one by one, in OpenSSL's names: the ones a word such as
     * HIGH brings in (DHE, for the default list) are left out without a word.
     */
    static List<String> namedAndLeftOut(String spec, List<String> suites, List<String> boring) {
        if (spec == null) {
            return List.of();
        }
        java.util.Set<String> named = java.util.Set.of(spec.trim().split("[:, ;]+"));
        return suites.stream().filter(x -> !boring.contains(x))
                .map(x -> CipherSuiteConverter.toOpenSsl(x, false))
                .filter(x -> x != null && named.contains(x)).toList();
    }

    /**
     * A random key to seal session tickets with. It never leaves the engine process, so no
     * ticket survives a restart of the relay engine. {@link TlsContexts} gives each certificate
     * and key their own ({@link TicketKeys}, replaced every hour) and keeps them only while
     * they are served: a ticket
     * resumes a session without the certificate, so the client would keep the identity the
     * ticket was issued under.
     */
    public static OpenSslSessionTicketKey newTicketKey() {
        byte[][] parts = new byte[3][OpenSslSessionTicketKey.NAME_SIZE];
        for (byte[] p : parts) {
            RANDOM.nextBytes(p);
        }
        return new OpenSslSessionTicketKey(parts[0], parts[1], parts[2]);
    }

    /** For tests and tools: a context for relay "-" with a ticket key of its own. */
    public static SslContext serverContext(TlsKeyPair pair, SslOptions options) throws SSLException {
        return serverContext("-", pair, options, newTicketKey());
    }
}
