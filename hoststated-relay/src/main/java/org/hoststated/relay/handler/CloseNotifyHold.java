package org.hoststated.relay.handler;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.ReferenceCountUtil;
import java.nio.channels.ClosedChannelException;
import java.util.ArrayDeque;
import javax.net.ssl.SSLEngine;

/**
 * Holds back what a TLS engine writes once it has read the client's close_notify and closed
 * both directions: its own close_notify. BoringSSL (through Netty's engine) answers a
 * close_notify with one at once, TLS 1.3 too, so it would otherwise leave before the session
 * has decided how the client's connection ends. A session that was sending a response, or
 * relaying a tunnel, when the client closed (or a TCP session whose server had not ended its
 * stream) cannot send the rest; it resets the connection
 * ({@link RelaySession#abortOnFlush}, past the pipeline), which drops the held close_notify, so
 * that the client cannot take the cut stream for a whole one. Any close through the pipeline
 * lets the held bytes go first, as without the hold, and holds nothing it writes itself.
 *
 * <p>First in the pipeline, before the {@link SslHandler}: it sees the records the engine
 * wrote. Holds nothing before the handshake succeeded (a failed handshake's alert goes at
 * once), nor while the engine can still send (the JDK's engine half-closes a TLS 1.3
 * session). On the channel's loop; one per channel.
 */
public final class CloseNotifyHold extends ChannelOutboundHandlerAdapter {
    private final SslHandler tls;
    private final ArrayDeque<Object> held = new ArrayDeque<>();
    private final ArrayDeque<ChannelPromise> promises = new ArrayDeque<>();
    /** The session closes through the pipeline: what the engine writes for that close goes out. */
    private boolean closing;

    public CloseNotifyHold(SslHandler tls) {
        this.tls = tls;
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        // An empty write (a flush that another handler awaits, such as StreamCut's) carries no
        // record and passes.
        if ((!held.isEmpty() || !closing && peerClosed()) && !(msg instanceof ByteBuf b && !b.isReadable())) {
            held.add(msg);
            promises.add(promise);
            return;
        }
        ctx.write(msg, promise);
    }

    /**
     * Whether the client's close_notify was read and the engine answered it: it sends nothing
     * more. The engine says the same of its own close_notify when the session closed within
     * a read of the TLS handler that left more of the client's records to decrypt (an error
     * answered while the client was still sending, on epoll, where the answer's write and so
     * the close complete at once): {@link #closing} tells that close_notify apart.
     */
    private boolean peerClosed() {
        SSLEngine e = tls.engine();
        return tls.handshakeFuture().isSuccess() && e.isInboundDone() && e.isOutboundDone();
    }

    /** A close through the pipeline: what is held goes first, then the close. */
    @Override
    public void close(ChannelHandlerContext ctx, ChannelPromise promise) {
        if (held.isEmpty()) {
            ctx.close(promise);
            return;
        }
        while (held.size() > 1) {
            ctx.write(held.poll(), promises.poll());
        }
        ctx.writeAndFlush(held.poll(), promises.poll()).addListener((ChannelFutureListener) f -> ctx.close(promise));
    }

    /**
     * After the TLS handler: notes a close through the pipeline before the TLS handler writes
     * its close_notify, which would otherwise be held until Netty's close timeout (3 s) forced
     * the close with a warning.
     */
    private final class CloseMark extends ChannelOutboundHandlerAdapter {
        @Override
        public void close(ChannelHandlerContext ctx, ChannelPromise promise) {
            closing = true;
            ctx.close(promise);
        }

        @Override
        public void disconnect(ChannelHandlerContext ctx, ChannelPromise promise) {
            closing = true;
            ctx.disconnect(promise);
        }
    }

    /** The channel went (a reset past the pipeline drops what is held). */
    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        ClosedChannelException closed = new ClosedChannelException();
        while (!held.isEmpty()) {
            ReferenceCountUtil.release(held.poll());
            promises.poll().tryFailure(closed);
        }
    }

    /**
     * Adds {@code tls} as {@code ch}'s "ssl" handler, last so far, with the hold before it: the
     * session then decides between the engine's answer to a client's close_notify and a reset.
     * A {@link TlsReadFailureWatch} goes before it, then, during the handshake, a
     * {@link ClientAlertWatch}; a {@link TlsWriteFailureNote} first; the hold's close mark
     * right after it.
     */
    public static void addWith(Channel ch, SslHandler tls) {
        CloseNotifyHold hold = new CloseNotifyHold(tls);
        ch.pipeline().addLast("ssl", tls);
        ch.pipeline().addLast("tls-close-mark", hold.new CloseMark());
        ch.pipeline().addBefore("ssl", "tls-read-failure", new TlsReadFailureWatch(tls));
        ClientAlertWatch.addBefore(ch, tls);
        ch.pipeline().addFirst("close-notify-hold", hold);
        ch.pipeline().addFirst("tls-write-failure", TlsWriteFailureNote.INSTANCE);
    }
}
