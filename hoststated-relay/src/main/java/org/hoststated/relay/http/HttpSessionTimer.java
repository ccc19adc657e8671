package org.hoststated.relay.http;

import io.netty.channel.Channel;
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.hoststated.relay.handler.SessionInfo;

/**
 * Both clocks of one HTTP session on one timer: the request head deadline (the first head, and
 * any head once started, must be complete within the head limit, else 408) and the relay's
 * session {@code timeout} (nothing sent either way for that long: the session is closed). It
 * reads the last activity from {@link SessionInfo#touch} (called per read anyway) and wakes at
 * the earlier deadline, so a short session costs one scheduled task, and a write costs nothing
 * (Netty's {@code IdleStateHandler} adds a promise and a listener to every write). Output still
 * draining to a slow reader counts as activity: while bytes are queued, the timer looks at
 * their count four times per timeout, and a drop since the last look is progress. On the
 * session's worker loop; owned by {@link HttpFrontendHandler}, which {@link #stop}s it when
 * the session ends.
 */
final class HttpSessionTimer implements Runnable {
    private final HttpFrontendHandler frontend;
    private final Channel client;
    private final SessionInfo session;
    private final long headNanos;
    /** The session {@code timeout}; 0 for none. */
    private final long idleNanos;
    /** When the head awaited must be complete; 0 when none is awaited. */
    private long headDeadline;
    private ScheduledFuture<?> next;
    /** When {@link #next} runs. */
    private long due;
    /** Bytes queued towards the client and the server at the last look. */
    private long lastPending;

    HttpSessionTimer(HttpFrontendHandler frontend, Channel client, SessionInfo session, long headTimeoutMs,
            int timeoutSec) {
        this.frontend = frontend;
        this.client = client;
        this.session = session;
        this.headNanos = TimeUnit.MILLISECONDS.toNanos(headTimeoutMs);
        this.idleNanos = TimeUnit.SECONDS.toNanos(Math.max(0, timeoutSec));
    }

    /** The session starts: its first request head is awaited. */
    void start() {
        long now = System.nanoTime();
        headDeadline = deadline(now + headNanos);
        long idleUntil = now + idleNanos;
        wakeAt(idleNanos > 0 && idleUntil - headDeadline < 0 ? idleUntil : headDeadline);
    }

    /** A request head started: it must be complete in time. */
    void headStarted() {
        if (headDeadline == 0) {
            headDeadline = deadline(System.nanoTime() + headNanos);
            wakeAt(headDeadline);
        }
    }

    /** {@code t}, or 1 if it is 0 (which means "no deadline"). */
    private static long deadline(long t) {
        return t == 0 ? 1 : t;
    }

    /** The head arrived. The timer is left to run: it then only watches the session timeout. */
    void headDone() {
        headDeadline = 0;
    }

    void stop() {
        if (next != null) {
            next.cancel(false);
            next = null;
        }
    }

    private void wakeAt(long at) {
        if (next != null) {
            if (due - at <= 0) {
                return;
            }
            next.cancel(false);
        }
        due = at;
        next = client.eventLoop().schedule(this, Math.max(0, at - System.nanoTime()), TimeUnit.NANOSECONDS);
    }

    @Override
    public void run() {
        next = null;
        if (!client.isActive()) {
            return;
        }
        long now = System.nanoTime();
        if (headDeadline != 0 && now - headDeadline >= 0) {
            headDeadline = 0;
            frontend.headTimeout();
            if (!client.isActive()) {
                return;
            }
        }
        long wake = headDeadline;
        if (idleNanos > 0) {
            long pending = pending(client) + pending(frontend.server());
            if (pending < lastPending) {
                // Bytes queued earlier left towards a slow reader since the last look: not
                // idle. Only a drop counts: bytes are queued by reads, which touch the session
                // themselves, and a count that merely differs from the last look's (0 at the
                // first) took a reader that took nothing for one that did, and doubled the timeout.
                session.touch();
            }
            lastPending = pending;
            long idleUntil = session.lastActivityNanos() + idleNanos;
            if (now - idleUntil >= 0) {
                session.done();
                frontend.sessionTimeout();
                return;
            }
            if (pending > 0) {
                // Output waits for a slow reader: look again within a quarter of the timeout,
                // so that progress is seen and a stop is timed from about when it began.
                idleUntil = Math.min(idleUntil - now, idleNanos / 4) + now;
            }
            wake = wake == 0 || idleUntil - wake < 0 ? idleUntil : wake;
        }
        if (wake != 0) {
            wakeAt(wake);
        }
    }

    private static long pending(Channel ch) {
        if (ch == null) {
            return 0;
        }
        ChannelOutboundBuffer b = ch.unsafe().outboundBuffer();
        return b == null ? 0 : b.totalPendingWriteBytes();
    }
}
