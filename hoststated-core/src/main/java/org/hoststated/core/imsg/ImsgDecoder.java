package org.hoststated.core.imsg;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.MessageToMessageDecoder;
import java.util.List;
import org.hoststated.core.msg.MalformedMessageException;
import org.hoststated.core.msg.Messages;
import org.hoststated.core.msg.ProcId;

/**
 * Turns a whole frame into an {@link org.hoststated.core.msg.Imsg}, refusing a type that may
 * not travel from this channel's peer and a payload that does not decode exactly.
 *
 * <p>Pipeline: after {@link ImsgFrameDecoder}.
 */
public final class ImsgDecoder extends MessageToMessageDecoder<ByteBuf> {
    private final ProcId local;
    private final ProcId remote;
    private final ImsgErrors errors;

    public ImsgDecoder(ProcId local, ProcId remote, ImsgErrors errors) {
        super(ByteBuf.class);
        this.local = local;
        this.remote = remote;
        this.errors = errors;
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf frame, List<Object> out) {
        if (!ctx.channel().isActive() || errors.answered()) {
            return;
        }
        try {
            out.add(Messages.decode(frame, remote, local));
        } catch (MalformedMessageException e) {
            errors.malformed(ctx, e);
        }
    }
}
