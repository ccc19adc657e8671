package org.hoststated.core.config;

/**
 * TLS options of a relay protocol; used by relay. Immutable.
 *
 * @param sessionCache session cache size; {@link #CACHE_DEFAULT} or {@link #CACHE_DISABLED}
 * @param tls whether TLS (tlsv1 in the original's words) is enabled
 */
public record SslOptions(String ciphers, int sessionCache, boolean tls) {
    public static final String DEFAULT_CIPHERS = "HIGH:!ADH";
    public static final int CACHE_DEFAULT = -1;
    public static final int CACHE_DISABLED = 0;

    public static SslOptions defaults() {
        return new SslOptions(DEFAULT_CIPHERS, CACHE_DEFAULT, true);
    }
}
