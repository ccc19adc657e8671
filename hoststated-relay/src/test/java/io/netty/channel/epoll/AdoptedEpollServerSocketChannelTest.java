package io.netty.channel.epoll;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.channel.unix.Socket;
import io.netty.util.Version;
import java.io.InputStream;
import java.lang.reflect.Constructor;
import java.lang.reflect.Modifier;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.hoststated.core.proc.EpollLoops;
import org.junit.jupiter.api.Test;

/**
 * Fails loudly when Netty's epoll internals no longer have the shape
 * {@link AdoptedEpollServerSocketChannel} and {@link AcceptedEpollSocketChannel} rely on, and
 * checks that an accepted connection is what Netty's own channel would be: addresses, inherited
 * TCP_NODELAY, options, half-close. The HTTP relay tests run on these channels too.
 */
class AdoptedEpollServerSocketChannelTest {
    @Test
    void nettyIsThePinnedVersion() {
        assertEquals("4.2.18.Final", Version.identify().get("netty-transport-classes-epoll").artifactVersion(),
                "the epoll adapter was written against Netty 4.2.18.Final");
    }

    @Test
    void internalShapeIsWhatTheAdapterUses() throws Exception {
        Constructor<AbstractEpollServerChannel> server =
                AbstractEpollServerChannel.class.getDeclaredConstructor(LinuxSocket.class, boolean.class);
        assertTrue(Modifier.isProtected(server.getModifiers()));
        Constructor<AbstractEpollStreamChannel> stream =
                AbstractEpollStreamChannel.class.getDeclaredConstructor(LinuxSocket.class, boolean.class);
        assertTrue(Modifier.isProtected(stream.getModifiers()));
        LinuxSocket.class.getDeclaredConstructor(int.class);
        assertTrue(AcceptedSockets.unasked(), "accepted sockets are made without a getsockname");
        EpollServerChannelConfig.class.getDeclaredConstructor(AbstractEpollChannel.class);
        assertFalse(Modifier.isAbstract(AdoptedEpollServerSocketChannel.class.getModifiers()));
        assertFalse(Modifier.isAbstract(AcceptedEpollSocketChannel.class.getModifiers()));
    }

    @Test
    void aConnectionAcceptedOnASpecificAddressIsLikeNettysOwn() throws Exception {
        accepted(InetAddress.getByName("127.0.0.1"));
    }

    @Test
    void aConnectionAcceptedOnAWildcardAddressAsksTheKernelForItsLocalAddress() throws Exception {
        accepted(InetAddress.getByName("::"));
    }

    /**
     * A late joiner's first read is made while the loop applies interest changes, with no
     * batch of events in hand: what it leaves for after the events in hand runs right after,
     * before the tasks (which made the loop poll once more without waiting first); a read from
     * a batch leaves it as a task, after those the batch queued before.
     */
    @Test
    void whatTheFirstReadLeavesForAfterTheEventsInHandRunsBeforeTheTasks() throws Exception {
        Epoll.ensureAvailability();
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, EpollLoops.newFactory());
        Socket listening = Socket.newSocketStream();
        try {
            listening.bind(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0));
            listening.listen(16);
            int port = ((InetSocketAddress) listening.localAddress()).getPort();
            List<String> order = new CopyOnWriteArrayList<>();
            CompletableFuture<Void> done = new CompletableFuture<>();
            try (java.net.Socket client = new java.net.Socket("127.0.0.1", port)) {
                // There before the relay accepts it: read at once, before the connection joins.
                client.getOutputStream().write('1');
                Channel server = new ServerBootstrap().group(group)
                        .channelFactory(() -> new AdoptedEpollServerSocketChannel(listening.intValue()))
                        .childOption(ChannelOption.AUTO_READ, false)
                        .childHandler(new ChannelInboundHandlerAdapter() {
                            @Override
                            public void channelActive(ChannelHandlerContext ctx) {
                                ctx.read();
                            }

                            @Override
                            public void channelRead(ChannelHandlerContext ctx, Object msg) {
                                io.netty.buffer.ByteBuf b = (io.netty.buffer.ByteBuf) msg;
                                char n = (char) b.getByte(b.readerIndex());
                                b.release();
                                ctx.executor().execute(() -> order.add(n + ": task"));
                                EpollLoops.afterEventsInHand(ctx.channel().eventLoop(), () -> order.add(n + ": after"));
                                if (n == '2') {
                                    ctx.executor().execute(() -> done.complete(null));
                                }
                                ctx.writeAndFlush(ctx.alloc().buffer(1).writeByte(n));
                                ctx.read();
                            }
                        })
                        .register().sync().channel();
                try {
                    client.setSoTimeout(20_000);
                    assertEquals('1', client.getInputStream().read());
                    client.getOutputStream().write('2');
                    assertEquals('2', client.getInputStream().read());
                    done.get(20, TimeUnit.SECONDS);
                    assertEquals(List.of("1: after", "1: task", "2: task", "2: after"), order);
                } finally {
                    server.close().sync();
                }
            }
        } finally {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
        }
    }

    /**
     * Netty's server channels accept one connection each time the listener is ready; the
     * adopted one takes what waits, up to {@link AdoptedEpollServerSocketChannel#ACCEPTS_PER_WAKE}.
     */
    @Test
    void connectionsWaitingTogetherAreAcceptedTogether() throws Exception {
        Epoll.ensureAvailability();
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, EpollLoops.newFactory());
        Socket listening = Socket.newSocketStream();
        java.net.Socket[] clients = new java.net.Socket[AdoptedEpollServerSocketChannel.ACCEPTS_PER_WAKE + 4];
        try {
            listening.bind(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0));
            listening.listen(64);
            int port = ((InetSocketAddress) listening.localAddress()).getPort();
            List<Integer> bursts = new CopyOnWriteArrayList<>();
            CompletableFuture<Void> all = new CompletableFuture<>();
            int[] accepted = new int[2];
            Channel server = new ServerBootstrap().group(group)
                    .channelFactory(() -> new AdoptedEpollServerSocketChannel(listening.intValue()))
                    .handler(new ChannelInboundHandlerAdapter() {
                        @Override
                        public void channelRead(ChannelHandlerContext ctx, Object msg) {
                            accepted[0]++;
                            ctx.fireChannelRead(msg);
                        }

                        @Override
                        public void channelReadComplete(ChannelHandlerContext ctx) {
                            bursts.add(accepted[0] - accepted[1]);
                            accepted[1] = accepted[0];
                            if (accepted[0] == clients.length) {
                                all.complete(null);
                            }
                        }
                    })
                    .childHandler(new io.netty.channel.ChannelInitializer<Channel>() {
                        @Override
                        protected void initChannel(Channel ch) {
                        }
                    })
                    .register().sync().channel();
            try {
                // They arrive while the loop is busy, so it finds them all waiting.
                CompletableFuture<Void> busy = new CompletableFuture<>();
                server.eventLoop().execute(() -> {
                    busy.complete(null);
                    try {
                        Thread.sleep(500);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                });
                busy.get(20, TimeUnit.SECONDS);
                for (int i = 0; i < clients.length; i++) {
                    clients[i] = new java.net.Socket("127.0.0.1", port);
                }
                all.get(20, TimeUnit.SECONDS);
                assertEquals(List.of(AdoptedEpollServerSocketChannel.ACCEPTS_PER_WAKE, 4), bursts);
            } finally {
                server.close().sync();
            }
        } finally {
            for (java.net.Socket c : clients) {
                if (c != null) {
                    c.close();
                }
            }
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
        }
    }

    private static void accepted(InetAddress bind) throws Exception {
        Epoll.ensureAvailability();
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, EpollLoops.newFactory());
        Socket listening = Socket.newSocketStream();
        try {
            listening.bind(new InetSocketAddress(bind, 0));
            listening.listen(16);
            int port = ((InetSocketAddress) listening.localAddress()).getPort();
            CompletableFuture<Channel> halfClosed = new CompletableFuture<>();
            Channel server = new ServerBootstrap().group(group)
                    .channelFactory(() -> new AdoptedEpollServerSocketChannel(listening.intValue()))
                    .childOption(ChannelOption.AUTO_READ, false)
                    .childOption(ChannelOption.ALLOW_HALF_CLOSURE, true)
                    .childOption(ChannelOption.SO_RCVBUF, 64 * 1024)
                    .childHandler(new ChannelInboundHandlerAdapter() {
                        @Override
                        public void channelActive(ChannelHandlerContext ctx) {
                            ctx.read();
                        }

                        @Override
                        public void channelRead(ChannelHandlerContext ctx, Object msg) {
                            ctx.writeAndFlush(msg);
                            ctx.read();
                        }

                        @Override
                        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
                            if (evt == ChannelInputShutdownEvent.INSTANCE) {
                                halfClosed.complete(ctx.channel());
                            }
                        }
                    })
                    .register().sync().channel();
            try (java.net.Socket client = new java.net.Socket("127.0.0.1", port)) {
                client.setSoTimeout(20_000);
                client.getOutputStream().write("ping".getBytes());
                client.shutdownOutput();
                Channel ch = halfClosed.get(20, TimeUnit.SECONDS);
                AcceptedEpollSocketChannel accepted = assertInstanceOf(AcceptedEpollSocketChannel.class, ch);
                assertSame(server, accepted.parent());
                assertEquals(client.getLocalSocketAddress(), accepted.remoteAddress());
                assertEquals(port, accepted.localAddress().getPort());
                assertEquals(client.getInetAddress(), accepted.localAddress().getAddress());
                assertTrue(accepted.config().isTcpNoDelay(), "inherited from the listening socket");
                assertEquals(0, accepted.config().getSoLinger(), "armed by the listening socket");
                assertTrue(accepted.config().isAllowHalfClosure());
                assertTrue(accepted.config().getReceiveBufferSize() >= 64 * 1024);
                accepted.config().setOption(ChannelOption.TCP_NODELAY, false);
                assertFalse(accepted.config().getOption(ChannelOption.TCP_NODELAY));
                assertTrue(accepted.isActive());
                // Made without the constructor: what the constructor would have found.
                LinuxSocket made = accepted.socket;
                assertEquals(AcceptedSockets.ipv6(new LinuxSocket(made.intValue())), AcceptedSockets.ipv6(made),
                        "the family, as the kernel tells the constructor");
                assertEquals(AcceptedSockets.ipv6(listening), AcceptedSockets.ipv6(made));
                assertTrue(made.isOpen());
                assertFalse(AcceptedSockets.ipv6(AcceptedSockets.of(made.intValue(), false)));
                assertTrue(AcceptedSockets.ipv6(AcceptedSockets.of(made.intValue(), true)));
                assertEquals(made.intValue(), AcceptedSockets.of(made.intValue(), false).intValue());
                // The echo arrived and the half-closed connection still closes cleanly.
                InputStream in = client.getInputStream();
                byte[] echo = in.readNBytes(4);
                assertEquals("ping", new String(echo));
                accepted.shutdownOutput().sync();
                assertEquals(-1, in.read());
            } finally {
                server.close().sync();
            }
        } finally {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
        }
    }
}
