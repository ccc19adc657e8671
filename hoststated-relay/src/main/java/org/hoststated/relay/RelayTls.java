package org.hoststated.relay;

import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import java.io.ByteArrayInputStream;
import javax.net.ssl.SSLException;
import org.hoststated.core.config.SslOptions;
import org.hoststated.core.msg.TlsKeyPair;

/**
 * Builds the TLS server context of a {@code listen on ... ssl} relay from the certificate chain
 * and key the parent read (PEM, sent as {@code RECONF_KEYPAIR}): the chrooted relay engine
 * opens no files. TLS 1.2 and 1.3 only (DECISIONS.md); the protocol's OpenSSL-style
 * {@code ciphers} string is not applied by the JDK provider, whose defaults are used.
 * Stateless; runs on the relay engine's loop when a configuration is applied.
 */
public final class RelayTls {
    static final String[] PROTOCOLS = {"TLSv1.3", "TLSv1.2"};

    private RelayTls() {
    }

    /**
     * @throws SSLException the certificate or key cannot be used (the key must be PKCS#8 PEM)
     */
    public static SslContext serverContext(TlsKeyPair pair, SslOptions options) throws SSLException {
        SslContextBuilder b = SslContextBuilder.forServer(new ByteArrayInputStream(pair.certificatePem()),
                new ByteArrayInputStream(pair.keyPem()))
                .sslProvider(SslProvider.JDK)
                .protocols(PROTOCOLS);
        if (options != null && options.sessionCache() > 0) {
            b.sessionCacheSize(options.sessionCache());
        }
        return b.build();
    }
}
