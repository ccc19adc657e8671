package org.hoststated.relay.handler;

import io.netty.channel.Channel;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * The relay's session {@code timeout}: closes a session when neither side has sent anything
 * for that long. It reads the session's last activity from {@link SessionInfo#touch} (called
 * per read anyway) and wakes up about once per timeout, so the relaying path pays nothing per
 * write; Netty's {@code IdleStateHandler} would add a promise and a listener to every write.
 * Output still draining to a slow reader counts as activity: while bytes are queued, the timer
 * looks at their count four times per timeout, and a drop since the last look is progress.
 * Runs on the session's worker loop; one per session, cancelled when the client channel closes.
 */
final class SessionIdleTimer implements Runnable {
    private final Channel client;
    private final SessionInfo session;
    private final RelayFrontendHandler frontend;
    private final long timeoutNanos;
    /** Bytes queued towards the client and the server at the last look. */
    private long lastPending;
    private ScheduledFuture<?> next;

    private SessionIdleTimer(Channel client, SessionInfo session, RelayFrontendHandler frontend, long timeoutNanos) {
        this.client = client;
        this.session = session;
        this.frontend = frontend;
        this.timeoutNanos = timeoutNanos;
    }

    /** Starts the timer of a session whose relay has {@code timeout} seconds (none when 0). */
    static void start(Channel client, SessionInfo session, RelayFrontendHandler frontend, int timeoutSec) {
        if (timeoutSec <= 0) {
            return;
        }
        SessionIdleTimer t = new SessionIdleTimer(client, session, frontend, TimeUnit.SECONDS.toNanos(timeoutSec));
        t.schedule(t.timeoutNanos);
        client.closeFuture().addListener(f -> t.next.cancel(false));
    }

    private void schedule(long delayNanos) {
        next = client.eventLoop().schedule(this, delayNanos, TimeUnit.NANOSECONDS);
    }

    @Override
    public void run() {
        if (!client.isActive()) {
            return;
        }
        long pending = frontend.heldBytes();
        if (pending < lastPending) {
            // Bytes queued earlier left towards a slow reader since the last look: not idle.
            // Only a drop counts: bytes are queued by reads, which touch the session themselves,
            // and a count that merely differs from the last look's (0 at the first) took a
            // reader that took nothing for one that did, and doubled the timeout.
            session.touch();
        }
        lastPending = pending;
        long idle = System.nanoTime() - session.lastActivityNanos();
        if (idle < timeoutNanos) {
            // While output waits for a slow reader, look again within a quarter of the timeout,
            // so that progress is seen and a stop is timed from about when it began.
            schedule(pending > 0 ? Math.min(timeoutNanos - idle, timeoutNanos / 4) : timeoutNanos - idle);
            return;
        }
        RelaySession.setReason(client, "session timeout");
        session.done();
        client.close();
    }
}
