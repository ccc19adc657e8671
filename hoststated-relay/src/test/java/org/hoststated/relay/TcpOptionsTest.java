package org.hoststated.relay;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;
import io.netty.channel.RecvByteBufAllocator;
import io.netty.channel.uring.IoUringChannelOption;
import java.net.Socket;
import java.util.List;
import org.hoststated.core.config.IpProtocol;
import org.hoststated.core.config.ProtocolConfig;
import org.hoststated.core.config.ProtocolType;
import org.hoststated.core.config.SslOptions;
import org.hoststated.core.config.TcpOptions;
import org.hoststated.relay.handler.RelayFrontendHandler;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** A protocol's {@code tcp} options reach both sockets of a session, on each transport. */
class TcpOptionsTest {
    static ProtocolConfig protocol(TcpOptions tcp) {
        return new ProtocolConfig(2, "opts", ProtocolType.TCP, tcp, SslOptions.defaults(), List.of(), false, null);
    }

    static RelayTransport transport(String name) {
        RelayTransport t = name.equals("epoll") ? RelayTransport.epoll() : RelayTransport.ioUring();
        org.junit.jupiter.api.Assumptions.assumeTrue(t != null, name + " not available");
        return t;
    }

    @ParameterizedTest
    @ValueSource(strings = {"epoll", "io_uring"})
    void nodelayBuffersAndTtlsAreSetOnClientAndServerSockets(String transport) throws Exception {
        TcpOptions tcp = new TcpOptions(100, true, null, 128 * 1024, 33, 2);
        try (TestBackend b = TestBackend.identEcho("a");
                RelayFixture r = RelayFixture.start(transport(transport), 1, RelayFixture.forward(b), protocol(tcp), null);
                Socket c = r.connect()) {
            assertEquals("a", TcpRelayTest.readLine(c.getInputStream()));
            Channel client = TcpRelayTest.awaitSession(r);
            Channel server = TcpRelayTest.onLoop(client, () -> client.pipeline().get(RelayFrontendHandler.class).server());
            for (Channel ch : List.of(client, server)) {
                assertEquals(true, ch.config().getOption(ChannelOption.TCP_NODELAY), ch + " nodelay");
                // The kernel doubles the value it is given (socket(7)).
                assertTrue(ch.config().getOption(ChannelOption.SO_RCVBUF) >= 128 * 1024, ch + " rcvbuf");
                assertTrue(ch.config().getOption(ChannelOption.SO_SNDBUF) >= 128 * 1024, ch + " sndbuf");
                assertEquals(33, ch.config().getOption(SocketOptions.IP_TTL), ch + " ttl");
                assertEquals(2, ch.config().getOption(SocketOptions.IP_MINTTL), ch + " minttl");
            }
        }
    }

    /**
     * A listening socket that the parent passes again after a reload that took the TTL options
     * away: they go back to the system's defaults, on it and on what it accepts. They stayed
     * until a restart, and clients under a removed {@code ip minttl} were still dropped
     * (probe N).
     */
    @ParameterizedTest
    @ValueSource(strings = {"epoll", "io_uring"})
    void ttlsAReloadTookAwayLeaveTheListeningSocket(String transport) throws Exception {
        RelayTransport t = transport(transport);
        io.netty.channel.unix.Socket listening = RelayFixture.listen();
        listening.setIntOpt(0, 2, 20); // IP_TTL, as the generation before set it
        listening.setIntOpt(0, 21, 40); // IP_MINTTL
        try (TestBackend b = TestBackend.identEcho("a");
                RelayFixture r = RelayFixture.serve(t, RelayFixture.forward(b), protocol(TcpOptions.defaults()), listening);
                Socket c = r.connect()) {
            assertEquals("a", TcpRelayTest.readLine(c.getInputStream()));
            Channel client = TcpRelayTest.awaitSession(r);
            assertEquals(0, client.config().getOption(SocketOptions.IP_MINTTL), "minttl");
            int systemTtl = Integer.parseInt(java.nio.file.Files.readAllLines(
                    java.nio.file.Path.of("/proc/sys/net/ipv4/ip_default_ttl")).get(0).trim());
            assertEquals(systemTtl, client.config().getOption(SocketOptions.IP_TTL), "ttl (the system's default)");
        }
    }

    /**
     * A relay on {@code ::} takes IPv4 clients too: their sessions get the IPv4 TTL options.
     * They got the IPv6 ones only, and a client with a TTL of 5 came through {@code ip minttl
     * 60} (probe D).
     */
    @ParameterizedTest
    @ValueSource(strings = {"epoll", "io_uring"})
    void anIpv4ClientOfAWildcardIpv6ListenerGetsTheTtls(String transport) throws Exception {
        java.net.InetAddress any6 = java.net.InetAddress.getByName("::");
        io.netty.channel.unix.Socket listening = RelayFixture.listen(any6);
        try (TestBackend b = TestBackend.identEcho("a");
                RelayFixture r = RelayFixture.serve(transport(transport), RelayFixture.forwardFrom(any6, b),
                        protocol(new TcpOptions(100, true, null, 0, 33, 2)), listening);
                Socket c = r.connect()) {
            assertEquals("a", TcpRelayTest.readLine(c.getInputStream()));
            Channel client = TcpRelayTest.awaitSession(r);
            assertEquals(33, client.config().getOption(SocketOptions.IP_TTL), "ttl");
            assertEquals(2, client.config().getOption(SocketOptions.IP_MINTTL), "minttl");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"epoll", "io_uring"})
    void bothSocketsOfASessionUseTheRelaysReadSizes(String transport) throws Exception {
        try (TestBackend b = TestBackend.identEcho("a");
                RelayFixture r = RelayFixture.start(transport(transport), 1, RelayFixture.forward(b),
                        protocol(TcpOptions.defaults()), null);
                Socket c = r.connect()) {
            assertEquals("a", TcpRelayTest.readLine(c.getInputStream()));
            Channel client = TcpRelayTest.awaitSession(r);
            Channel server = TcpRelayTest.onLoop(client, () -> client.pipeline().get(RelayFrontendHandler.class).server());
            for (Channel ch : List.of(client, server)) {
                RecvByteBufAllocator reads = ch.config().getRecvByteBufAllocator();
                assertTrue(reads instanceof RelayReadSizes, ch + " read allocator " + reads);
                assertEquals(16, ((RelayReadSizes) reads).maxMessagesPerRead(), ch + " reads per turn");
                if (transport.equals("io_uring") && ReceiveRing.supported()) {
                    assertEquals(ReceiveRing.STREAMS.group, ch.config().getOption(IoUringChannelOption.IO_URING_BUFFER_GROUP_ID),
                            ch + " receives into the loop's ring for streams");
                }
            }
        }
    }

    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void sackIsNamedAsUnsupported(boolean sack) {
        String why = SocketOptions.unsupported(new TcpOptions(10, null, sack, 0, 0, 0), IpProtocol.TCP);
        assertNotNull(why);
        assertTrue(why.contains("net.ipv4.tcp_sack"), why);
        assertNull(SocketOptions.unsupported(TcpOptions.defaults(), IpProtocol.TCP));
    }

    /** Linux checks the least time to live on TCP sockets only; a DNS relay's listener is UDP. */
    @Test
    void minttlIsNamedAsUnsupportedForDnsOnly() {
        TcpOptions minTtl = new TcpOptions(10, null, null, 0, 0, 255);
        String why = SocketOptions.unsupported(minTtl, IpProtocol.UDP);
        assertNotNull(why);
        assertTrue(why.contains("ip minttl is ignored"), why);
        assertNull(SocketOptions.unsupported(minTtl, IpProtocol.TCP));
        assertNull(SocketOptions.unsupported(new TcpOptions(10, null, null, 0, 7, 0), IpProtocol.UDP));
    }
}
