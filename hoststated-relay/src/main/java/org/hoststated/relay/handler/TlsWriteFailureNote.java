package org.hoststated.relay.handler;

import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import java.io.IOException;
import java.nio.channels.ClosedChannelException;
import javax.net.ssl.SSLException;

/**
 * Names a TLS session's end when writing to its client's socket fails (the client reset while
 * a response or a stream was being sent to it). Without TLS the relay writes with void
 * promises, so such a failure reaches the session's handler as an exception and its close line
 * says "client: Connection reset by peer". The {@link io.netty.handler.ssl.SslHandler} writes
 * its records with promises of its own, and the failure reached no handler: the channel closed
 * and the close line said "done", as for a complete exchange. The promise fails on the
 * channel's loop during the close that the failure causes, before the close line is written.
 * A close of the relay's own (a closed channel) or a TLS error is not the socket failing, and
 * is left to the session. First in the pipeline; stateless, one instance for all channels.
 */
@ChannelHandler.Sharable
public final class TlsWriteFailureNote extends ChannelOutboundHandlerAdapter {
    public static final TlsWriteFailureNote INSTANCE = new TlsWriteFailureNote();

    private static final ChannelFutureListener NOTE = f -> {
        Throwable cause = f.cause();
        if (cause instanceof IOException && !(cause instanceof ClosedChannelException)
                && !(cause instanceof SSLException)) {
            RelaySession.setReason(f.channel(), RelaySession.failure(f.channel(), "client", cause));
        }
    };

    private TlsWriteFailureNote() {
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        // A void promise's failure is fired as an exception, which the session handles.
        if (!promise.isVoid()) {
            promise.addListener(NOTE);
        }
        ctx.write(msg, promise);
    }
}
