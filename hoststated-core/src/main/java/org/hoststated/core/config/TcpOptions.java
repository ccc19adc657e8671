package org.hoststated.core.config;

/**
 * Socket options of a relay protocol; used by relay. A null flag or 0 value means "leave the
 * system default". Immutable.
 */
public record TcpOptions(int backlog, Boolean nodelay, Boolean sack, int socketBuffer, int ipTtl,
        int ipMinTtl) {
    public static final int DEFAULT_BACKLOG = 10;
    /**
     * The receive buffer of a {@code protocol dns} relay's UDP sockets without {@code socket
     * buffer}: 4 MiB, as DNS servers advise (unbound's {@code so-rcvbuf}), so that a burst of
     * queries waits in the kernel instead of being dropped there.
     */
    public static final int DEFAULT_UDP_RECEIVE_BUFFER = 4 * 1024 * 1024;

    /** The receive buffer a UDP relay socket asks for: {@code socket buffer}, else the default above. */
    public int udpReceiveBuffer() {
        return socketBuffer > 0 ? socketBuffer : DEFAULT_UDP_RECEIVE_BUFFER;
    }

    public static TcpOptions defaults() {
        return new TcpOptions(DEFAULT_BACKLOG, null, null, 0, 0, 0);
    }
}
