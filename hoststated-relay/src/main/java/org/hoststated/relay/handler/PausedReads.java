package org.hoststated.relay.handler;

import io.netty.channel.Channel;
import io.netty.channel.uring.IoUringSocketChannel;
import io.netty.util.AttributeKey;
import java.io.IOException;
import java.util.concurrent.TimeUnit;

/**
 * Turns reading a side of a session on and off (back-pressure), and, while it is off, notices
 * that side's reset. With io_uring nothing reads a socket whose reading is off, so a reset
 * stayed unseen behind the bytes still waiting in the socket: a client that reset while its
 * server read nothing kept the session and its server connection until twice the relay's
 * {@code timeout}. While reading is off, an io_uring socket's TCP state is looked at once a
 * second; a reset one ({@code TCP_CLOSE}: a FIN leaves it in {@code CLOSE_WAIT}) fails the
 * channel as a reset read would. epoll reports the error at once, so its sockets are not
 * watched: a {@code Connection: close} session would leave a timer behind for nothing.
 * Used on the channel's loop.
 */
public final class PausedReads {
    static final long CHECK_EVERY_MS = 1_000;
    private static final AttributeKey<Boolean> WATCHED = AttributeKey.valueOf(PausedReads.class, "watched");

    private PausedReads() {
    }

    /** Reads {@code ch} while {@code read}; while it does not, watches it for a reset. */
    public static void set(Channel ch, boolean read) {
        ch.config().setAutoRead(read);
        if (!read && ch instanceof IoUringSocketChannel && ch.isActive()
                && ch.attr(WATCHED).setIfAbsent(Boolean.TRUE) == null) {
            schedule(ch);
        }
    }

    private static void schedule(Channel ch) {
        ch.eventLoop().schedule(() -> check(ch), CHECK_EVERY_MS, TimeUnit.MILLISECONDS);
    }

    private static void check(Channel ch) {
        if (!ch.isActive() || ch.config().isAutoRead()) {
            ch.attr(WATCHED).set(null);
            return;
        }
        if (wasReset(ch)) {
            ch.attr(WATCHED).set(null);
            ch.pipeline().fireExceptionCaught(new IOException("Connection reset by peer"));
            return;
        }
        schedule(ch);
    }

    private static boolean wasReset(Channel ch) {
        TcpInfo info = TcpInfo.of(ch); // null: not a TCP socket of a native transport, nothing to look at
        return info != null && info.reset();
    }
}
