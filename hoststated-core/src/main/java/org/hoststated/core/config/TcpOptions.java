package org.hoststated.core.config;

/**
 * Socket options of a relay protocol; used by relay. A null flag or 0 value means "leave the
 * system default". Immutable.
 */
public record TcpOptions(int backlog, Boolean nodelay, Boolean sack, int socketBuffer, int ipTtl,
        int ipMinTtl) {
    public static final int DEFAULT_BACKLOG = 10;
    /**
     * The listen queue unless the protocol asks for more with {@code tcp backlog}: the
     * original's default of 10 drops connections under any real load, and 511 (nginx's) did
     * under a burst: 9,000 clients connecting within a second to a relay engine just started
     * overflowed it, SYN cookies took over and 239-701 clients got a reset, none with 4096.
     * Linux's own cap ({@code net.core.somaxconn}, 4096 by default) bounds it; HAProxy's
     * default is its connection limit, capped the same way.
     */
    public static final int LISTEN_QUEUE = 4096;

    /**
     * A {@code backlog} up to the original's default is the queue the listener gets,
     * {@link #LISTEN_QUEUE}: so the configuration says so, and {@code hoststated -nv} no longer
     * prints "backlog 10" for a protocol that set none (an operator who raised that to 128
     * shortened the queue it had).
     */
    public TcpOptions {
        if (backlog <= DEFAULT_BACKLOG) {
            backlog = LISTEN_QUEUE;
        }
    }
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
