package org.hoststated.relay.handler;

import io.netty.channel.Channel;
import io.netty.channel.ChannelException;
import io.netty.channel.socket.DuplexChannel;
import io.netty.channel.unix.RawUnixChannelOption;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The few fields of a socket's {@code TCP_INFO} (Linux's {@code struct tcp_info}) that the relay
 * reads: whether a paused socket has ended ({@link PausedReads}), whether a cut peer has taken
 * its bytes ({@link StreamCut}), and how far a slow peer has got ({@link PeerProgress}). One
 * {@code getsockopt} per {@link #of}; works on the epoll and io_uring channels alike, and on a
 * TLS session's TCP socket (the option goes past the {@code SslHandler} to the descriptor).
 */
public final class TcpInfo {
    /** {@code TCP_INFO} up to {@code tcpi_notsent_bytes} (Linux 4.6). */
    private static final RawUnixChannelOption OPTION = new RawUnixChannelOption("TCP_INFO", 6, 11, 148);
    /** {@code tcpi_state}, a byte. */
    private static final int STATE = 0;
    /** {@code tcpi_unacked}: segments sent and not acknowledged. */
    private static final int UNACKED = 24;
    /** {@code tcpi_bytes_acked} (Linux 4.1): bytes the peer has acknowledged, ever. */
    private static final int BYTES_ACKED = 120;
    /** {@code tcpi_notsent_bytes}: bytes written and not sent yet. */
    private static final int NOT_SENT = 144;
    /**
     * {@code TCP_CLOSE}: the state of a reset socket, and of one whose both FINs are done (the
     * kernel hands the connection to a time-wait socket), with its unread bytes still readable.
     */
    private static final int TCP_CLOSE = 7;
    /** {@code SO_ERROR}: the error pending on a socket, 0 for none; reading it clears it. */
    private static final RawUnixChannelOption SO_ERROR = new RawUnixChannelOption("SO_ERROR", 1, 4, 4);

    private final ByteBuffer info;
    private final int at;

    private TcpInfo(ByteBuffer info) {
        this.info = info.order(ByteOrder.nativeOrder());
        this.at = info.position();
    }

    /**
     * {@code ch}'s {@code TCP_INFO}, or null when it cannot tell: not a TCP socket of a native
     * transport, closed, or a kernel older than the fields read here.
     */
    public static TcpInfo of(Channel ch) {
        ByteBuffer info;
        try {
            info = ch.config().getOption(OPTION);
        } catch (ChannelException | UnsupportedOperationException e) {
            return null;
        }
        return info == null || info.remaining() < OPTION.length() ? null : new TcpInfo(info);
    }

    /** Whether the connection has ended: reset, or both FINs done ({@link #reset} tells which). */
    public boolean closed() {
        return (info.get(at + STATE) & 0xff) == TCP_CLOSE;
    }

    /**
     * Whether {@code ch}, {@linkplain #closed closed}, was reset: an error is pending on it (a
     * reset leaves ECONNRESET, or EPIPE after its FIN). Clears that error.
     */
    static boolean reset(Channel ch) {
        ByteBuffer err;
        try {
            err = ch.config().getOption(SO_ERROR);
        } catch (ChannelException | UnsupportedOperationException e) {
            return false;
        }
        return err != null && err.remaining() >= 4 && err.order(ByteOrder.nativeOrder()).getInt(err.position()) != 0;
    }

    /**
     * Whether the end of input just read on {@code ch} was a reset, not a FIN: the connection is
     * closed while {@code ch} has not shut its own output (a FIN read with the output open leaves
     * CLOSE_WAIT). A reset is reported once, to the first system call that asks: when a write in
     * flight took it, the read after it finds only the end (on io_uring, one session in five of
     * a peer that reset while the relay wrote to it; probe O of session 59), and the other peer
     * was told of a whole stream with a FIN.
     */
    public static boolean resetAtEndOfInput(Channel ch) {
        if (!(ch instanceof DuplexChannel d) || d.isOutputShutdown()) {
            return false;
        }
        TcpInfo info = of(ch);
        return info != null && info.closed();
    }

    /**
     * Whether {@code ch}'s peer has acknowledged everything written to its socket; true when the
     * socket cannot tell (then there is nothing to wait for).
     */
    static boolean allAcknowledged(Channel ch) {
        TcpInfo info = of(ch);
        return info == null || info.allAcknowledged();
    }

    /** What a peer's reset found by {@link #resetAtEndOfInput} is reported as. */
    public static IOException resetByPeer() {
        return new IOException("Connection reset by peer");
    }

    /** Whether the peer has acknowledged everything written to the socket. */
    boolean allAcknowledged() {
        return info.getInt(at + UNACKED) == 0 && info.getInt(at + NOT_SENT) == 0;
    }

    /** The bytes the peer has acknowledged since the connection began; it only grows. */
    long bytesAcked() {
        return info.getLong(at + BYTES_ACKED);
    }
}
