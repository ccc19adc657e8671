package org.hoststated.relay.http;

import io.netty.channel.Channel;
import io.netty.util.concurrent.ScheduledFuture;
import org.hoststated.relay.handler.RelaySession;
import java.util.concurrent.TimeUnit;

/**
 * The close of a client whose last response is out and whose connection is half-closed, but
 * which may still be sending (a request refused, or answered, before its body ended): what it
 * sends is read and dropped until it has been quiet for {@link #QUIET_MS}, for at most
 * {@link #MOST_MS} in all (nginx's lingering_timeout and lingering_time work so). Closing with
 * unread bytes makes the kernel reset the connection, and many clients write a whole upload
 * before they read: reset, they report a broken pipe and never read the 413 or 401 waiting for
 * them. A fixed 2 s cut a 50 MB upload at 10-20 MB/s that way. Of the sessions that
 * linger, usually after an error page, most send nothing more and close at the first check, so
 * few handlers stay reachable longer than before. On the client's loop.
 */
final class LingeringClose implements Runnable {
    /** How long a client may send nothing before the close. */
    static final long QUIET_MS = RelaySession.LINGER_QUIET_MS;
    /** How long the whole linger may last, however much the client sends. */
    static final long MOST_MS = RelaySession.LINGER_MOST_MS;

    private final Channel client;
    private final long end;
    private long lastRead;
    private ScheduledFuture<?> timer;

    private LingeringClose(Channel client) {
        this.client = client;
        long now = System.nanoTime();
        this.end = now + TimeUnit.MILLISECONDS.toNanos(MOST_MS);
        this.lastRead = now;
    }

    /** Starts lingering on {@code client}: closed once quiet, or at the latest; its loop. */
    static LingeringClose start(Channel client) {
        LingeringClose l = new LingeringClose(client);
        l.timer = client.eventLoop().schedule(l, QUIET_MS, TimeUnit.MILLISECONDS);
        // A timer left to run would keep the closed channel's handlers reachable (DelayedClose).
        client.closeFuture().addListener(f -> l.timer.cancel(false));
        return l;
    }

    /** The client sent something (dropped): its quiet time starts again. */
    void read() {
        lastRead = System.nanoTime();
    }

    @Override
    public void run() {
        long now = System.nanoTime();
        long wait = Math.min(lastRead + TimeUnit.MILLISECONDS.toNanos(QUIET_MS), end) - now;
        if (wait <= 0 || !client.isOpen()) {
            client.close();
        } else {
            timer = client.eventLoop().schedule(this, wait, TimeUnit.NANOSECONDS);
        }
    }
}
