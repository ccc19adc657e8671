package org.hoststated.relay;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.ssl.SslCloseCompletionEvent;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslProvider;
import io.netty.handler.ssl.util.InsecureTrustManagerFactory;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

/**
 * A TLS client that can send close_notify without a FIN (the JDK's {@code SSLSocket} sends
 * both), on a loop of its own; for tests of clients that then wait for the server's close.
 */
public final class TlsCloseNotifyClient implements AutoCloseable {
    private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    private final StringBuffer received = new StringBuffer();
    private final Channel ch;
    private final SslHandler tls;
    private final Cork cork = new Cork();
    private volatile boolean closeNotifyReceived;
    private volatile Throwable failure;

    public TlsCloseNotifyClient(InetSocketAddress to, String protocol) throws Exception {
        this(to, protocol, false);
    }

    /**
     * @param holdFinished keep the client's last handshake record (its Finished, TLS 1.3 only)
     *     until {@link #sendWithCloseNotify}, which sends it in the same write
     */
    public TlsCloseNotifyClient(InetSocketAddress to, String protocol, boolean holdFinished) throws Exception {
        cork.corkAtFirstRead = holdFinished;
        SslContext ctx = SslContextBuilder.forClient().sslProvider(SslProvider.JDK).protocols(protocol)
                .trustManager(InsecureTrustManagerFactory.INSTANCE).build();
        try {
            ch = new Bootstrap().group(group).channel(NioSocketChannel.class)
                    .handler(new ChannelInitializer<Channel>() {
                        @Override
                        protected void initChannel(Channel c) {
                            c.pipeline().addLast(cork, ctx.newHandler(c.alloc()), new ChannelInboundHandlerAdapter() {
                                @Override
                                public void channelRead(ChannelHandlerContext x, Object m) {
                                    ByteBuf buf = (ByteBuf) m;
                                    received.append(buf.toString(StandardCharsets.ISO_8859_1));
                                    buf.release();
                                }

                                @Override
                                public void userEventTriggered(ChannelHandlerContext x, Object evt) {
                                    if (evt instanceof SslCloseCompletionEvent e && e.isSuccess()) {
                                        closeNotifyReceived = true;
                                    }
                                }

                                @Override
                                public void exceptionCaught(ChannelHandlerContext x, Throwable cause) {
                                    failure = cause;
                                    x.close();
                                }
                            });
                        }
                    }).connect(to).sync().channel();
            tls = ch.pipeline().get(SslHandler.class);
            tls.handshakeFuture().sync();
        } catch (Exception e) {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
            throw e;
        }
    }

    public void send(String text) throws InterruptedException {
        ch.writeAndFlush(Unpooled.copiedBuffer(text, StandardCharsets.ISO_8859_1)).sync();
    }

    /** Waits up to 10 s until what was received holds {@code n} times {@code part}; returns all of it. */
    public String awaitCount(String part, int n) throws InterruptedException {
        return await(r -> r.split(java.util.regex.Pattern.quote(part), -1).length - 1 >= n);
    }

    /** Waits up to 10 s until what was received ends with {@code suffix}; returns all of it. */
    public String awaitEndingWith(String suffix) throws InterruptedException {
        return await(r -> r.endsWith(suffix));
    }

    private String await(java.util.function.Predicate<String> done) throws InterruptedException {
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (!done.test(received.toString()) && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        return received.toString();
    }

    /**
     * Sends {@code text} and close_notify behind it in one write of the socket, as a client
     * that half-closes right after its request may; the TCP connection stays open both ways.
     */
    public void sendWithCloseNotify(String text) throws Exception {
        inOneWrite(() -> {
            ch.writeAndFlush(Unpooled.copiedBuffer(text, StandardCharsets.ISO_8859_1));
            tls.closeOutbound();
        });
    }

    /** Sends each of {@code texts} as a record of its own, all in one write of the socket. */
    public void sendInOneWrite(String... texts) throws Exception {
        inOneWrite(() -> {
            for (String t : texts) {
                ch.writeAndFlush(Unpooled.copiedBuffer(t, StandardCharsets.ISO_8859_1));
            }
        });
    }

    /** Runs {@code writes} on the loop with the records they make kept, then writes those at once. */
    private void inOneWrite(Runnable writes) throws Exception {
        ch.eventLoop().submit(() -> {
            cork.corked = true;
            writes.run();
            cork.corked = false;
            cork.release(ch.pipeline().context(cork));
        }).get(10, TimeUnit.SECONDS);
    }

    /**
     * Keeps the records written while corked, then writes them in one write of the socket;
     * corked from the server's first bytes on when asked to (what the client writes then is
     * its last handshake flight).
     */
    private static final class Cork extends io.netty.channel.ChannelDuplexHandler {
        boolean corked;
        boolean corkAtFirstRead;

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (corkAtFirstRead) {
                corkAtFirstRead = false;
                corked = true;
            }
            ctx.fireChannelRead(msg);
        }

        private final java.util.List<ByteBuf> records = new java.util.ArrayList<>();
        private final java.util.List<ChannelPromise> promises = new java.util.ArrayList<>();

        @Override
        public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
            if (!corked) {
                ctx.write(msg, promise);
                return;
            }
            records.add((ByteBuf) msg);
            promises.add(promise);
        }

        @Override
        public void flush(ChannelHandlerContext ctx) {
            if (!corked) {
                ctx.flush();
            }
        }

        void release(ChannelHandlerContext ctx) {
            ByteBuf all = Unpooled.wrappedBuffer(records.toArray(new ByteBuf[0]));
            java.util.List<ChannelPromise> waiting = new java.util.ArrayList<>(promises);
            records.clear();
            promises.clear();
            ctx.writeAndFlush(Unpooled.copiedBuffer(all)).addListener(f -> waiting.forEach(p -> {
                if (f.isSuccess()) {
                    p.trySuccess();
                } else {
                    p.tryFailure(f.cause());
                }
            }));
            all.release();
        }
    }

    /** Sends close_notify; the TCP connection stays open both ways. */
    public void closeNotify() throws InterruptedException {
        tls.closeOutbound().sync();
    }

    /**
     * Sends close_notify unless the connection is closed already (the server may have closed it
     * first); looked at on the channel's loop, where the close happens. Whether it was sent.
     */
    public boolean closeNotifyIfOpen() throws Exception {
        io.netty.util.concurrent.Future<Boolean> open = ch.eventLoop().submit(() -> {
            if (!ch.isActive()) {
                return false;
            }
            tls.closeOutbound();
            return true;
        });
        return open.get(10, TimeUnit.SECONDS);
    }

    /** Whether the server closed the TCP connection within {@code seconds}. */
    public boolean closedWithin(int seconds) throws InterruptedException {
        return ch.closeFuture().await(seconds, TimeUnit.SECONDS);
    }

    /** Whether the server's close_notify arrived: it vouched for what came before as whole. */
    public boolean closeNotifyReceived() {
        return closeNotifyReceived;
    }

    /** Whether the connection was reset (an I/O error on the client's side). */
    public boolean reset() {
        return failure instanceof java.io.IOException;
    }

    @Override
    public void close() {
        ch.close();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }
}
