package org.hoststated.relay;

import io.netty.channel.Channel;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.handler.ssl.IdentityCipherSuiteFilter;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslProvider;
import javax.net.ssl.SSLException;
import org.hoststated.core.config.SslOptions;
import org.hoststated.core.msg.TlsKeyPair;
import org.hoststated.core.tls.OpenSslCipherList;
import org.hoststated.core.tls.PemKeyPair;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Builds the TLS server context of a {@code listen on ... ssl} relay from the certificate chain
 * and key the parent read (PEM, sent as {@code RECONF_KEYPAIR}): the chrooted relay engine
 * opens no files. TLS 1.2 and 1.3 only (DECISIONS.md), on the JDK's provider (no native
 * library to unpack inside the chroot). The protocol's {@code ssl} options apply:
 * {@code ciphers} in OpenSSL's language ({@link OpenSslCipherList}, TLS 1.2 suites), and
 * {@code session cache <n>} (sessions kept) or {@code session cache disable}. Stateless; runs
 * on the relay engine's loop when a configuration is applied.
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

    private RelayTls() {
    }

    /**
     * The TLS handler of one accepted session. Its record buffer is compacted
     * ({@link ReceiveRing#compact}): the bytes of an incomplete record would otherwise keep a
     * whole ring buffer (or a large read buffer) alive for as long as a slow client takes to
     * send the rest.
     */
    public static SslHandler handler(SslContext tls, Channel ch) {
        SslHandler h = tls.newHandler(ch.alloc());
        h.setCumulator(COMPACTING);
        return h;
    }

    /**
     * @param relayName for the warning about cipher words that are not understood
     * @throws SSLException the JDK cannot build the context
     * @throws IllegalArgumentException the certificate, key or cipher list cannot be used (the
     *     message says why)
     */
    public static SslContext serverContext(String relayName, TlsKeyPair pair, SslOptions options) throws SSLException {
        PemKeyPair keys = PemKeyPair.parse(pair.certificatePem(), pair.keyPem());
        SslOptions o = options != null ? options : SslOptions.defaults();
        OpenSslCipherList.Result ciphers = OpenSslCipherList.apply(
                o.ciphers() != null ? o.ciphers() : SslOptions.DEFAULT_CIPHERS, OpenSslCipherList.jdkDefaultSuites());
        if (!ciphers.unknownWords().isEmpty()) {
            log.warn("relay {}: ciphers: skipped {} (unknown here)", relayName, String.join(" ", ciphers.unknownWords()));
        }
        SslContextBuilder b = SslContextBuilder.forServer(keys.key(), keys.chain())
                .sslProvider(SslProvider.JDK)
                .protocols(PROTOCOLS)
                .ciphers(ciphers.suites(), IdentityCipherSuiteFilter.INSTANCE);
        if (o.sessionCache() == SslOptions.CACHE_DISABLED) {
            b.sessionCacheSize(DISABLED_CACHE_SIZE).sessionTimeout(DISABLED_CACHE_TIMEOUT_SEC);
        } else if (o.sessionCache() > 0) {
            b.sessionCacheSize(o.sessionCache());
        }
        return b.build();
    }

    /** For tests and tools: {@link #serverContext(String, TlsKeyPair, SslOptions)} for relay "-". */
    public static SslContext serverContext(TlsKeyPair pair, SslOptions options) throws SSLException {
        return serverContext("-", pair, options);
    }
}
