package org.hoststated.relay.handler;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.ssl.ReferenceCountedOpenSslEngine;
import io.netty.handler.ssl.SslHandler;
import io.netty.internal.tcnative.SSL;
import javax.net.ssl.SSLException;

/**
 * Ends a TLS session whose engine failed after the handshake: a TLS 1.2 client's renegotiation,
 * for one, which BoringSSL refuses with a fatal no_renegotiation alert. Netty's engine sends the
 * alert but keeps the error until its next read, which a client that waits for an answer never
 * causes: the session stayed up, dead, until its idle timeout. Sits before the {@link SslHandler}
 * (raw bytes), which decodes each read before {@link #channelRead} goes on; BoringSSL marks its
 * read side shut when a read fails, which the engine reports as a received shutdown while it
 * has not taken the inbound side for done (as a close_notify would have).
 */
final class TlsReadFailureWatch extends ChannelInboundHandlerAdapter {
    private final SslHandler tls;

    TlsReadFailureWatch(SslHandler tls) {
        this.tls = tls;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        ctx.fireChannelRead(msg);
        if (failedAfterHandshake()) {
            ctx.fireExceptionCaught(new SSLException("refused the client's messages after the handshake ("
                    // A record that fails to decrypt comes first: BoringSSL shuts the read side
                    // for it too, and a middlebox that corrupts records is the likelier cause
                    // (probe S). TLS 1.3 renegotiates nothing.
                    + (tls13() ? "a record that does not decrypt, key updates without end, or a message out of place"
                            : "a record that does not decrypt, a renegotiation, or a message out of place")
                    + ") with a fatal alert"));
        }
    }

    private boolean tls13() {
        return "TLSv1.3".equals(tls.engine().getSession().getProtocol());
    }

    private boolean failedAfterHandshake() {
        if (!(tls.engine() instanceof ReferenceCountedOpenSslEngine e) || !tls.handshakeFuture().isSuccess()) {
            return false;
        }
        synchronized (e) {
            if (e.isInboundDone() || e.isOutboundDone()) {
                return false; // a close, or the engine already shut
            }
            return (SSL.getShutdown(e.sslPointer()) & SSL.SSL_RECEIVED_SHUTDOWN) != 0;
        }
    }
}
