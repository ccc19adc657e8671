package org.hoststated.relay.handler;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.ReferenceCountUtil;

/**
 * First in the pipeline of a connection whose peer's bytes reach nobody any more (a TLS client
 * after the relay's close_notify, {@link RelaySession#closeTlsWhenTaken}): they are read, so that
 * the close finds none unread, which would make the kernel reset the connection, and released
 * here, and each is told to the {@link Linger} rule, which the close waits for. Events (the
 * peer's FIN, a reset) go on to the handlers. One per channel, on its loop.
 */
final class DroppedInput extends ChannelInboundHandlerAdapter {
    /** Started when dropping begins. */
    final Linger linger = new Linger();

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        linger.read();
        ReferenceCountUtil.release(msg);
    }
}
