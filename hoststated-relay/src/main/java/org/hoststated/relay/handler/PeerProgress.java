package org.hoststated.relay.handler;

import io.netty.channel.Channel;

/**
 * The session {@code timeout}'s judge of a session that reads nothing itself: whether its peers
 * are still taking what is sent to them. A slow reader makes no read of the relay's, so the
 * session timers ({@link SessionIdleTimer}, the HTTP relay's session timer) ask this at each of
 * their wakes, and it {@linkplain SessionInfo#touch touches} the session when a peer progressed.
 *
 * <p>Progress is a rise of a socket's {@code tcpi_bytes_acked} ({@link TcpInfo}) since the last
 * look, on the client's socket or the server's. The bytes the relay queues itself (Netty's
 * outbound buffer) are not enough: Linux says a socket is writable again only once about half of
 * what its send buffer holds has been acknowledged, and behind a buffer of megabytes (autotuned
 * on a fast path, or set by {@code socket buffer}) the relay's queue stays still for minutes
 * while a client reads 16 KB/s. A drop of the relay's queue counts only where {@code TCP_INFO}
 * cannot be read (a transport without it): bytes that move from the queue into a kernel whose
 * send buffer grew (autotuning, or memory that other sessions freed) are no peer's progress.
 * Counted, they let a TLS client that read nothing live two timeouts (probe O: 6 such clients,
 * 5 cut at 30 s, the sixth at 60 s, its kernel's unsent bytes up from 63,712 to 127,424 when
 * the others went).
 *
 * <p>{@code TCP_INFO} is read only at a wake, never per write: while bytes wait for a peer (in
 * the relay or in a kernel), the timer wakes four times per timeout and looks; otherwise it
 * wakes a quarter of the timeout after the start and before the deadline, looks (a response
 * may lie whole in the kernel, unseen by the relay), and again at the deadline. A session with
 * bytes waiting is ended only when its counts have not risen for at least a quarter of the
 * timeout, so that it is never judged on two looks taken a moment apart; a stop is timed from
 * the last look that saw a rise, so a peer that stops reading is cut between one and one and a
 * quarter timeouts after. The limit: a peer's kernel acknowledges only when its receive buffer
 * has room again, so a reader slower than its receive buffer per timeout shows nothing for a
 * whole timeout and is still cut. On the session's loop; one per session.
 */
public final class PeerProgress {
    private final SessionInfo session;
    private final long timeoutNanos;
    private final long quarter;
    /** Bytes the relay held for the peers at the last wake. */
    private long lastPending;
    private final Acks client = new Acks();
    private final Acks server = new Acks();
    /** The counts of {@link #client} and {@link #server} come from the last wake (else they are stale). */
    private boolean looked;
    /** When the counts were first taken or last rose: no progress since. */
    private long steadySince;
    /** At the last look, a kernel still held bytes for a peer. */
    private boolean inFlight;

    public PeerProgress(SessionInfo session, long timeoutNanos) {
        this.session = session;
        this.timeoutNanos = timeoutNanos;
        this.quarter = timeoutNanos / 4;
    }

    /**
     * How long after the session's start its timer first wakes: a quarter of the timeout, so
     * that a response queued at the start has its counts taken early. A slow reader's kernel
     * acknowledges in bursts, each time its receive buffer has room again (8 s apart on the
     * loopback for a client reading 16 KB/s with a 128 KB buffer); a burst before the first
     * look has nothing to be compared with.
     */
    public long firstWait() {
        return quarter;
    }

    /**
     * Looks at the peers' progress, touching the session on any, and says when to look again.
     *
     * @param clientChannel the session's client channel
     * @param serverChannel its server channel, or null when there is none (yet)
     * @param connecting a connect to a host is under way
     * @param pending the bytes the relay holds for the peers now
     * @param now {@link System#nanoTime()}
     * @return nanoseconds until the next wake; 0 or less: the session was idle for its timeout
     */
    public long check(Channel clientChannel, Channel serverChannel, boolean connecting, long pending, long now) {
        if (connecting) {
            // A connect attempt has its own timeout, min(30 s, timeout), and one that times out
            // moves to the next host: the session's clock, as long, must not end it first.
            session.restartClock();
        }
        if (pending < lastPending && !(client.counted && (serverChannel == null || server.counted))) {
            // Bytes queued earlier left towards a slow reader since the last look, and no
            // kernel's count says more. Only a drop counts: bytes are queued by reads, which
            // touch the session themselves, and a count that merely differs from the last
            // look's (0 at the first) took a reader that took nothing for one that did, and
            // doubled the timeout.
            session.touch();
        }
        lastPending = pending;
        long idle = now - session.lastActivityNanos();
        boolean waiting = pending > 0 || inFlight;
        if (waiting || idle >= timeoutNanos - quarter) {
            boolean wasLooked = looked;
            boolean rose = client.look(clientChannel) | server.look(serverChannel);
            looked = true;
            inFlight = client.inFlight || server.inFlight;
            waiting = pending > 0 || inFlight;
            if (!wasLooked || rose) {
                steadySince = now;
            }
            if (wasLooked && rose) {
                session.touch();
                idle = 0;
            }
        } else {
            looked = false; // a wake without a look: the counts are too old to compare with
        }
        long left = timeoutNanos - idle;
        if (waiting) {
            // Not ended on counts taken less than a quarter ago; looked at again within one.
            left = Math.max(left, steadySince + quarter - now);
            return left <= 0 ? 0 : Math.min(left, quarter);
        }
        return left > quarter ? left - quarter : left;
    }

    /** The acknowledgements of one socket. */
    private static final class Acks {
        /** The channel last looked at: a new server connection starts its own count. */
        private Channel channel;
        private long acked;
        /** The kernel held bytes not yet acknowledged at the last look. */
        boolean inFlight;
        /** The last look read {@code TCP_INFO}: the socket's acknowledgements are known. */
        boolean counted;

        /** Takes the count of {@code ch} (null: none); whether it rose since the last. */
        boolean look(Channel ch) {
            TcpInfo info = ch == null ? null : TcpInfo.of(ch);
            if (info == null) {
                channel = null;
                inFlight = false;
                counted = false;
                return false;
            }
            counted = true;
            long now = info.bytesAcked();
            boolean rose = ch == channel && now > acked;
            channel = ch;
            acked = now;
            inFlight = !info.allAcknowledged();
            return rose;
        }
    }
}
