package io.netty.channel.uring;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.AcceptedSockets;
import io.netty.util.Version;
import java.io.InputStream;
import java.lang.reflect.Constructor;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * Fails loudly when Netty's io_uring internals no longer have the shape
 * {@link AdoptedIoUringServerSocketChannel} relies on; then update the adapter (or fall back to
 * epoll) before moving the Netty version. The relay tests on io_uring check it works.
 */
class AdoptedIoUringServerSocketChannelTest {
    @Test
    void nettyIsThePinnedVersion() {
        assertEquals("4.2.18.Final", Version.identify().get("netty-transport-classes-io_uring").artifactVersion(),
                "the io_uring adapter was written against Netty 4.2.18.Final");
    }

    @Test
    void internalShapeIsWhatTheAdapterUses() throws Exception {
        Constructor<AbstractIoUringServerChannel> c =
                AbstractIoUringServerChannel.class.getDeclaredConstructor(LinuxSocket.class, boolean.class);
        assertTrue(Modifier.isProtected(c.getModifiers()));
        Method child = AbstractIoUringServerChannel.class.getDeclaredMethod("newChildChannel", int.class, ByteBuffer.class);
        assertTrue(Modifier.isAbstract(child.getModifiers()));
        LinuxSocket.class.getDeclaredConstructor(int.class);
        IoUringServerSocketChannelConfig.class.getDeclaredConstructor(AbstractIoUringServerChannel.class);
        AbstractIoUringStreamChannel.class.getDeclaredConstructor(io.netty.channel.Channel.class, LinuxSocket.class,
                java.net.SocketAddress.class);
        AbstractIoUringStreamChannel.class.getDeclaredConstructor(io.netty.channel.Channel.class, LinuxSocket.class,
                boolean.class);
        IoUringStreamChannelConfig.class.getDeclaredConstructor(AbstractIoUringChannel.class);
        assertTrue(Modifier.isProtected(AbstractIoUringChannel.class.getDeclaredMethod("doClose").getModifiers()));
        SockaddrIn.class.getDeclaredMethod("getIPv4", ByteBuffer.class, byte[].class);
        SockaddrIn.class.getDeclaredMethod("getIPv6", ByteBuffer.class, byte[].class, byte[].class);
        // The adapter overrides every abstract method: it would not have loaded otherwise.
        assertTrue(!Modifier.isAbstract(AdoptedIoUringServerSocketChannel.class.getModifiers()));
        assertTrue(!Modifier.isAbstract(RelayIoUringSocketChannel.class.getModifiers()));
    }

    /**
     * An accepted connection's socket is made without the getsockname of LinuxSocket's
     * constructor: its family is the listener's, as the kernel tells the constructor, on an
     * IPv4 and a dual-stack listener; the connection is served as before.
     */
    @Test
    void anAcceptedSocketIsMadeWithItsListenersFamilyUnasked() throws Exception {
        Assumptions.assumeTrue(IoUring.isAvailable(), "io_uring is not available here");
        assertTrue(AcceptedSockets.unasked(), "accepted sockets are made without a getsockname");
        accepted(LinuxSocket.newSocketStream(false), "127.0.0.1");
        accepted(LinuxSocket.newSocketStream(true), "127.0.0.1");
    }

    private static void accepted(LinuxSocket listening, String connectTo) throws Exception {
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, IoUringIoHandler.newFactory());
        try {
            listening.bind(new InetSocketAddress(InetAddress.getByName(connectTo), 0));
            listening.listen(16);
            int port = listening.localAddress().getPort();
            CompletableFuture<Channel> read = new CompletableFuture<>();
            Channel server = new ServerBootstrap().group(group)
                    .channelFactory(() -> new AdoptedIoUringServerSocketChannel(listening.intValue()))
                    .childHandler(new ChannelInboundHandlerAdapter() {
                        @Override
                        public void channelRead(ChannelHandlerContext ctx, Object msg) {
                            ctx.writeAndFlush(msg);
                            read.complete(ctx.channel());
                        }
                    })
                    .register().sync().channel();
            try (java.net.Socket client = new java.net.Socket(connectTo, port)) {
                client.setSoTimeout(20_000);
                client.getOutputStream().write("ping".getBytes());
                RelayIoUringSocketChannel accepted = assertInstanceOf(RelayIoUringSocketChannel.class, read.get(20, TimeUnit.SECONDS));
                LinuxSocket made = accepted.socket;
                assertNotNull(made);
                assertEquals(listening.isIpv6(), made.isIpv6(), "the listener's family");
                assertEquals(new LinuxSocket(made.intValue()).isIpv6(), made.isIpv6(),
                        "the family, as the kernel tells the constructor");
                assertEquals(client.getLocalSocketAddress(), accepted.remoteAddress());
                assertEquals(port, accepted.localAddress().getPort());
                assertTrue(accepted.config().isTcpNoDelay(), "inherited from the listening socket");
                assertEquals(0, accepted.config().getSoLinger(), "armed by the listening socket");
                InputStream in = client.getInputStream();
                assertEquals("ping", new String(in.readNBytes(4)));
                accepted.close().sync();
                assertEquals(-1, in.read());
            } finally {
                server.close().sync();
            }
        } finally {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
        }
    }
}
