package org.hoststated.relay;

import io.netty.channel.Channel;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.unix.Socket;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;
import org.hoststated.core.config.ForwardTarget;
import org.hoststated.core.config.ListenConfig;
import org.hoststated.core.config.Mode;
import org.hoststated.core.config.ProtocolConfig;
import org.hoststated.core.config.RelayConfig;
import org.hoststated.core.config.RelayTarget;
import org.hoststated.core.config.TableTarget;
import org.hoststated.relay.lb.HostSelector;
import org.hoststated.relay.lb.RelayHosts;
import org.hoststated.relay.lb.RoundRobin;
import org.hoststated.relay.lb.TargetHost;

/**
 * A relay served the way the engine serves it, without the engine: the test makes a bound,
 * listening socket (as the parent would), and a {@link RelayServer} adopts its descriptor.
 */
final class RelayFixture implements AutoCloseable {
    final EventLoopGroup workers;
    final RelayServer server;
    final RelayCounters counters = new RelayCounters();
    final int port;

    private RelayFixture(RelayTransport transport, int workerCount, RelayConfig relay, ProtocolConfig protocol,
            HostSelector selector) throws IOException {
        this(transport, workerCount, relay, protocol, selector, null);
    }

    private RelayFixture(RelayTransport transport, int workerCount, RelayConfig relay, ProtocolConfig protocol,
            HostSelector selector, io.netty.handler.ssl.SslContext tls) throws IOException {
        this(transport, workerCount, relay, protocol, selector, tls, null);
    }

    private RelayFixture(RelayTransport transport, int workerCount, RelayConfig relay, ProtocolConfig protocol,
            HostSelector selector, io.netty.handler.ssl.SslContext tls, SessionLimit limit) throws IOException {
        this(transport, workerCount, relay, protocol, selector, tls, limit,
                listen(relay.listen() != null ? relay.listen().address() : InetAddress.getLoopbackAddress()));
    }

    private RelayFixture(RelayTransport transport, int workerCount, RelayConfig relay, ProtocolConfig protocol,
            HostSelector selector, io.netty.handler.ssl.SslContext tls, SessionLimit limit, Socket listening)
            throws IOException {
        workers = transport.newWorkers(workerCount, "test-relay");
        port = listening.localAddress().getPort();
        HostSelector sel = selector != null ? selector : RelayTargets.selector(relay, null, h -> true);
        server = new RelayServer(relay, protocol, workers, transport, sel, counters, false, tls);
        if (limit != null) {
            server.limit(limit);
        }
        server.serve(listening.intValue()).syncUninterruptibly();
    }

    /** A relay served on {@code listening}, a socket of the test's (one a reload would pass again). */
    static RelayFixture serve(RelayTransport transport, RelayConfig relay, ProtocolConfig protocol, Socket listening)
            throws IOException {
        return new RelayFixture(transport, 1, relay, protocol, null, null, null, listening);
    }

    /** A relay whose sessions are bounded by {@code limit} rather than the engine's. */
    static RelayFixture start(RelayTransport transport, int workers, RelayConfig relay, ProtocolConfig protocol,
            HostSelector selector, SessionLimit limit) throws IOException {
        return new RelayFixture(transport, workers, relay, protocol, selector, null, limit);
    }

    static RelayFixture startTls(RelayTransport transport, RelayConfig relay, io.netty.handler.ssl.SslContext tls)
            throws IOException {
        return new RelayFixture(transport, 1, relay, ProtocolConfig.builtinDefault(1), null, tls);
    }

    /** A TLS relay with its own protocol (socket options) and transport. */
    static RelayFixture startTls(RelayTransport transport, RelayConfig relay, ProtocolConfig protocol,
            io.netty.handler.ssl.SslContext tls) throws IOException {
        return new RelayFixture(transport, 1, relay, protocol, null, tls);
    }

    static RelayFixture start(RelayConfig relay, HostSelector selector) throws IOException {
        return start(RelayTransport.epoll(), 1, relay, ProtocolConfig.builtinDefault(1), selector);
    }

    static RelayFixture start(RelayTransport transport, int workers, RelayConfig relay, ProtocolConfig protocol,
            HostSelector selector) throws IOException {
        return new RelayFixture(transport, workers, relay, protocol, selector);
    }

    /** A bound, listening, non-blocking socket on 127.0.0.1, as the parent passes it. */
    static Socket listen() throws IOException {
        return listen(InetAddress.getLoopbackAddress());
    }

    /** A bound, listening, non-blocking socket on {@code address}, as the parent passes it. */
    static Socket listen(InetAddress address) throws IOException {
        RelayTransport.epoll(); // loads the native library
        Socket s = Socket.newSocketStream();
        s.setReuseAddress(true);
        s.bind(new InetSocketAddress(address, 0));
        s.setSoLinger(0); // armed, as the parent arms it (ExitReset)
        s.listen(128);
        return s;
    }

    static RelayConfig relay(String name, RelayTarget target, int timeoutSec, boolean disabled) {
        return new RelayConfig(1, name, new ListenConfig(InetAddress.getLoopbackAddress(), 0, false), target,
                false, 0, ProtocolConfig.DEFAULT_NAME, timeoutSec, disabled);
    }

    static RelayConfig forward(TestBackend b) {
        return forwardFrom(InetAddress.getLoopbackAddress(), b);
    }

    /** Like {@link #forward(TestBackend)}, the relay configured to listen on {@code listen}. */
    static RelayConfig forwardFrom(InetAddress listen, TestBackend b) {
        return new RelayConfig(1, "fwd", new ListenConfig(listen, 0, false),
                new ForwardTarget(InetAddress.getLoopbackAddress(), "127.0.0.1", b.port(), 0), false, 0,
                ProtocolConfig.DEFAULT_NAME, 600, false);
    }

    static RelayConfig table(Mode mode) {
        return relay("tbl", new TableTarget("hosts", 0, mode, false), 600, false);
    }

    static TargetHost host(int id, InetSocketAddress a, int retry) {
        return new TargetHost(id, "h" + id, a, retry);
    }

    static HostSelector roundRobin(List<TargetHost> hosts) {
        return new HostSelector(new RoundRobin(), false, RelayHosts.allUsable(hosts));
    }

    java.net.Socket connect() throws IOException {
        java.net.Socket s = new java.net.Socket(InetAddress.getLoopbackAddress(), port);
        s.setSoTimeout(20_000); // a hang fails the test instead of blocking the build
        return s;
    }

    java.net.InetSocketAddress address() {
        return new java.net.InetSocketAddress(InetAddress.getLoopbackAddress(), port);
    }

    /** The client channels of open sessions. */
    List<Channel> sessions() {
        return List.copyOf(server.context().sessions());
    }

    @Override
    public void close() {
        server.stop();
        server.closeSessions().awaitUninterruptibly(5, java.util.concurrent.TimeUnit.SECONDS);
        // A short quiet period lets io_uring finish closing the backend channels that close on
        // flush; a loop that ends first closes them in its cleanup, where Netty can no longer
        // deregister them and warns.
        workers.shutdownGracefully(20, 1000, java.util.concurrent.TimeUnit.MILLISECONDS).syncUninterruptibly();
    }
}
