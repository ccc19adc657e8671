package io.netty.channel;

/**
 * Netty's own handling of a failed write, for bytes the relay sent past the outbound buffer
 * ({@code io.netty.channel.epoll.EpollDirectSend}): the channel closes, or with
 * {@code AUTO_CLOSE} off shuts its output, and what is flushed fails with the error, exactly as
 * when Netty's flush meets it. In this package for that protected method; tied to the pinned
 * Netty version by a test.
 */
public final class WriteFailures {
    private WriteFailures() {
    }

    /** The write of what {@code ch} has flushed failed with {@code cause}; on its loop. */
    public static void failed(Channel ch, Throwable cause) {
        ((AbstractChannel.AbstractUnsafe) ch.unsafe()).handleWriteError(cause);
    }
}
