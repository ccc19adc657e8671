package org.hoststated.core.config;

/**
 * Socket options of a relay protocol; used by relay. A null flag or 0 value means "leave the
 * system default". Immutable.
 */
public record TcpOptions(int backlog, Boolean nodelay, Boolean sack, int socketBuffer, int ipTtl,
        int ipMinTtl) {
    public static final int DEFAULT_BACKLOG = 10;

    public static TcpOptions defaults() {
        return new TcpOptions(DEFAULT_BACKLOG, null, null, 0, 0, 0);
    }
}
