package org.hoststated.relay.handler;

import io.netty.channel.Channel;
import io.netty.channel.uring.RelayIoUringSocketChannel;
import io.netty.util.AttributeKey;
import io.netty.util.concurrent.ScheduledFuture;
import java.io.IOException;
import java.util.concurrent.TimeUnit;

/**
 * Turns reading a side of a session on and off (back-pressure), and, while it is off, notices
 * that side's reset. With io_uring nothing reads a socket whose reading is off, so a reset
 * stayed unseen behind the bytes still waiting in the socket: a client that reset while its
 * server read nothing kept the session and its server connection until twice the relay's
 * {@code timeout}. While reading is off, an io_uring socket's TCP state is looked at once a
 * second; a reset one ({@code TCP_CLOSE} with an error pending) fails the channel as a reset
 * read would. {@code TCP_CLOSE} without an error is a connection whose both FINs are done (the
 * relay's, then the peer's after all it sent), whose unread bytes are still there: the watch
 * ends. Netty reads a socket to its end once the peer's FIN is reported, reading off or not, so
 * a look sees that state only between the FIN's arrival and that read; taken for a reset, the
 * rest of a response was thrown away and the client reset (review R, session 49). A FIN alone
 * leaves {@code CLOSE_WAIT}. epoll reports the error at once, so its
 * sockets are not watched: a {@code Connection: close} session would leave a timer behind for
 * nothing.
 * Used on the channel's loop.
 */
public final class PausedReads {
    static final long CHECK_EVERY_MS = 1_000;
    /** The next look at a channel whose reading is off; none while it reads. */
    private static final AttributeKey<ScheduledFuture<?>> WATCH = AttributeKey.valueOf(PausedReads.class, "watch");

    private PausedReads() {
    }

    /**
     * Reads {@code ch} while {@code read}; while it does not, watches it for a reset. Reading
     * again cancels the watch: a TCP session is watched from the start of its server's
     * connect, mostly a matter of microseconds, and each watch left to lapse held a place in
     * its loop's timer queue for a second, thousands of them at a high rate of sessions.
     */
    public static void set(Channel ch, boolean read) {
        ch.config().setAutoRead(read);
        if (read) {
            ScheduledFuture<?> w = watch(ch);
            if (w != null) {
                ch.attr(WATCH).set(null);
                w.cancel(false);
            }
            return;
        }
        if (ch instanceof RelayIoUringSocketChannel && ch.isActive() && watch(ch) == null) {
            schedule(ch);
        }
    }

    /** The pending look at {@code ch}, or null. */
    static ScheduledFuture<?> watch(Channel ch) {
        return ch.hasAttr(WATCH) ? ch.attr(WATCH).get() : null;
    }

    private static void schedule(Channel ch) {
        ch.attr(WATCH).set(ch.eventLoop().schedule(() -> check(ch), CHECK_EVERY_MS, TimeUnit.MILLISECONDS));
    }

    private static void check(Channel ch) {
        ch.attr(WATCH).set(null);
        if (!ch.isActive() || ch.config().isAutoRead()) {
            return;
        }
        TcpInfo info = TcpInfo.of(ch); // null: not a TCP socket of a native transport, nothing to look at
        if (info != null && info.closed()) {
            if (TcpInfo.reset(ch)) {
                ch.pipeline().fireExceptionCaught(new IOException("Connection reset by peer"));
            }
            return;
        }
        schedule(ch);
    }
}
