package org.hoststated.relay.http;

import io.netty.channel.Channel;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.hoststated.relay.handler.PeerProgress;
import org.hoststated.relay.handler.SessionInfo;

/**
 * The clocks of one HTTP session on one timer: the request head deadline (the first head, and
 * any head once started, must be complete within the head limit, or the relay timeout if that
 * is shorter, else 408), the response head deadline (a response head once started must be
 * complete within the relay timeout, else 504: a server that sent a field every few seconds
 * was never idle for a timeout, and held its client up to the head's 100 fields times the
 * timeout, where HAProxy answers 504 at its server timeout) and the relay's
 * session {@code timeout} (nothing sent either way, nor taken by a peer, for that long: the
 * session is closed). It reads the last activity from {@link SessionInfo#touch} (called per
 * read anyway) and wakes at the earlier deadline, so a short session costs one scheduled task
 * or two, and a write costs nothing (Netty's {@code IdleStateHandler} adds a promise and a
 * listener to every write). A peer still taking what is sent to it counts as activity:
 * {@link PeerProgress} judges that at the timer's wakes (the kernel's acknowledgements, read at
 * wakes only). On the session's worker loop; owned by {@link HttpFrontendHandler}, which
 * {@link #stop}s it when the session ends.
 */
final class HttpSessionTimer implements Runnable {
    private final HttpFrontendHandler frontend;
    private final Channel client;
    private final SessionInfo session;
    private final long headNanos;
    /** When the head awaited must be complete; 0 when none is awaited. */
    private long headDeadline;
    /** The relay timeout, which a response head once started has to be complete; 0 for none. */
    private final long responseHeadNanos;
    /** When the response head under way must be complete; 0 when none is. */
    private long responseHeadDeadline;
    private ScheduledFuture<?> next;
    /** When {@link #next} runs. */
    private long due;
    /** Judges the session timeout; null for none. */
    private final PeerProgress progress;

    HttpSessionTimer(HttpFrontendHandler frontend, Channel client, SessionInfo session, long headTimeoutMs,
            int timeoutSec) {
        this.frontend = frontend;
        this.client = client;
        this.session = session;
        this.headNanos = TimeUnit.MILLISECONDS.toNanos(headTimeoutMs);
        this.responseHeadNanos = TimeUnit.SECONDS.toNanos(Math.max(0, timeoutSec));
        this.progress = timeoutSec > 0 ? new PeerProgress(session, TimeUnit.SECONDS.toNanos(timeoutSec)) : null;
    }

    /** The session starts: its first request head is awaited. */
    void start() {
        long now = System.nanoTime();
        headDeadline = deadline(now + headNanos);
        long idleWake = progress == null ? 0 : now + progress.firstWait();
        wakeAt(progress != null && idleWake - headDeadline < 0 ? idleWake : headDeadline);
    }

    /** A request head started: it must be complete in time. */
    void headStarted() {
        if (headDeadline == 0) {
            headDeadline = deadline(System.nanoTime() + headNanos);
            wakeAt(headDeadline);
        }
    }

    /** Part of a response head came: the rest must come within the relay timeout. */
    void responseHeadStarted() {
        if (responseHeadDeadline == 0 && responseHeadNanos > 0) {
            responseHeadDeadline = deadline(System.nanoTime() + responseHeadNanos);
            wakeAt(responseHeadDeadline);
        }
    }

    /** A response head (interim or final) is complete. */
    void responseHeadDone() {
        responseHeadDeadline = 0;
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
        if (responseHeadDeadline != 0 && now - responseHeadDeadline >= 0) {
            responseHeadDeadline = 0;
            frontend.responseHeadTimeout();
            if (!client.isActive()) {
                return;
            }
        }
        long wake = headDeadline == 0 || responseHeadDeadline != 0 && responseHeadDeadline - headDeadline < 0
                ? responseHeadDeadline : headDeadline;
        if (progress != null) {
            long wait = progress.check(client, frontend.server(), frontend.connecting(), frontend.heldBytes(),
                    now);
            if (wait <= 0) {
                if (headDeadline != 0) {
                    // A head awaited (the first, or one begun) when a relay timeout shorter than
                    // the head limit ends: the same 408 as at the head limit, not a bare close
                    // that leaves a client with half a request sent wondering.
                    headDeadline = 0;
                    if (frontend.headTimeoutAtSessionTimeout()) {
                        return;
                    }
                }
                session.done();
                frontend.sessionTimeout();
                return;
            }
            long idleWake = now + wait;
            wake = wake == 0 || idleWake - wake < 0 ? idleWake : wake;
        }
        if (wake != 0) {
            wakeAt(wake);
        }
    }
}
