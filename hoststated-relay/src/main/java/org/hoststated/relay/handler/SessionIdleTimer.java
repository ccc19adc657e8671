package org.hoststated.relay.handler;

import io.netty.channel.Channel;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * The relay's session {@code timeout}: closes a session when neither side has sent anything
 * for that long, nor taken anything sent to it. It reads the session's last activity from
 * {@link SessionInfo#touch} (called per read anyway) and wakes up a few times per timeout, so
 * the relaying path pays nothing per write; Netty's {@code IdleStateHandler} would add a
 * promise and a listener to every write. Whether a slow reader took bytes since the last wake
 * is {@link PeerProgress}'s to judge (the kernel's acknowledgements, read at wakes only). Runs
 * on the session's worker loop; one per session, cancelled when the client channel closes.
 */
final class SessionIdleTimer implements Runnable {
    private final Channel client;
    private final SessionInfo session;
    private final RelayFrontendHandler frontend;
    private final PeerProgress progress;
    private ScheduledFuture<?> next;

    private SessionIdleTimer(Channel client, SessionInfo session, RelayFrontendHandler frontend, long timeoutNanos) {
        this.client = client;
        this.session = session;
        this.frontend = frontend;
        this.progress = new PeerProgress(session, timeoutNanos);
    }

    /** Starts the timer of a session whose relay has {@code timeout} seconds (none when 0). */
    static void start(Channel client, SessionInfo session, RelayFrontendHandler frontend, int timeoutSec) {
        if (timeoutSec <= 0) {
            return;
        }
        SessionIdleTimer t = new SessionIdleTimer(client, session, frontend, TimeUnit.SECONDS.toNanos(timeoutSec));
        t.schedule(t.progress.firstWait());
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
        long wait = progress.check(client, frontend.server(), frontend.connecting(), frontend.heldBytes(),
                System.nanoTime());
        if (wait > 0) {
            schedule(wait);
            return;
        }
        RelaySession.setReason(client, RelaySession.sessionTimeoutReason(client));
        session.done();
        RelaySession.endTimedOutServer(frontend.server());
        RelaySession.closeTimedOut(client);
    }
}
