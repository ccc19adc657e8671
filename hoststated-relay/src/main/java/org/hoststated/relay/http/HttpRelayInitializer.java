package org.hoststated.relay.http;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.ssl.SslContext;
import java.net.InetSocketAddress;
import org.hoststated.core.config.Mode;
import org.hoststated.core.config.ProtocolConfig;
import org.hoststated.core.config.TableTarget;
import org.hoststated.relay.RelayTls;
import org.hoststated.relay.SessionLimit;
import org.hoststated.relay.handler.CloseNotifyHold;
import org.hoststated.relay.handler.TlsRecordEdge;
import org.hoststated.relay.handler.RelayContext;
import org.hoststated.relay.handler.RelaySession;
import org.slf4j.LoggerFactory;

/**
 * Builds the pipeline of a session accepted by a {@code protocol http} relay, in the worker
 * loop that accepted it:
 * <pre>
 *   [plain-request (PlainRequestOnTls, first read only) -> tls-write-failure (TlsWriteFailureNote)
 *    -> close-notify-hold (CloseNotifyHold) -> close-notify-defer (CloseNotifyDefer)
 *    -> tls-record-edge (TlsRecordEdge) -> ssl (SslHandler)
 *    -> tls-close-mark, listen ... ssl]
 *   -> http (HttpFrontendHandler)
 * </pre>
 * The protocol's rules are compiled once here; each session gets its own frontend handler,
 * which connects backend channels on the same loop. Shared by every session of one relay, as
 * is the relay's pool of idle backend connections ({@link BackendPool}).
 */
@ChannelHandler.Sharable
public final class HttpRelayInitializer extends ChannelInitializer<Channel>
        implements SessionLimit.OverLimit, SessionLimit.SessionPipeline {
    private final RelayContext relay;
    private final SslContext tls;
    private final HttpRules rules;
    private final HttpLimits limits;
    private final boolean hashRouted;
    private final BackendPool pool;

    /** @param tls the TLS server context, or null for a plain listener */
    public HttpRelayInitializer(RelayContext relay, SslContext tls, ProtocolConfig protocol) {
        this(relay, tls, protocol, HttpLimits.DEFAULTS, BackendPool.Limits.DEFAULTS);
    }

    public HttpRelayInitializer(RelayContext relay, SslContext tls, ProtocolConfig protocol, HttpLimits limits,
            BackendPool.Limits poolLimits) {
        this.relay = relay;
        this.tls = tls;
        this.rules = new HttpRules(protocol);
        this.limits = limits;
        this.hashRouted = relay.config().target() instanceof TableTarget t && t.mode() != Mode.ROUNDROBIN;
        this.pool = new BackendPool(relay.selector(), poolLimits, relay.config().timeoutSec());
        LoggerFactory.getLogger(HttpRelayInitializer.class).debug("relay {}: http {}", relay.name(), limits);
    }

    @Override
    protected void initChannel(Channel ch) {
        init(ch);
    }

    @Override
    public void init(Channel ch) {
        ChannelPipeline p = ch.pipeline();
        if (tls != null) {
            CloseNotifyHold.addWith(ch, RelayTls.handler(tls, ch));
            // A FIN that cuts a record in a tunnel resets the server (HttpFrontendHandler).
            TlsRecordEdge.addBeforeTls(ch);
            p.addBefore("tls-record-edge", "close-notify-defer", new CloseNotifyDefer());
            p.addFirst("plain-request", new PlainRequestOnTls(rules));
        }
        p.addLast("http", new HttpFrontendHandler(relay, rules, limits, hashRouted, pool));
    }

    /** The relay's idle backend connections. */
    public BackendPool pool() {
        return pool;
    }

    /**
     * The relay stopped (a reload replaced or removed it): its idle backend connections close,
     * and its sessions end between exchanges, so that keep-alive clients reconnect to the new
     * generation and its rules and hosts instead of going on with this one's (see
     * {@link HttpFrontendHandler#relayRetired}). Tunnels (after a 101) run to their end.
     */
    public void retire(Iterable<Channel> sessions) {
        retire(sessions, "relay reloaded");
    }

    /** {@link #retire(Iterable)}, the sessions' close lines saying "done (why)". */
    public void retire(Iterable<Channel> sessions, String why) {
        pool.close(why);
        for (Channel ch : sessions) {
            RelaySession.runOn(ch.eventLoop(), () -> {
                HttpFrontendHandler h = ch.pipeline().get(HttpFrontendHandler.class);
                if (h != null) {
                    h.relayRetired();
                }
            });
        }
    }

    /**
     * Host state changed: the pool drops the idle connections of hosts that may no longer get
     * sessions, and each session waiting for the response of such a host may resend its request
     * ({@link HttpFrontendHandler#hostsChanged}). Called on the relay engine's loop; host state
     * changes seldom, so walking the sessions costs nothing on the request path.
     */
    public void hostsChanged(Iterable<Channel> sessions) {
        pool.hostsChanged();
        for (Channel ch : sessions) {
            RelaySession.runOn(ch.eventLoop(), () -> {
                HttpFrontendHandler h = ch.pipeline().get(HttpFrontendHandler.class);
                if (h != null) {
                    h.hostsChanged();
                }
            });
        }
    }

    /**
     * A client over the engine's session bound gets a 503 page, then the close
     * ({@link RefusedClose}: after what it sent is read and dropped, briefly); a TLS client
     * only the close: a plaintext page answered its ClientHello, and clients reported a TLS
     * error ("wrong version number") where the relay was full (probe G), and a handshake to say
     * so would spend the CPU of an overloaded engine.
     */
    @Override
    public void refuse(Channel client) {
        if (tls != null) {
            client.close();
            return;
        }
        RefusedClose.answer(client, ErrorPage.render(client.alloc(), 503, rules.returnError, rules.errorStyle,
                "too many sessions", null, (InetSocketAddress) client.localAddress(), true));
    }

    @Override
    public String refusal() {
        return tls != null ? SessionLimit.OverLimit.CLOSED : SessionLimit.OverLimit.ANSWERED;
    }
}
