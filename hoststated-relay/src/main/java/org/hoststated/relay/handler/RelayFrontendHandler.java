package org.hoststated.relay.handler;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.epoll.EpollDirectSend;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.ssl.SslCloseCompletionEvent;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import io.netty.util.ReferenceCountUtil;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.ArrayDeque;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLException;
import org.hoststated.relay.ReceiveRing;
import org.hoststated.relay.lb.Failover;
import org.hoststated.relay.lb.TargetHost;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The client side of one relay session, and the session's owner: last handler of the client
 * channel's pipeline (after {@code ssl} on a TLS listener), on the worker loop that
 * accepted the client. It picks a host, connects the backend channel on the same loop (so
 * the session's state needs no locks), retries the next host when a connect fails, then
 * relays bytes unchanged both ways (on epoll straight to the peer's socket when nothing waits
 * there, {@link EpollDirectSend}). Behind TLS, the host is picked once the handshake has
 * succeeded.
 *
 * <p>TCP semantics are kept end to end: a FIN from one side becomes a FIN to the other after
 * the data before it has been written, and the session closes once both sides have sent FIN.
 * Back-pressure: each side reads only while the other side's outbound buffer is below its
 * high water mark ({@code channelWritabilityChanged} toggles the peer's auto-read), so a slow
 * reader never makes the relay buffer without bound.
 */
public final class RelayFrontendHandler extends ChannelInboundHandlerAdapter implements HeldSession {
    private static final Logger log = LoggerFactory.getLogger(RelayFrontendHandler.class);


    private final RelayContext relay;
    private Channel client;
    private Channel server;
    private boolean connected;
    private TargetHost host;
    /** Where the session goes once its connect failed; null before. */
    private Failover failover;
    private boolean clientEof;
    private boolean serverEof;
    /** A TLS client whose server ended is sent the rest, then closed; what it sends is dropped. */
    private boolean closingAfterServer;
    /**
     * The TLS client ended its session (close_notify, answered by the engine): its channel may
     * stay open a while for its reset ({@link StreamCut}), but gets no backend any more.
     */
    private boolean clientGone;
    /** The TLS client's FIN cut one of its records: the server is reset, not sent a FIN. */
    private boolean clientCut;
    /**
     * A side failed (exceptionCaught, or the server's): its peer is being reset. io_uring
     * fires the end of input after a read's error, and passed on as a FIN it reached the peer
     * before the reset, which then read a clean end after a cut stream (probe S).
     */
    private boolean clientFailed;
    private boolean serverFailed;
    /**
     * The TLS client's close_notify came while its server was being connected: what it sent
     * before is whole and waits in {@link #pending}; it goes to the server once connected,
     * even when the client is gone by then (a client that closes its socket right after
     * close_notify is reset by the engine's answer), and the server then gets its FIN.
     */
    private boolean wholeBeforeConnect;
    private SessionInfo session;
    /** Data read from the client before the server was connected (at most one read burst). */
    private ArrayDeque<Object> pending;

    public RelayFrontendHandler(RelayContext relay) {
        this.relay = relay;
    }

    Channel client() {
        return client;
    }

    /** The session's backend channel (connected or connecting), or null. */
    public Channel server() {
        return server;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        client = ctx.channel();
        session = SessionInfo.openUnlessDisabled(relay, client);
        if (session == null) {
            return;
        }
        SessionIdleTimer.start(client, session, this, relay.config().timeoutSec());
        if (ctx.pipeline().get(SslHandler.class) != null) {
            // A TLS client gets a backend only once its handshake succeeded: a failed or
            // abandoned handshake costs the servers nothing. The SslHandler reads on from here.
            ctx.read();
            return;
        }
        startSession(ctx);
    }

    /** Picks the host and connects to it. */
    private void startSession(ChannelHandlerContext ctx) {
        host = natTarget();
        if (host == null) {
            host = relay.selector().select((InetSocketAddress) client.remoteAddress(),
                    (InetSocketAddress) client.localAddress());
        }
        if (host == null) {
            RelaySession.setReason(client, RelaySession.noHostReason(relay.config()));
            RelaySession.closeUnserved(client, relay);
            return;
        }
        // Nothing reads the client until its server is connected, which can take up to the
        // connect timeout per try: watched meanwhile, its reset ends the session and the
        // connect (io_uring reported it only once the connect was done or given up).
        PausedReads.set(client, false);
        connect();
    }

    /**
     * {@code nat lookup}: the destination a redirected client asked for, or null when the
     * connection was not redirected (then the relay's other target, if any, is used).
     */
    private TargetHost natTarget() {
        if (!relay.config().natLookup()) {
            return null;
        }
        InetSocketAddress orig = OriginalDestination.of(client);
        return orig == null ? null : TargetHost.natLookup(orig, relay.config().natLookupRetry());
    }

    private void connect() {
        session.target(host.address());
        Bootstrap b = relay.backend(host.address()).clone(client.eventLoop()).handler(new RelayBackendHandler(this));
        ChannelFuture f = b.connect(host.address());
        server = f.channel();
        session.server(server);
        if (!host.natLookup()) {
            relay.selector().connecting(f, host);
        }
        RelaySession.whenConnected(f, client.eventLoop(), this::connectDone);
    }

    /**
     * Connects to the same host again after {@code waitMs} ({@link Failover#waitMillis}). The
     * failed channel stands for the connect meanwhile: the session counts as connecting, and
     * what its client sends waits for the server, as during a connect.
     */
    private void connectLater(long waitMs) {
        Channel failed = server;
        client.eventLoop().schedule(() -> {
            // Not when the session has ended meanwhile, unless its client's whole stream waits
            // for delivery (connectDone sends it and closes).
            if (server == failed && (client.isActive() && !clientGone || awaitingDelivery())) {
                connect();
            }
        }, waitMs, TimeUnit.MILLISECONDS);
    }

    /** A connect to a host is under way: the session waits for it, not for its peers. */
    boolean connecting() {
        return server != null && !connected;
    }

    private void connectDone(ChannelFuture f) {
        if (f.channel() != server) {
            return;
        }
        if (!client.isActive() || clientGone) {
            if ((wholeBeforeConnect || clientEof) && f.isSuccess()) {
                connected = true;
                sendPending();
                RelaySession.closeOnFlushWithin(server, relay);
                return;
            }
            releasePending();
            if (clientCut) {
                RelaySession.abort(server);
            } else {
                server.close();
            }
            return;
        }
        if (!f.isSuccess()) {
            connectFailed(f.cause());
            return;
        }
        connected = true;
        sendPending();
        if (wholeBeforeConnect) {
            clientClosedTls();
            return;
        }
        if (clientEof) {
            RelaySession.shutdownOutputOnFlush(server);
        }
        PausedReads.set(client, server.isWritable());
    }

    /** Sends what the client sent before its server was connected. */
    private void sendPending() {
        if (pending != null) {
            for (Object m; (m = pending.poll()) != null; ) {
                if (m instanceof ByteBuf b) {
                    session.relayedToServer(b.readableBytes());
                }
                server.write(m, server.voidPromise());
            }
            pending = null;
            server.flush();
        }
    }

    /**
     * Whether the client's whole stream waits for its server's connect: after its close_notify
     * ({@link #wholeBeforeConnect}), or its FIN, or the JDK engine's half-closing TLS 1.3
     * close_notify, whose client may close its socket at once too (then reset by what the engine
     * sends it after).
     */
    private boolean awaitingDelivery() {
        return (wholeBeforeConnect || clientEof) && server != null && !connected;
    }

    private void connectFailed(Throwable cause) {
        String why = host + ": " + RelaySession.describeConnectFailure(cause);
        if (failover == null) {
            failover = relay.selector().failover(host);
        }
        TargetHost next = failover.next(host, cause);
        if (next != null) {
            log.debug("relay {}, session {}: connect to {}, retrying with {}", relay.name(), session.id(), why, next);
            if (!next.equals(host)) {
                session.movedOff(why);
            } else {
                session.retried(why);
            }
            long wait = failover.waitMillis(next, host);
            host = next;
            if (wait == 0) {
                connect();
            } else {
                connectLater(wait);
            }
            return;
        }
        RelaySession.setReason(client, "connect to " + why);
        relay.counters().unserved(client.eventLoop(), SessionInfo.logName(relay.name()), "connect to " + why);
        // Nothing of the failed connect is left to close; a channel Netty could not even make
        // (no descriptor left) has no loop, and closing it threw in the client's close.
        server = null;
        session.server(null);
        // A reset, as for a side that failed: a FIN (over TLS, close_notify) told a client
        // that had sent its stream and half-closed that a server took it, when none got a
        // byte (probe T).
        RelaySession.abort(client);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (closingAfterServer) {
            // The server ended: what a TLS client sends now reaches nobody (see serverEof).
            ReferenceCountUtil.release(msg);
            return;
        }
        if (connected) {
            session.touch();
            // Ownership of msg moves to the server channel's outbound buffer.
            if (msg instanceof ByteBuf b) {
                session.relayedToServer(b.readableBytes());
                if (EpollDirectSend.sent(server, b)) {
                    return;
                }
                msg = ReceiveRing.forQueue(b, server);
            }
            server.write(msg, server.voidPromise());
        } else if (client.isActive()) {
            if (pending == null) {
                pending = new ArrayDeque<>(4);
            }
            pending.add(msg instanceof ByteBuf b ? ReceiveRing.held(b, client.alloc()) : msg);
        } else {
            ReferenceCountUtil.release(msg);
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        if (connected) {
            server.flush();
        }
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof SslHandshakeCompletionEvent hs) {
            if (hs.isSuccess()) {
                startSession(ctx);
            } else {
                RelaySession.setReason(client, RelaySession.describeHandshakeFailure(hs.cause()));
                ctx.close();
            }
            return;
        }
        if (evt instanceof SslCloseCompletionEvent closed && closed.isSuccess()) {
            // close_notify is the TLS client's FIN, whether or not a TCP FIN follows: a
            // client may send it and keep the connection open, waiting for ours.
            if (RelaySession.closeNotifyAnswered(ctx)) {
                clientClosedTls();
                return;
            }
            clientEof();
            return;
        }
        if (evt == ChannelInputShutdownEvent.INSTANCE) {
            if (clientFailed) {
                return;
            }
            if (TcpInfo.resetAtEndOfInput(client)) {
                exceptionCaught(ctx, TcpInfo.resetByPeer());
                return;
            }
            if (RelaySession.inTlsHandshake(client)) {
                // Its handshake can never finish: the SslHandler would wait for its limit.
                RelaySession.setReason(client, RelaySession.CLOSED_IN_HANDSHAKE);
                ctx.close();
                return;
            }
            SSLException cut = TlsRecordEdge.truncation(client);
            if (cut != null) {
                // A truncation, not a half-close: neither peer may take its stream as whole, so
                // both are reset, the client after what it was sent (no close_notify).
                noteError("client", cut);
                clientGone = true;
                clientCut = true; // a backend still connecting is reset by connectDone
                if (server != null && connected) {
                    RelaySession.abortOnFlush(server);
                }
                RelaySession.abortOnFlush(client);
                return;
            }
            clientEof();
            return;
        }
        ctx.fireUserEventTriggered(evt);
    }

    /**
     * The TLS client sent close_notify and the engine closed both directions: BoringSSL, through
     * Netty's engine, answers it with the relay's own at once, TLS 1.3 as 1.2, so nothing more
     * can reach the client, and the session is over once the client's last bytes reach the
     * server. A server that had ended its stream (FIN, or closed) had all of it sent before, and
     * the close_notify goes. Otherwise what the server would still send is cut: the client is
     * reset after what it was sent, which drops the engine's close_notify ({@link CloseNotifyHold})
     * since that would vouch for the cut stream as whole.
     */
    private void clientClosedTls() {
        if (server != null && !connected) {
            wholeBeforeConnect = true;
            clientEof = true;
            return; // connectDone sends what waits, then comes back here
        }
        boolean serverEnded = serverEof || connected && !server.isActive();
        clientGone = true;
        if (serverEnded) {
            RelaySession.setReason(client, "closed by client");
            RelaySession.closeOnFlush(client);
        } else {
            RelaySession.setReason(client, "client closed before the server (close_notify; server's stream cut short)");
            // Before the server's close: StreamCut then holds the close that follows it.
            RelaySession.abortOnFlush(client);
        }
        if (server != null && connected) {
            RelaySession.closeOnFlushWithin(server, relay);
        }
        // A backend still connecting is closed by connectDone.
    }

    /** The client sends no more (FIN, or close_notify): pass it on to the server. */
    private void clientEof() {
        if (clientEof) {
            return; // a TCP FIN after a close_notify
        }
        clientEof = true;
        if (connected) {
            RelaySession.shutdownOutputOnFlush(server);
        }
        finishIfBothEof();
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        if (connected) {
            PausedReads.set(server, client.isWritable());
        }
        ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (session != null) {
            session.done();
        }
        RelaySession.setReason(client, "closed by client");
        if (awaitingDelivery()) {
            return; // connectDone sends it and closes the server
        }
        releasePending();
        if (server != null && clientCut && !connected) {
            // Still connecting: a close would send a FIN once the kernel has connected it.
            RelaySession.abort(server);
        } else if (server != null) {
            // The session's timer stopped with the client: the server gets a timeout of its own.
            RelaySession.closeOnFlushWithin(server, relay);
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        clientFailed = true;
        noteError("client", cause);
        if (server != null && !connected && !awaitingDelivery()) {
            // Its server still connecting is reset, not closed: a close ended that connection
            // with a FIN once the kernel had made it, an empty stream taken for whole (probe O
            // F3: epoll reads a client during its server's connect; io_uring does not).
            clientCut = true;
        }
        RelaySession.endFailed(client);
        if (server != null && !awaitingDelivery()) {
            RelaySession.abortOnFlush(server);
        }
    }

    @Override
    public long heldBytes() {
        return RelaySession.pendingBytes(client) + RelaySession.pendingBytes(server);
    }

    @Override
    public void shed(String reason) {
        RelaySession.setReason(client, reason);
        // Resets both ways: the stream is cut where it stood, and a FIN would tell each peer
        // it had ended (as for a side that failed, see noteError).
        if (server != null) {
            RelaySession.abort(server);
        }
        RelaySession.abort(client);
    }

    /** {@code n} bytes from the server, passed on to the client: the session is active. */
    void serverRead(int n) {
        session.touch();
        session.relayedToClient(n);
    }

    void serverEof() {
        if (serverFailed) {
            return;
        }
        serverEof = true;
        if (client.pipeline().get(SslHandler.class) != null && !clientEof) {
            // TLS has no half-close a client can rely on: end the session with close_notify,
            // once the client has taken the rest; what it sends meanwhile is read and dropped.
            RelaySession.setReason(client, "closed by server");
            closingAfterServer = true;
            RelaySession.closeTlsWhenTaken(client, relay);
            return;
        }
        if (client.pipeline().get(SslHandler.class) == null) {
            RelaySession.shutdownOutputOnFlush(client);
        }
        // Both sides ended (behind TLS, the client's FIN came first): the session is done,
        // and finishIfBothEof closes the TLS client with close_notify.
        finishIfBothEof();
    }

    void serverWritabilityChanged(boolean writable) {
        if (connected) {
            PausedReads.set(client, writable);
        }
    }

    void serverClosed(Channel ch) {
        if (ch != server || !connected || closingAfterServer) {
            return;
        }
        RelaySession.setReason(client, "closed by server");
        RelaySession.closeOnFlush(client);
    }

    void serverFailed(Channel ch, Throwable cause) {
        if (ch != server) {
            ch.close();
            return;
        }
        serverFailed = true;
        noteError("server", cause);
        server.close();
        RelaySession.abortOnFlush(client);
    }

    /**
     * An error on one side ends the session: that side closes now, the other is reset after a
     * flush, so that it does not take the cut stream for a complete one.
     */
    private void noteError(String side, Throwable cause) {
        if (!(cause instanceof IOException) && !(cause instanceof DecoderException)) {
            // Not the outside world failing (I/O error, bad TLS or protocol data): a bug.
            log.warn("relay {}, session {}: {} side", relay.name(), session != null ? session.id() : 0, side, cause);
        }
        RelaySession.setReason(client, RelaySession.failure(client, side, cause));
    }

    private void finishIfBothEof() {
        if (clientEof && serverEof) {
            session.done();
            RelaySession.setReason(client, "done");
            // Once the server has acknowledged what it was sent, or reset at the timeout: closed
            // at once, a server that never read left the upload in an orphaned socket (probe AG).
            RelaySession.closeOnFlushWithin(server, relay);
            RelaySession.closeOnFlush(client);
        }
    }

    private void releasePending() {
        if (pending != null) {
            for (Object m; (m = pending.poll()) != null; ) {
                ReferenceCountUtil.release(m);
            }
            pending = null;
        }
    }
}
