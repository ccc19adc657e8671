package org.hoststated.relay.handler;

import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.timeout.IdleStateEvent;

/**
 * Closes a relay session's client channel when the {@code IdleStateHandler} before it says the
 * session has been idle for the relay's {@code timeout}. Runs on the session's worker loop, in
 * the frontend pipeline: {@code idle -> idle-close -> frontend}. Stateless and shared.
 */
@ChannelHandler.Sharable
public final class IdleCloseHandler extends ChannelInboundHandlerAdapter {
    public static final IdleCloseHandler INSTANCE = new IdleCloseHandler();

    private IdleCloseHandler() {
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof IdleStateEvent) {
            RelaySession.setReason(ctx.channel(), "session timeout");
            ctx.close();
            return;
        }
        ctx.fireUserEventTriggered(evt);
    }
}
