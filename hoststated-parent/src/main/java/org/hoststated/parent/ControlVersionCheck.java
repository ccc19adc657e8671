package org.hoststated.parent;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import java.util.List;
import java.util.function.IntConsumer;
import org.hoststated.core.msg.Messages;

/**
 * Reads the control protocol version of a control client's first request, the peer id in its
 * header ({@link Messages#CONTROL_VERSION}), before anything decodes the request: a request of
 * another build may not decode, or decode into something else. A client of this version goes on
 * to the decoders, with all it sent; one of another version is handed to {@code otherBuild} and
 * nothing it sends reaches them. The first request only: a connection is one hoststatectl.
 */
final class ControlVersionCheck extends ByteToMessageDecoder {
    private final IntConsumer otherBuild;
    private boolean refused;

    /** {@code otherBuild} takes the version the client spoke (0: one before versions). */
    ControlVersionCheck(IntConsumer otherBuild) {
        this.otherBuild = otherBuild;
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        if (refused) {
            in.skipBytes(in.readableBytes());
            return;
        }
        if (in.readableBytes() < Messages.PEER_ID_OFFSET + 4) {
            return;
        }
        int version = in.getInt(in.readerIndex() + Messages.PEER_ID_OFFSET);
        if (version == Messages.CONTROL_VERSION) {
            ctx.pipeline().remove(this); // hands on what it holds
            return;
        }
        refused = true;
        in.skipBytes(in.readableBytes());
        otherBuild.accept(version);
    }
}
