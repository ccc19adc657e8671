package org.hoststated.relay.handler;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.ssl.SslContext;
import org.hoststated.relay.RelayTls;

/**
 * Builds the pipeline of a session accepted by a {@code protocol tcp} relay, in the relay
 * engine's worker loop that accepted it:
 * <pre>
 *   [tls-write-failure (TlsWriteFailureNote) -> close-notify-hold (CloseNotifyHold)
 *    -> tls-record-edge (TlsRecordEdge) -> ssl (SslHandler) -> tls-close-mark, listen ... ssl] -> frontend
 * </pre>
 * The frontend handler connects the backend channel on the same loop and relays bytes
 * unchanged both ways; the session timeout is its {@link SessionIdleTimer}, not a handler.
 * Shared by every session of one relay.
 */
@ChannelHandler.Sharable
public final class TcpRelayInitializer extends ChannelInitializer<Channel> {
    private final RelayContext relay;
    private final SslContext tls;

    /** @param tls the TLS server context, or null for a plain listener */
    public TcpRelayInitializer(RelayContext relay, SslContext tls) {
        this.relay = relay;
        this.tls = tls;
    }

    @Override
    protected void initChannel(Channel ch) {
        ChannelPipeline p = ch.pipeline();
        if (tls != null) {
            // The session decides between the engine's answer to a client's close_notify and
            // a reset (RelayFrontendHandler.clientClosedTls).
            CloseNotifyHold.addWith(ch, RelayTls.handler(tls, ch));
            // A FIN that cuts a record resets the server (RelayFrontendHandler.userEventTriggered).
            TlsRecordEdge.addBeforeTls(ch);
        }
        p.addLast("frontend", new RelayFrontendHandler(relay));
    }
}
