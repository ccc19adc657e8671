package org.hoststated.relay;

import io.netty.bootstrap.AbstractBootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.ChannelOption;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.unix.IntegerUnixChannelOption;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import org.hoststated.core.config.IpProtocol;
import org.hoststated.core.config.ProtocolConfig;
import org.hoststated.core.config.ProtocolType;
import org.hoststated.core.config.TcpOptions;

/**
 * The socket options of a relay protocol's {@code tcp} block, as Netty channel options, for
 * the listening socket, accepted sessions and backend connections. {@code backlog} belongs to
 * {@code listen(2)}, done by the parent; {@code sack} has no per-socket switch on Linux (the
 * sysctl {@code net.ipv4.tcp_sack} decides), so it is ignored with a warning
 * ({@link #unsupported}). Stateless.
 */
public final class SocketOptions {
    /**
     * How much one side of a session may have queued before the relay stops reading from the
     * other side: relayd's prefetch bound. Per session at most about twice the high mark (one
     * per direction) plus one read buffer each.
     */
    public static final WriteBufferWaterMark WATER_MARK = new WriteBufferWaterMark(32 * 1024, 64 * 1024);

    /**
     * The largest read: 256 KiB, where Netty's default stops at 64 KiB. A bulk transfer then
     * costs a quarter of the reads and writes, and the kernel sends fewer, fuller segments and
     * window updates (1 GiB through the relay: about 0.6 to 0.8-0.9 of direct on either
     * transport, DESIGN.md). Such buffers come from {@link LargeBuffers}.
     */
    static final int MAX_READ = 256 * 1024;

    /**
     * Read sizes of relay channels, up to {@link #MAX_READ}; shared (a handle per channel). On
     * io_uring with a {@link ReceiveRing} the kernel sizes each read and this only bounds the
     * reads per turn.
     */
    static final RelayReadSizes READS = new RelayReadSizes(MAX_READ, false);
    /**
     * On io_uring without a ring: the same, with small buffers for the receives that wait for
     * a quiet peer.
     */
    static final RelayReadSizes URING_READS = new RelayReadSizes(MAX_READ, true);

    static final IntegerUnixChannelOption IP_TTL = new IntegerUnixChannelOption("IP_TTL", 0, 2);
    static final IntegerUnixChannelOption IP_MINTTL = new IntegerUnixChannelOption("IP_MINTTL", 0, 21);
    static final IntegerUnixChannelOption IPV6_UNICAST_HOPS =
            new IntegerUnixChannelOption("IPV6_UNICAST_HOPS", 41, 16);
    static final IntegerUnixChannelOption IPV6_MINHOPCOUNT =
            new IntegerUnixChannelOption("IPV6_MINHOPCOUNT", 41, 73);

    private SocketOptions() {
    }

    /**
     * Why options of {@code tcp} cannot be applied on this system to a relay of
     * {@code transport} ({@link org.hoststated.core.config.ProtocolConfig#transport}), or null
     * when all can. Linux checks {@code IP_MINTTL} and {@code IPV6_MINHOPCOUNT} on TCP sockets
     * only: a {@code protocol dns} relay's UDP
     * listener takes a datagram of any time to live (a query with 64 reached a relay set to
     * 255), so that option would protect nothing while the configuration says it does.
     */
    public static String unsupported(TcpOptions tcp, IpProtocol transport) {
        List<String> why = new ArrayList<>();
        if (tcp.sack() != null) {
            why.add("tcp " + (tcp.sack() ? "sack" : "no sack")
                    + " is ignored: Linux has no per-socket switch for it (sysctl net.ipv4.tcp_sack decides)");
        }
        if (transport == IpProtocol.UDP && tcp.ipMinTtl() > 0) {
            why.add("tcp ip minttl is ignored: Linux applies it to TCP only, and protocol dns is UDP");
        }
        return why.isEmpty() ? null : String.join("; ", why);
    }

    /** Options of the adopted listening socket: TTLs, which accepted sockets inherit. */
    public static void listener(ServerBootstrap b, TcpOptions tcp, InetAddress listen) {
        listenerTtl(b, tcp, listen);
    }

    /**
     * TTL options of a listening socket the parent passed, set whether configured or not: the
     * parent keeps one socket across reloads, so an option a reload took away stayed on it,
     * and on every socket it accepted, until a restart (probe N: clients with a TTL under a
     * removed {@code ip minttl} still dropped). Unset, they go back to the system's defaults
     * (-1 for the hop limits, 0 for the minimums). A socket on {@code ::} takes IPv4 clients
     * too (dual-stack): it gets the IPv4 options as well, which IPv4 clients met (probe D: a
     * client with a TTL of 5 came through an {@code ip minttl 60} on {@code ::}).
     */
    public static void listenerTtl(AbstractBootstrap<?, ?> b, TcpOptions tcp, InetAddress listen) {
        boolean v6 = listen instanceof Inet6Address;
        int ttl = tcp.ipTtl() > 0 ? tcp.ipTtl() : -1;
        int minTtl = Math.max(0, tcp.ipMinTtl());
        if (v6) {
            b.option(IPV6_UNICAST_HOPS, ttl);
            b.option(IPV6_MINHOPCOUNT, minTtl);
        }
        if (!v6 || listen.isAnyLocalAddress()) {
            b.option(IP_TTL, ttl);
            b.option(IP_MINTTL, minTtl);
        }
    }

    /**
     * Options of each accepted session (client side); how it reads is the transport's
     * ({@link RelayTransport#childOptions}).
     */
    public static void accepted(ServerBootstrap b, TcpOptions tcp) {
        b.childOption(ChannelOption.AUTO_READ, false);
        b.childOption(ChannelOption.ALLOW_HALF_CLOSURE, true);
        b.childOption(ChannelOption.WRITE_BUFFER_WATER_MARK, WATER_MARK);
        // Netty turns TCP_NODELAY on for every socket it makes: only "no nodelay" costs a call.
        if (Boolean.FALSE.equals(tcp.nodelay())) {
            b.childOption(ChannelOption.TCP_NODELAY, false);
        }
        if (tcp.socketBuffer() > 0) {
            b.childOption(ChannelOption.SO_RCVBUF, tcp.socketBuffer());
            b.childOption(ChannelOption.SO_SNDBUF, tcp.socketBuffer());
        }
    }

    /**
     * Options of a backend connection; how it reads is the transport's
     * ({@link RelayTransport#readOptions}).
     */
    public static void backend(AbstractBootstrap<?, ?> b, ProtocolConfig protocol, int connectTimeoutMs) {
        TcpOptions tcp = protocol.tcp();
        b.option(ChannelOption.ALLOW_HALF_CLOSURE, true);
        if (protocol.type() == ProtocolType.HTTP) {
            // A failed write shuts the output only: what the server answered before it reset
            // the connection (an early 413 to an upload) is still read (HttpBackendHandler).
            b.option(ChannelOption.AUTO_CLOSE, false);
        }
        b.option(ChannelOption.WRITE_BUFFER_WATER_MARK, WATER_MARK);
        b.option(ChannelOption.CONNECT_TIMEOUT_MILLIS, connectTimeoutMs);
        if (Boolean.FALSE.equals(tcp.nodelay())) {
            b.option(ChannelOption.TCP_NODELAY, false);
        }
        if (tcp.socketBuffer() > 0) {
            b.option(ChannelOption.SO_RCVBUF, tcp.socketBuffer());
            b.option(ChannelOption.SO_SNDBUF, tcp.socketBuffer());
        }
    }

    /**
     * {@code ip ttl} of a DNS relay's new socket towards its hosts, dual-stack where the host
     * has IPv6 ({@code DatagramChannels.open}), so both families' option: the queries left
     * with the system's 64, though the manual and relayd set it on both sockets (review CK).
     * {@code ip minttl} is TCP's alone on Linux ({@link #unsupported}).
     */
    public static void upstreamTtl(AbstractBootstrap<?, ?> b, TcpOptions tcp) {
        if (tcp.ipTtl() > 0) {
            b.option(IP_TTL, tcp.ipTtl());
            if (io.netty.channel.unix.Socket.isIPv6Preferred()) {
                b.option(IPV6_UNICAST_HOPS, tcp.ipTtl());
            }
        }
    }

    /** TTL options ({@code ip ttl}, {@code ip minttl}) for IPv4 or IPv6 sockets. */
    public static void ttl(AbstractBootstrap<?, ?> b, TcpOptions tcp, boolean v6) {
        if (tcp.ipTtl() > 0) {
            b.option(v6 ? IPV6_UNICAST_HOPS : IP_TTL, tcp.ipTtl());
        }
        if (tcp.ipMinTtl() > 0) {
            b.option(v6 ? IPV6_MINHOPCOUNT : IP_MINTTL, tcp.ipMinTtl());
        }
    }
}
