package org.hoststated.relay.http;

import io.netty.channel.Channel;
import io.netty.util.concurrent.ScheduledFuture;
import org.hoststated.relay.handler.Linger;
import java.util.concurrent.TimeUnit;

/**
 * The close of a client whose last response is out and whose connection is half-closed, but
 * which may still be sending (a request refused, or answered, before its body ended): what it
 * sends is read and dropped until the {@link Linger} rule lets the close come. Closing with
 * unread bytes makes the kernel reset the connection, and many clients write a whole upload
 * before they read: reset, they report a broken pipe and never read the 413 or 401 waiting for
 * them. A fixed 2 s cut a 50 MB upload at 10-20 MB/s that way. Of the sessions that
 * linger, usually after an error page, most send nothing more and close at the first check, so
 * few handlers stay reachable longer than before. On the client's loop.
 */
final class LingeringClose implements Runnable {
    private final Channel client;
    private final Linger linger = new Linger();
    private ScheduledFuture<?> timer;

    private LingeringClose(Channel client) {
        this.client = client;
    }

    /** Starts lingering on {@code client}: closed once quiet, or at the latest; its loop. */
    static LingeringClose start(Channel client) {
        LingeringClose l = new LingeringClose(client);
        l.timer = client.eventLoop().schedule(l, Linger.QUIET_MS, TimeUnit.MILLISECONDS);
        // A timer left to run would keep the closed channel's handlers reachable (DelayedClose).
        client.closeFuture().addListener(f -> l.timer.cancel(false));
        return l;
    }

    /** The client sent something (dropped): its quiet time starts again. */
    void read() {
        linger.read();
    }

    @Override
    public void run() {
        long wait = linger.remainingNanos();
        if (wait <= 0 || !client.isOpen()) {
            client.close();
        } else {
            timer = client.eventLoop().schedule(this, wait, TimeUnit.NANOSECONDS);
        }
    }
}
