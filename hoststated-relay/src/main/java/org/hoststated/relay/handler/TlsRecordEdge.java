package org.hoststated.relay.handler;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.ssl.SslHandler;
import javax.net.ssl.SSLException;

/**
 * Follows the record boundaries of what a TLS client sends, so that a FIN in the middle of a
 * record is told from one between records. A TCP relay passes a TLS client's FIN on to the
 * server as a half-close; a FIN that cuts a record is a truncation instead (the record's
 * bytes, already on their way, never reach the server), and the server is reset, as after
 * any failure of the client's side, rather than sent a FIN that would vouch for the stream
 * as whole. The {@link SslHandler} keeps the incomplete record in its buffer and says nothing
 * of it at the end of input.
 *
 * <p>Before the {@link SslHandler} (raw bytes), for the session's whole life
 * ({@link TlsRecordCursor}). On the channel's loop; one per channel.
 */
public final class TlsRecordEdge extends ChannelInboundHandlerAdapter {
    private final TlsRecordCursor records = new TlsRecordCursor();

    /** Adds a follower of {@code ch}'s client records just before its "ssl" handler. */
    public static void addBeforeTls(Channel ch) {
        ch.pipeline().addBefore("ssl", "tls-record-edge", new TlsRecordEdge());
    }

    /**
     * The failure a FIN of {@code ch}'s client is when it cut a record (the bytes of it left
     * unsent counted, of its header only when the header is cut), or null when the client
     * stopped between records or the channel has no follower.
     */
    public static SSLException truncation(Channel ch) {
        TlsRecordEdge edge = ch.pipeline().get(TlsRecordEdge.class);
        int missing = edge == null ? 0 : edge.missing();
        return missing == 0 ? null
                : new SSLException("the connection ended in the middle of a record (" + missing + " bytes of it missing)");
    }

    int missing() {
        return records.missing();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof ByteBuf b) {
            scan(b);
        }
        ctx.fireChannelRead(msg);
    }

    private void scan(ByteBuf b) {
        for (int i = b.readerIndex(), end = b.writerIndex(); i < end; ) {
            i = records.next(b, i, end);
        }
    }
}
