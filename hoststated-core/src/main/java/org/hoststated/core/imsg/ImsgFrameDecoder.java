package org.hoststated.core.imsg;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import java.util.List;
import org.hoststated.core.msg.MalformedMessageException;
import org.hoststated.core.msg.Messages;
import org.hoststated.core.msg.ProcId;

/**
 * Cuts the byte stream of an imsg channel into whole frames. The length field is checked
 * against {@link Messages#MAX_FRAME}, the frame's type against those the peer may send, and the
 * length against that type's bound, before the payload is buffered, so an oversized or garbage length closes the channel instead of growing
 * memory.
 *
 * <p>Pipeline: first inbound handler, followed by {@link ImsgDecoder}.
 */
public final class ImsgFrameDecoder extends ByteToMessageDecoder {
    private final ProcId local;
    private final ProcId remote;
    private final ImsgErrors errors;

    public ImsgFrameDecoder(ProcId local, ProcId remote, ImsgErrors errors) {
        this.local = local;
        this.remote = remote;
        this.errors = errors;
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        if (errors.answered()) {
            // Read and dropped until the channel closes: unread bytes would make its close a
            // reset, which the peer could read before the answer.
            in.skipBytes(in.readableBytes());
            return;
        }
        if (in.readableBytes() < 6) {
            return;
        }
        int len;
        try {
            len = Messages.frameLength(in);
            Messages.checkTypeBound(in, len, remote, local);
        } catch (MalformedMessageException e) {
            errors.malformed(ctx, e);
            in.skipBytes(in.readableBytes());
            return;
        }
        if (in.readableBytes() >= len) {
            out.add(in.readRetainedSlice(len));
        }
    }
}
