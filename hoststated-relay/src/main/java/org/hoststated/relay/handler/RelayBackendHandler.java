package org.hoststated.relay.handler;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.epoll.EpollDirectSend;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import org.hoststated.relay.ReceiveRing;

/**
 * The server side of one relay session: the only handler of the backend channel, which runs
 * on the client channel's worker loop, so it shares the session's state with
 * {@link RelayFrontendHandler} without locks. Passes what the server sends to the client
 * unchanged (each buffer's ownership moves with the write; on epoll it goes straight to the
 * client's socket when nothing waits there, {@link EpollDirectSend}) and reports EOF, errors and
 * writability to the frontend handler, which owns the session.
 */
final class RelayBackendHandler extends ChannelInboundHandlerAdapter {
    private final RelayFrontendHandler session;

    RelayBackendHandler(RelayFrontendHandler session) {
        this.session = session;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        ByteBuf b = (ByteBuf) msg;
        session.serverRead(b.readableBytes());
        Channel client = session.client();
        if (EpollDirectSend.sent(client, b)) {
            return;
        }
        // A void promise: a failed write surfaces in the client's exceptionCaught, which ends
        // the session; no listener per buffer.
        client.write(ReceiveRing.forQueue(b, client), client.voidPromise());
        if (!client.isWritable()) {
            // Stop reading now, not at the client's writability event: behind TLS that event
            // comes only once the loop runs its tasks (the SslHandler's queue reports its bytes
            // "later"), and a server that streams is read on meanwhile, up to a batch of reads
            // per wake-up: 12 MB queued per TLS client that read nothing, which exhausted the
            // engine's direct memory with a handful of them.
            ctx.channel().config().setAutoRead(false);
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        session.client().flush();
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt == ChannelInputShutdownEvent.INSTANCE) {
            if (TcpInfo.resetAtEndOfInput(ctx.channel())) {
                session.serverFailed(ctx.channel(), TcpInfo.resetByPeer());
            } else {
                session.serverEof();
            }
            return;
        }
        ctx.fireUserEventTriggered(evt);
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        session.serverWritabilityChanged(ctx.channel().isWritable());
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        session.serverClosed(ctx.channel());
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        session.serverFailed(ctx.channel(), cause);
    }
}
