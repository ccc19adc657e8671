package org.hoststated.relay.handler;

import io.netty.channel.Channel;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * The relay's session {@code timeout}: closes a session when neither side has sent anything
 * for that long. It reads the session's last activity from {@link SessionInfo#touch} (called
 * per read anyway) and wakes up about once per timeout, so the relaying path pays nothing per
 * write; Netty's {@code IdleStateHandler} would add a promise and a listener to every write.
 * Output still draining to a slow reader counts as activity. Runs on the session's worker
 * loop; one per session, cancelled when the client channel closes.
 */
final class SessionIdleTimer implements Runnable {
    private final Channel client;
    private final SessionInfo session;
    private final RelayFrontendHandler frontend;
    private final long timeoutNanos;
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
        long idle = System.nanoTime() - session.lastActivityNanos();
        if (idle < timeoutNanos) {
            schedule(timeoutNanos - idle);
            return;
        }
        long pending = frontend.heldBytes();
        if (pending != lastPending) {
            // Bytes queued earlier are still leaving towards a slow reader: not idle.
            lastPending = pending;
            session.touch();
            schedule(timeoutNanos);
            return;
        }
        RelaySession.setReason(client, "session timeout");
        session.done();
        client.close();
    }
}
