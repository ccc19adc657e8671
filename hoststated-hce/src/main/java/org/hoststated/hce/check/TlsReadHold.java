package org.hoststated.hce.check;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * Holds the reads of a TLS host that trickles its answer, by {@link TrickleHold}'s rule: tiny
 * records, or records cut into tiny TCP segments, each cost a wake-up and a pass through the
 * pipeline. It judges the raw reads, ahead of the {@code SslHandler}, so that both kinds count,
 * and goes first in a check's pipeline: {@code TlsReadHold, SslHandler, the attempt}.
 *
 * <p>A hold turns auto-read off (Netty clears the socket's EPOLLIN) and back on
 * {@link TrickleHold#HOLD_NANOS} later, which reads all that came meanwhile. The channel keeps
 * EPOLLRDHUP, so a close is read and seen at once. A read asked for during the hold (the
 * {@code SslHandler} asks for one when a record is incomplete and auto-read is off) waits for
 * its end. One per attempt, on the loop.
 */
final class TlsReadHold extends ChannelDuplexHandler {
    private final TrickleHold rule = new TrickleHold();
    /** Bytes of this wake-up's last read, 0 when it read none. */
    private int lastRead;
    /** The hold's end, while one is on. */
    private ScheduledFuture<?> resume;
    /** Whether the host has sent a byte: one that closes or resets before is no TLS failure. */
    private boolean heard;

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof ByteBuf b) {
            lastRead = b.readableBytes();
            heard |= lastRead > 0;
        }
        ctx.fireChannelRead(msg);
    }

    /** Whether any byte has come from the host. */
    boolean heard() {
        return heard;
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        ctx.fireChannelReadComplete(); // first: the attempt may decide, and close
        int read = lastRead;
        lastRead = 0;
        if (resume == null && read > 0 && ctx.channel().isActive() && rule.holdAfter(read)) {
            ctx.channel().config().setAutoRead(false);
            resume = ctx.executor().schedule(() -> {
                resume = null;
                ctx.channel().config().setAutoRead(true); // reads at once what waits
            }, TrickleHold.HOLD_NANOS, TimeUnit.NANOSECONDS);
        }
    }

    @Override
    public void read(ChannelHandlerContext ctx) {
        if (resume == null) {
            ctx.read();
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (resume != null) {
            resume.cancel(false);
            resume = null;
        }
        ctx.fireChannelInactive();
    }
}
