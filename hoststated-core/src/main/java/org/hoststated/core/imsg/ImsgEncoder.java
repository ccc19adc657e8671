package org.hoststated.core.imsg;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.MessageToByteEncoder;
import org.hoststated.core.msg.Imsg;
import org.hoststated.core.msg.Messages;

/** Writes an {@link Imsg} as one frame. Stateless, so one instance serves every channel. */
@ChannelHandler.Sharable
public final class ImsgEncoder extends MessageToByteEncoder<Imsg> {
    public static final ImsgEncoder INSTANCE = new ImsgEncoder();

    private ImsgEncoder() {
        super(Imsg.class);
    }

    @Override
    protected void encode(ChannelHandlerContext ctx, Imsg msg, ByteBuf out) {
        Messages.encode(msg, out);
    }
}
