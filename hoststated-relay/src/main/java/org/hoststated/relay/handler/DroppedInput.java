package org.hoststated.relay.handler;

import io.netty.channel.ChannelHandler.Sharable;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.ReferenceCountUtil;

/**
 * First in the pipeline of a connection whose peer's bytes reach nobody any more (a TLS client
 * after the relay's close_notify, {@link RelaySession#closeTlsWhenTaken}): they are read, so that
 * the close finds none unread, which would make the kernel reset the connection, and released
 * here. Events (the peer's FIN, a reset) go on to the handlers.
 */
@Sharable
final class DroppedInput extends ChannelInboundHandlerAdapter {
    static final DroppedInput INSTANCE = new DroppedInput();

    private DroppedInput() {
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        ReferenceCountUtil.release(msg);
    }
}
