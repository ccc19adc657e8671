package org.hoststated.hce;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.util.ReferenceCountUtil;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A fast healthy backend for scale tests and the bench: one epoll listener on 0.0.0.0 (so it
 * answers every 127.0.x.y), port 0, on its own event loop. For HTTP it answers the first bytes
 * of any request with {@code HTTP/1.0 200 OK} and closes; otherwise it closes at once. A slow
 * test server drops SYNs and makes healthy hosts look down, which is what these tests must not
 * confuse with the checker's own errors.
 */
public final class OkServer implements AutoCloseable {
    private static final ByteBuf OK = Unpooled.unreleasableBuffer(
            Unpooled.copiedBuffer("HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n", StandardCharsets.ISO_8859_1));
    private final MultiThreadIoEventLoopGroup group = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
    private final Channel listener;
    private final boolean http;
    private final AtomicLong accepted = new AtomicLong();

    public OkServer(boolean http) throws InterruptedException {
        this.http = http;
        listener = new ServerBootstrap().group(group).channel(EpollServerSocketChannel.class)
                .option(ChannelOption.SO_BACKLOG, 8192)
                .childHandler(new Answer(http, accepted))
                .bind(new InetSocketAddress("0.0.0.0", 0)).sync().channel();
    }

    /** One instance serves every connection. */
    @ChannelHandler.Sharable
    private static final class Answer extends ChannelInboundHandlerAdapter {
        private final boolean http;
        private final AtomicLong accepted;

        Answer(boolean http, AtomicLong accepted) {
            this.http = http;
            this.accepted = accepted;
        }

        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            accepted.incrementAndGet();
            if (!http) {
                ctx.close();
            }
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ReferenceCountUtil.release(msg);
            ctx.writeAndFlush(OK.retainedDuplicate()).addListener(ChannelFutureListener.CLOSE);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close(); // the check reset first (SO_LINGER 0): expected
        }
    }

    /**
     * Has the server answer {@code n} requests from a plain blocking client, so that its code is
     * compiled before a test measures the checker against it: a cold server is slow, and its
     * slowness would be a real timeout, not the checker's.
     */
    public void warmUp(int n) throws IOException {
        byte[] req = "HEAD / HTTP/1.0\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1);
        for (int i = 0; i < n; i++) {
            try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port())) {
                if (http) {
                    s.getOutputStream().write(req);
                }
                s.getInputStream().readAllBytes();
            }
        }
    }

    /**
     * Waits until the server has accepted {@code n} connections in all. A TCP check is done when
     * the kernel completes the handshake, before this server accepts; back-to-back rounds can
     * outrun it until its accept queue ({@code somaxconn}) is full and the kernel drops SYNs, which
     * a check rightly reports as a timeout. Real rounds are seconds apart: a test waits here
     * between rounds to be as fair.
     *
     * @return whether it got there within {@code limit}
     */
    public boolean awaitAccepted(long n, Duration limit) throws InterruptedException {
        long end = System.nanoTime() + limit.toNanos();
        while (accepted.get() < n) {
            if (System.nanoTime() > end) {
                return false;
            }
            TimeUnit.MILLISECONDS.sleep(5);
        }
        return true;
    }

    public int port() {
        return ((InetSocketAddress) listener.localAddress()).getPort();
    }

    @Override
    public void close() {
        listener.close().syncUninterruptibly();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }
}
