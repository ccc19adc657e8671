package org.hoststated.core.config;

/**
 * TLS options of a relay protocol; used by relay. Immutable.
 *
 * @param sessionCache session cache size; {@link #CACHE_DEFAULT} or {@link #CACHE_DISABLED}
 * @param tls whether TLS (tlsv1 in the original's words) is enabled
 */
public record SslOptions(String ciphers, int sessionCache, boolean tls) {
    /**
     * TLS 1.2 suites with forward secrecy and authenticated encryption only, as Mozilla's
     * "intermediate" list and HAProxy's packaged configuration have it. The original's
     * {@code HIGH:!ADH} also offered RSA key exchange (no forward secrecy) and CBC with SHA-1
     * (probe AN); an operator who must serve clients without ECDHE and AEAD can write it.
     */
    public static final String DEFAULT_CIPHERS = "ECDHE+AESGCM:ECDHE+CHACHA20:!aNULL";
    public static final int CACHE_DEFAULT = -1;
    public static final int CACHE_DISABLED = 0;

    public static SslOptions defaults() {
        return new SslOptions(DEFAULT_CIPHERS, CACHE_DEFAULT, true);
    }
}
