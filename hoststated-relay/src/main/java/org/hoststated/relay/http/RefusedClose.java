package org.hoststated.relay.http;

import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.channel.socket.DuplexChannel;
import io.netty.util.ReferenceCountUtil;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.hoststated.relay.HalfClose;

/**
 * The close of a client the session bound turned away with its 503 page: a FIN after the page,
 * then what the client still sends (the request it sent before reading) is read and dropped for
 * {@link #MOST_MS} at most, or until its own FIN. Closed at once, its unread request made the
 * kernel reset the connection, which can destroy the page before the client read it (review
 * CG). Such a client holds no place under the bound, so its linger is short, and at most
 * {@link #MOST_AT_ONCE} linger at a time: beyond that, a flood of them is closed as before.
 * On the client's loop.
 */
final class RefusedClose extends ChannelInboundHandlerAdapter {
    static final long MOST_MS = 1000;
    static final int MOST_AT_ONCE = 64;
    private static final AtomicInteger LINGERING = new AtomicInteger();

    private RefusedClose() {
    }

    /** Writes {@code page} to {@code client}, then closes it as said above. */
    static void answer(Channel client, Object page) {
        if (!(client instanceof DuplexChannel d) || LINGERING.incrementAndGet() > MOST_AT_ONCE) {
            if (client instanceof DuplexChannel) {
                LINGERING.decrementAndGet();
            }
            client.writeAndFlush(page).addListener(ChannelFutureListener.CLOSE);
            return;
        }
        client.closeFuture().addListener(f -> LINGERING.decrementAndGet());
        client.pipeline().addLast(new RefusedClose());
        client.writeAndFlush(page).addListener((ChannelFutureListener) f -> {
            if (!f.isSuccess()) {
                client.close();
                return;
            }
            HalfClose.shutdownOutput(d);
            client.eventLoop().schedule((Runnable) client::close, MOST_MS, TimeUnit.MILLISECONDS);
        });
        client.config().setAutoRead(true);
        client.read();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        ReferenceCountUtil.release(msg);
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof ChannelInputShutdownEvent) {
            ctx.close();   // the client is done sending: nothing is left to drop
            return;
        }
        ReferenceCountUtil.release(evt);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        ctx.close();
    }
}
