package org.hoststated.relay.http;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFactory;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.unix.Socket;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.hoststated.core.config.Action;
import org.hoststated.core.config.Direction;
import org.hoststated.core.config.ForwardTarget;
import org.hoststated.core.config.ListenConfig;
import org.hoststated.core.config.Mode;
import org.hoststated.core.config.NodeType;
import org.hoststated.core.config.ProtocolConfig;
import org.hoststated.core.config.ProtocolNode;
import org.hoststated.core.config.ProtocolType;
import org.hoststated.core.config.RelayConfig;
import org.hoststated.core.config.RelayTarget;
import org.hoststated.core.config.SslOptions;
import org.hoststated.core.config.TableTarget;
import org.hoststated.core.config.TcpOptions;
import org.hoststated.relay.ReceiveRing;
import org.hoststated.relay.RelayCounters;
import org.hoststated.relay.RelayTransport;
import org.hoststated.relay.SessionLimit;
import org.hoststated.relay.SocketOptions;
import org.hoststated.relay.handler.RelayContext;
import org.hoststated.relay.lb.Hash;
import org.hoststated.core.hash.Hash32;
import org.hoststated.relay.lb.HostSelector;
import org.hoststated.relay.lb.LoadBalance;
import org.hoststated.relay.lb.RelayHosts;
import org.hoststated.relay.lb.RoundRobin;
import org.hoststated.relay.lb.TargetHost;
import org.junit.jupiter.api.Assertions;

/**
 * An HTTP relay served as the relay engine serves one (a listening socket adopted by fd, the
 * relay's pipeline on a worker loop), on 127.23.0.1 or another address, with limits a test may shrink. Built with
 * {@link #builder()}.
 */
final class HttpRelayFixture implements AutoCloseable {
    static final String RELAY_ADDRESS = "127.23.0.1";

    final EventLoopGroup workers;
    final RelayCounters counters = new RelayCounters();
    final RelayContext context;
    final Channel listener;
    final InetSocketAddress address;
    final HttpRelayInitializer initializer;
    private final org.hoststated.relay.IdleDescriptors sessionLimitIdle;

    static Builder builder() {
        return new Builder();
    }

    static final class Builder {
        private final List<ProtocolNode> nodes = new ArrayList<>();
        private final List<InetSocketAddress> backends = new ArrayList<>();
        private Mode mode;
        private boolean returnError;
        private String style;
        private String listenAddress = RELAY_ADDRESS;
        private HttpLimits limits = HttpLimits.DEFAULTS;
        private BackendPool.Limits pool = BackendPool.Limits.DEFAULTS;
        /** The engine's session bound, as RelayServer puts it in front of every relay. */
        private SessionLimit sessionLimit = new SessionLimit(Integer.MAX_VALUE);
        private int timeoutSec = 600;
        private int retry;
        /** {@code tcp { socket buffer }}, or 0 for the kernel's default. */
        private int socketBuffer;
        private RelayTransport transport = RelayTransport.epoll();
        private boolean down;
        private boolean natLookup;
        private io.netty.handler.ssl.SslContext tls;
        /** Runs once the socket listens and before the relay takes it (clients queued meanwhile). */
        private java.util.function.Consumer<InetSocketAddress> beforeServing = a -> { };
        /** Makes the backend channels; null for the transport's own. */
        private ChannelFactory<? extends Channel> backendChannels;

        /** Backend connections use channels from {@code f} (one that fails, say). */
        Builder backendChannels(ChannelFactory<? extends Channel> f) {
            backendChannels = f;
            return this;
        }

        /**
         * Runs {@code queue} with the listening address before the relay serves the socket, as
         * clients queue in the listener the parent keeps while the relay engine restarts.
         */
        Builder beforeServing(java.util.function.Consumer<InetSocketAddress> queue) {
            beforeServing = queue;
            return this;
        }

        /** {@code listen ... ssl} with this server context. */
        Builder tls(io.netty.handler.ssl.SslContext context) {
            tls = context;
            return this;
        }

        Builder backend(InetSocketAddress a) {
            backends.add(a);
            return this;
        }

        /** Hosts of a table instead of one {@code forward to}. */
        Builder table(Mode m) {
            mode = m;
            return this;
        }

        /** {@code nat lookup}, with the backends (if any) as the target of other clients. */
        Builder natLookup() {
            natLookup = true;
            return this;
        }

        /** Every table host is down. */
        Builder down() {
            down = true;
            return this;
        }

        Builder node(Direction dir, NodeType type, Action action, String key, String value) {
            return node(new ProtocolNode(dir, type, action, key, value, false, false, action == Action.LOG));
        }

        Builder node(ProtocolNode n) {
            nodes.add(n);
            return this;
        }

        /** Listens on {@code address} (::1, say) instead of {@link #RELAY_ADDRESS}. */
        Builder listenOn(String address) {
            listenAddress = address;
            return this;
        }

        Builder returnError(String css) {
            returnError = true;
            style = css;
            return this;
        }

        Builder limits(HttpLimits l) {
            limits = l;
            return this;
        }

        /** Bounds of the idle backend connection pool ({@link BackendPool.Limits#NONE}: no reuse). */
        Builder pool(BackendPool.Limits l) {
            pool = l;
            return this;
        }

        Builder sessionLimit(int max) {
            sessionLimit = new SessionLimit(max);
            return this;
        }

        /** At most {@code max} sessions, sharing {@code descriptors} with the idle backend connections. */
        Builder sessionLimit(int max, long descriptors) {
            sessionLimit = new SessionLimit(max, descriptors);
            return this;
        }

        Builder socketBuffer(int bytes) {
            socketBuffer = bytes;
            return this;
        }

        Builder timeout(int sec) {
            timeoutSec = sec;
            return this;
        }

        /** The {@code retry} of every host (of {@code forward to}, without a table). */
        Builder retry(int n) {
            retry = n;
            return this;
        }

        Builder transport(RelayTransport t) {
            transport = t;
            return this;
        }

        HttpRelayFixture start() throws IOException {
            return new HttpRelayFixture(this);
        }
    }

    private HttpRelayFixture(Builder b) throws IOException {
        ProtocolConfig protocol = new ProtocolConfig(2, "web", ProtocolType.HTTP,
                new TcpOptions(TcpOptions.DEFAULT_BACKLOG, null, null, b.socketBuffer, 0, 0),
                SslOptions.defaults(), b.nodes, b.returnError, b.style);
        InetAddress listen = InetAddress.getByName(b.listenAddress);
        RelayTarget target;
        HostSelector selector;
        List<TargetHost> hosts = new ArrayList<>();
        for (int i = 0; i < b.backends.size(); i++) {
            hosts.add(new TargetHost(i + 1, "h" + (i + 1), b.backends.get(i), b.retry));
        }
        if (b.backends.isEmpty()) {
            target = null;
            selector = new HostSelector(new RoundRobin(), false, RelayHosts.allUsable(List.of()));
        } else if (b.mode == null) {
            InetSocketAddress a = b.backends.get(0);
            target = new ForwardTarget(a.getAddress(), a.getAddress().getHostAddress(), a.getPort(), b.retry);
            selector = HostSelector.fixed(hosts.get(0));
        } else {
            target = new TableTarget("web", 0, b.mode, false);
            int key = Hash32.relayKey("www", "web");
            selector = new HostSelector(switch (b.mode) {
                case ROUNDROBIN -> new RoundRobin();
                case LOADBALANCE -> new LoadBalance();
                case HASH -> new Hash();
            }, false, key, RelayHosts.of(hosts, h -> !b.down));
        }
        RelayConfig relay = new RelayConfig(1, "www", new ListenConfig(listen, 0, false), target, b.natLookup, 0, "web",
                b.timeoutSec, false);
        workers = b.transport.newWorkers(1, "test-http");
        ChannelFactory<? extends Channel> channels = b.backendChannels != null ? b.backendChannels
                : b.transport.socketChannels();
        context = new RelayContext(relay, selector, counters, backend(b.transport, channels, protocol),
                backend(b.transport, channels, protocol), new DefaultChannelGroup("www", GlobalEventExecutor.INSTANCE),
                true);
        Socket s = Socket.newSocketStream();
        s.setReuseAddress(true);
        s.bind(new InetSocketAddress(listen, 0));
        s.listen(128);
        address = (InetSocketAddress) s.localAddress();
        b.beforeServing.accept(address);
        int fd = s.intValue();
        initializer = new HttpRelayInitializer(context, b.tls, protocol, b.limits, b.pool);
        sessionLimitIdle = b.sessionLimit.idle();
        initializer.pool().descriptors(sessionLimitIdle);
        ServerBootstrap sb = new ServerBootstrap().group(workers).channelFactory(() -> b.transport.adopt(fd))
                .childHandler(b.sessionLimit.guard("www", initializer));
        SocketOptions.accepted(sb, protocol.tcp());
        b.transport.childOptions(sb, ReceiveRing.MESSAGES);
        listener = sb.register().syncUninterruptibly().channel();
    }

    private static Bootstrap backend(RelayTransport t, ChannelFactory<? extends Channel> channels, ProtocolConfig p) {
        Bootstrap b = new Bootstrap().channelFactory(channels).disableResolver();
        SocketOptions.backend(b, p, 5000);
        t.readOptions(b, ReceiveRing.MESSAGES);
        return b;
    }

    RawClient client() throws IOException {
        return new RawClient(address);
    }

    /**
     * The request as an {@link EchoScript} backend received it, for {@code request} sent on a
     * new connection; the answer must be a 200.
     */
    String forwarded(String request) throws IOException {
        try (RawClient c = client()) {
            c.send(request);
            RawClient.Response res = c.read();
            Assertions.assertEquals(200, res.status(), res.head());
            return res.text();
        }
    }

    /** Open sessions right now. */
    long active() {
        return counters.active();
    }

    /** Idle backend connections the session bound counts now (all relays using its limit). */
    int heldDescriptors() {
        return sessionLimitIdle.held();
    }

    /** Idle backend connections parked now (read on the worker loop). */
    int idleBackends() {
        return workers.next().submit(() -> initializer.pool().idleCount()).syncUninterruptibly().getNow();
    }

    /** Stops the relay's sessions as a reload that replaces the relay does. */
    void retire() {
        initializer.retire(context.sessions());
    }

    /** Ends the relay's sessions as the engine's shutdown does ({@link org.hoststated.relay.RelayServer#closeSessions}). */
    void stopSessions() {
        org.hoststated.relay.handler.HeldSession.stopAll(context.sessions(), "relay shut down");
        context.sessions().newCloseFuture().awaitUninterruptibly(5, TimeUnit.SECONDS);
    }

    /** Marks the table hosts usable or not by {@code up}, as the engine does when host state changes. */
    void hostsUp(java.util.function.Predicate<TargetHost> up) {
        hostStates(up, up.negate());
    }

    /**
     * Which hosts may get sessions and which their checks found down; a host that is neither
     * is disabled by the operator.
     */
    void hostStates(java.util.function.Predicate<TargetHost> usable, java.util.function.Predicate<TargetHost> failed) {
        context.selector().update(context.selector().hosts().with(usable, failed));
        // As the relay engine does (RelayServer.hostsChanged).
        initializer.hostsChanged(context.sessions());
    }

    @Override
    public void close() {
        initializer.pool().close("relay stopped");
        listener.close().syncUninterruptibly();
        context.sessions().close().awaitUninterruptibly(5, TimeUnit.SECONDS);
        workers.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }
}
