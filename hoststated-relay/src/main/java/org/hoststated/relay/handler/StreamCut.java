package org.hoststated.relay.handler;

import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;

/**
 * The end of one side of a session whose stream was cut (its peer failed, or the HTTP response
 * it was getting ended short): the bytes the relay holds for it are written, the side is reset
 * once its kernel has acknowledged them, and at the latest {@link #GRACE_MS} after the cut, so
 * that a peer that reads nothing does not hold the session until its {@code timeout}. A reset,
 * not a FIN or TLS close_notify, which would tell the peer its stream was whole (a response read
 * until the close); and only once the bytes are acknowledged, since a reset makes the kernel
 * drop what it has not sent yet (and on io_uring the relay's own write may not even have been
 * submitted when the cut is seen: the server's FIN comes before the end of the read that
 * brought its last bytes).
 *
 * <p>What is written is known from the channel's queue as well as from the write's promise: a
 * write through an {@code SslHandler} whose engine failed (bytes that are not TLS, seen by
 * Netty before the JDK's engine) never completes, and the reset waited for the whole grace
 * (probe W). An empty queue is as good: what the handler could not encrypt never reaches it.
 *
 * <p>Added last to the channel's pipeline, so that it sees every close of the channel through
 * the pipeline from then on (a session timer, a handler that closes once the other side is
 * done) and holds it until the reset, which goes past an {@code SslHandler}. On the channel's
 * loop; one per channel.
 */
final class StreamCut extends ChannelOutboundHandlerAdapter {
    /** How long a cut peer has to take what the relay holds for it. */
    static final long GRACE_MS = 5000;
    /** The longest pause between two looks at what the kernel still holds. */
    private static final long MAX_POLL_MS = 64;

    private final Channel ch;
    /** What was queued when the stream was cut has been written. */
    private boolean written;

    private StreamCut(Channel ch) {
        this.ch = ch;
    }

    /**
     * See the class comment; nothing more when {@code ch} is being ended so already. Reset once
     * what it holds is written and acknowledged, or its time is up.
     */
    static void end(Channel ch) {
        if (!ch.isActive()) {
            ch.close();
            return;
        }
        if (ch.pipeline().get(StreamCut.class) != null) {
            return;
        }
        StreamCut cut = new StreamCut(ch);
        ch.pipeline().addLast(cut);
        Runnable reset = () -> {
            if (ch.isActive()) { // else it is being closed already
                RelaySession.abort(ch);
            }
        };
        AcknowledgedWait wait = AcknowledgedWait.start(ch, cut::taken, reset,
                AcknowledgedWait.deadlineIn(GRACE_MS), reset, 1, MAX_POLL_MS);
        ch.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener((ChannelFutureListener) f -> {
            cut.written = true;
            wait.run();
        });
    }

    /** Whether the peer has taken what was queued at the cut; true for a channel gone inactive. */
    private boolean taken() {
        return !ch.isActive() || (written || queueEmpty(ch)) && TcpInfo.allAcknowledged(ch);
    }

    /** Whether the channel's own queue holds nothing (a send in flight stays in it until done). */
    private static boolean queueEmpty(Channel ch) {
        ChannelOutboundBuffer queue = ch.unsafe().outboundBuffer();
        return queue == null || queue.totalPendingWriteBytes() == 0 && queue.isEmpty();
    }

    /**
     * Another close of the channel (a session timer, the end of the other side) waits for the
     * reset: now, it would send a FIN or close_notify, or reset before the bytes are delivered.
     */
    @Override
    public void close(ChannelHandlerContext ctx, ChannelPromise promise) {
        ch.closeFuture().addListener(f -> promise.trySuccess());
    }
}
