package org.hoststated.relay;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandler;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.ChannelGroupFuture;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.unix.FileDescriptor;
import io.netty.handler.ssl.SslContext;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.io.IOException;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.concurrent.RejectedExecutionException;
import org.hoststated.core.config.ProtocolConfig;
import org.hoststated.core.config.ProtocolType;
import org.hoststated.core.config.RelayConfig;
import org.hoststated.relay.handler.HeldSession;
import org.hoststated.relay.handler.RelayContext;
import org.hoststated.relay.handler.RelaySession;
import org.hoststated.relay.handler.SessionInfo;
import org.hoststated.relay.handler.TcpRelayInitializer;
import org.hoststated.relay.http.HttpRelayInitializer;
import org.hoststated.relay.lb.HostSelector;
import org.hoststated.relay.udp.DnsRelay;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One relay of one configuration generation, in the relay engine: serves the listening socket
 * the parent passed (adopted by fd, never bound here) on the worker loops, each accepted
 * session getting the protocol's pipeline. Usable without the engine: give it a listening
 * descriptor and a {@link HostSelector}. {@link #serve} and {@link #stop} are called from one
 * thread (the engine's loop); the listener swap they do is the only shared state, cold path.
 */
public final class RelayServer {
    private static final Logger log = LoggerFactory.getLogger(RelayServer.class);
    /** Backend connect timeout cap; relayd used the 200 ms check timeout (SPEC 8.1 item 4). */
    static final int MAX_CONNECT_TIMEOUT_MS = 30_000;

    private final RelayConfig relay;
    private final ProtocolConfig protocol;
    private final EventLoopGroup workers;
    private final RelayTransport transport;
    private final RelayContext context;
    private final ChannelHandler initializer;
    private SessionLimit limit = SessionLimit.engine();
    /** Admits this server's clients, on every listener it serves; made at the first. */
    private SessionLimit.Guard guard;
    /** The UDP relay of a {@code protocol dns} relay, else null. */
    private final DnsRelay dns;
    private Channel listener;
    private boolean stopped;

    public RelayServer(RelayConfig relay, ProtocolConfig protocol, EventLoopGroup workers,
            RelayTransport transport, HostSelector selector, RelayCounters counters, boolean logSessions) {
        this(relay, protocol, workers, transport, selector, counters, logSessions, null);
    }

    /**
     * @param tls the TLS server context of a {@code listen ... ssl} relay, or null
     */
    public RelayServer(RelayConfig relay, ProtocolConfig protocol, EventLoopGroup workers,
            RelayTransport transport, HostSelector selector, RelayCounters counters, boolean logSessions,
            SslContext tls) {
        this.relay = relay;
        this.protocol = protocol;
        this.workers = workers;
        this.transport = transport;
        int connectMs = relay.timeoutSec() > 0
                ? (int) Math.min(MAX_CONNECT_TIMEOUT_MS, relay.timeoutSec() * 1000L) : MAX_CONNECT_TIMEOUT_MS;
        this.context = new RelayContext(relay, selector, counters, backend(Inet4Address.class, connectMs),
                backend(Inet6Address.class, connectMs),
                new DefaultChannelGroup("relay " + relay.name(), GlobalEventExecutor.INSTANCE), logSessions,
                new LingeringSides("relay " + relay.name() + " lingering"));
        this.dns = protocol.type() == ProtocolType.DNS ? new DnsRelay(context, protocol.tcp(), transport.name()) : null;
        this.initializer = dns != null ? null : initializer(protocol, tls);
    }

    private Bootstrap backend(Class<? extends InetAddress> family, int connectMs) {
        Bootstrap b = new Bootstrap().channelFactory(transport.socketChannels()).disableResolver();
        SocketOptions.backend(b, protocol, connectMs);
        transport.readOptions(b, receiveRing());
        SocketOptions.ttl(b, protocol.tcp(), family == Inet6Address.class);
        return b;
    }

    private ChannelHandler initializer(ProtocolConfig p, SslContext tls) {
        if (p.type() == ProtocolType.HTTP) {
            return new HttpRelayInitializer(context, tls, p);
        }
        if (p.type() != ProtocolType.TCP) {
            log.warn("relay {}: protocol {} of type {} relayed as tcp", relay.name(), p.name(),
                    p.type().name().toLowerCase());
        }
        return new TcpRelayInitializer(context, tls);
    }

    /** HTTP relays carry messages; TCP relays may carry bulk streams and read in larger pieces. */
    private ReceiveRing receiveRing() {
        return protocol.type() == ProtocolType.HTTP ? ReceiveRing.MESSAGES : ReceiveRing.STREAMS;
    }

    public RelayConfig config() {
        return relay;
    }

    public RelayContext context() {
        return context;
    }

    /** The UDP relay of a {@code protocol dns} relay (its waiting queries are its sessions), or null. */
    DnsRelay dns() {
        return dns;
    }

    /** Bounds this server's sessions by {@code l} instead of the engine's limit (tests); before {@link #serve}. */
    void limit(SessionLimit l) {
        this.limit = l;
        if (initializer instanceof HttpRelayInitializer http) {
            http.pool().descriptors(l.idle());
        }
    }

    /** The worker loops this server's sessions run on. */
    public EventLoopGroup workers() {
        return workers;
    }

    /**
     * Starts accepting on {@code fd}, a bound, listening, non-blocking socket; this server owns
     * it from now on. When a listener is already served (a new descriptor for the same socket
     * after a reload), the old channel is closed once the new one accepts, so no connection is
     * refused in between. The future completes when the new channel is registered.
     */
    public ChannelFuture serve(int fd) {
        if (dns != null) {
            ChannelFuture f = dns.serve(fd, workers);
            f.addListener(done -> registered(f, -1));
            return f;
        }
        boolean[] adopted = new boolean[1];
        ServerBootstrap b = new ServerBootstrap()
                .group(workers)
                .channelFactory(() -> {
                    ServerChannel c = transport.adopt(fd);
                    adopted[0] = true;
                    return c;
                })
                .handler(new AcceptFailures(relay.name()))
                .childHandler(guard());
        SocketOptions.listener(b, protocol.tcp(), relay.listen().address());
        SocketOptions.accepted(b, protocol.tcp());
        transport.childOptions(b, receiveRing());
        ChannelFuture f = b.register();
        // Without a channel nobody owns fd yet; a channel that failed to register closed it.
        f.addListener(done -> registered(f, adopted[0] ? -1 : fd));
        return f;
    }

    /** The relay's lingering server sides, each keeping its session's place under the bound ({@link SessionLimit.Guard#hold}). */
    private final class LingeringSides extends DefaultChannelGroup {
        LingeringSides(String name) {
            super(name, GlobalEventExecutor.INSTANCE);
        }

        @Override
        public boolean add(Channel ch) {
            boolean added = super.add(ch);
            if (added) {
                guard().hold(ch);
            }
            return added;
        }
    }

    private synchronized SessionLimit.Guard guard() {
        if (guard == null) {
            guard = limit.guard(relay.name(), initializer);
        }
        return guard;
    }

    /** @param orphanFd the descriptor if no channel took it over, else -1 */
    private void registered(ChannelFuture f, int orphanFd) {
        if (!f.isSuccess()) {
            log.warn("relay {}: cannot serve listening socket: {}", relay.name(), f.cause().getMessage());
            if (orphanFd >= 0) {
                closeQuietly(orphanFd);
            }
            return;
        }
        Channel old;
        synchronized (this) {
            if (stopped) {
                old = f.channel();
            } else {
                old = listener;
                listener = f.channel();
            }
        }
        if (old != null) {
            ChannelFuture closed = old.close();
            if (old != f.channel()) {
                closed.addListener(done -> acceptQueued());
            }
        }
        log.debug("relay {}: accepting on {}", relay.name(),
                SessionInfo.address((InetSocketAddress) f.channel().localAddress()));
    }

    /**
     * Has the listener take afresh what waits in its socket's queue. Call it once another
     * listener of the same socket (an older generation's, or this server's own before a new
     * descriptor came) has closed. On io_uring that listener's close cancelled its armed accept,
     * and the kernel wakes one armed accept per connection (exclusive wake-up): the cancelled
     * one may have been woken for a connection it then never took. That connection stays queued
     * until another arrives and wakes this listener's accept; a client alone waits for ever (the
     * session lost in RelayReloadIT). Reading off and on again cancels this listener's accept
     * and arms a new one, which first accepts what is queued. On epoll every listener is woken,
     * and this only stops and restarts its polling.
     */
    public void acceptQueued() {
        Channel l = listener();
        if (l == null || dns != null) {
            return;
        }
        try {
            l.eventLoop().execute(() -> {
                // Off on purpose (the acceptor pauses after an accept error): it restarts itself.
                if (l.isOpen() && l.config().isAutoRead()) {
                    l.config().setAutoRead(false);
                    l.config().setAutoRead(true);
                }
            });
        } catch (RejectedExecutionException e) {
            // Its loop is shutting down with the engine: nothing is accepted any more.
            log.debug("relay {}: listener's loop gone", relay.name());
        }
    }

    private static void closeQuietly(int fd) {
        try {
            new FileDescriptor(fd).close();
        } catch (IOException e) {
            log.debug("close fd {}: {}", fd, e.getMessage());
        }
    }

    /**
     * Stops accepting. Sessions in flight go on until they end; they keep this server's
     * context (selector, counters). A DNS relay's listener closes once its waiting queries have
     * ended: their answers leave through it. The future completes when the listener is closed;
     * then the listeners that serve its socket on must {@link #acceptQueued}. Null when there
     * was no listener.
     */
    public ChannelFuture stop() {
        return stop("relay reloaded");
    }

    /** {@link #stop()}; {@code why} is what an HTTP session ended between exchanges says it ended for. */
    public ChannelFuture stop(String why) {
        Channel l;
        synchronized (this) {
            stopped = true;
            l = listener;
            listener = null;
            if (guard != null) {
                guard.retire();
            }
        }
        if (initializer instanceof HttpRelayInitializer http) {
            // A new generation has its own pools and rules: this one's sessions end between
            // exchanges and nothing of its hosts is reused.
            http.retire(context.sessions(), why);
        }
        if (dns != null && l != null) {
            // Its queries in flight are its sessions: they end first, then the listener closes.
            dns.retire();
            return l.closeFuture();
        }
        return l != null ? l.close() : null;
    }

    /** Whether sessions of this server are still open: connections, or a DNS relay's waiting queries. */
    public boolean hasSessions() {
        return !context.sessions().isEmpty() || !context.lingering().isEmpty() || dns != null && dns.hasWaiting();
    }

    /** How many client connections of this server are open. */
    public int sessionCount() {
        return context.sessions().size();
    }

    /** Host state changed: idle backend connections of hosts now unusable are closed. */
    public void hostsChanged() {
        if (initializer instanceof HttpRelayInitializer http) {
            http.hostsChanged(context.sessions());
        }
    }

    /**
     * Ends every open session of this relay (engine shutdown): one under way with a reset both
     * ways, as a session whose peer failed, an HTTP one between exchanges with a FIN
     * ({@link HeldSession#stop}), and a server side that outlived its session with a reset.
     */
    public ChannelGroupFuture closeSessions() {
        if (dns != null) {
            dns.stopNow();
        }
        HeldSession.stopAll(context.sessions(), "relay shut down");
        // Server sides still taking what their gone clients sent: cut, so reset, not closed
        // with a FIN by the loops' shutdown; the future waits for them too, as that shutdown
        // closes its channels before it runs the tasks queued.
        ChannelGroup ending = new DefaultChannelGroup("relay " + relay.name() + " ending", GlobalEventExecutor.INSTANCE);
        ending.addAll(context.sessions());
        for (Channel ch : context.lingering()) {
            ending.add(ch);
            ch.eventLoop().execute(() -> RelaySession.abort(ch));
        }
        return ending.newCloseFuture();
    }

    /** The channel currently accepting, or null. */
    public synchronized Channel listener() {
        return listener;
    }
}
