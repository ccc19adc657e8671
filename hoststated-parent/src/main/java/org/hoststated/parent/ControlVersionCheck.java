package org.hoststated.parent;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import java.util.List;
import java.util.function.Consumer;
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
    /** Above this, a version is no build's: the bytes are no request (probe AC 6: "hello world"). */
    static final int MAX_VERSION = 0xffff;

    private final IntConsumer otherBuild;
    private final Consumer<String> badRequest;
    private boolean refused;

    /**
     * @param otherBuild takes the version the client spoke (0: one before versions)
     * @param badRequest takes why the first bytes are no request of any build
     */
    ControlVersionCheck(IntConsumer otherBuild, Consumer<String> badRequest) {
        this.otherBuild = otherBuild;
        this.badRequest = badRequest;
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
        int length = in.getInt(in.readerIndex());
        in.skipBytes(in.readableBytes());
        if (length < Messages.HEADER || length > Messages.MAX_FRAME || version < 0 || version > MAX_VERSION) {
            badRequest.accept("not a control protocol frame");
        } else {
            otherBuild.accept(version);
        }
    }
}
