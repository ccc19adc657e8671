package org.hoststated.relay.handler;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.hoststated.relay.RelayCounters;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * The session timeout's judge, on a real socket whose peer reads nothing: a drop of the
 * relay's own queue (its bytes moved into the kernel, whose send buffer grew) is not the
 * peer's progress where the kernel's acknowledgements can be read. It counted, and a TLS
 * client that read nothing lived two timeouts (probe O).
 */
class PeerProgressTest {
    @Test
    void aDropOfTheQueueIsNoProgressWhereTheKernelsCountsAreKnown() throws Exception {
        Assumptions.assumeTrue(Epoll.isAvailable(), "epoll not available");
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
        CompletableFuture<Channel> accepted = new CompletableFuture<>();
        Channel server = new ServerBootstrap().group(group).channel(EpollServerSocketChannel.class)
                .childHandler(new ChannelInboundHandlerAdapter() {
                    @Override
                    public void channelActive(ChannelHandlerContext ctx) {
                        accepted.complete(ctx.channel());
                    }
                }).bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0)).sync().channel();
        try (Socket peer = new Socket()) {
            peer.setReceiveBufferSize(4096);
            peer.connect(server.localAddress(), 5000);
            Channel ch = accepted.get(5, TimeUnit.SECONDS);
            // The peer reads nothing: its kernel takes what fits, the rest waits unacknowledged.
            ch.writeAndFlush(Unpooled.wrappedBuffer(new byte[4 << 20]));
            Thread.sleep(300);
            SessionInfo session = SessionInfo.open(SessionInfoTest.context(new RelayCounters()), ch);
            long timeout = TimeUnit.MILLISECONDS.toNanos(400);
            PeerProgress p = new PeerProgress(session, timeout);
            long start = System.nanoTime();
            long pending = 1_000_000;
            long left = 1;
            // Looked at as the timer would, the relay's queue dropping at every wake.
            while (left > 0 && System.nanoTime() - start < 10 * timeout) {
                long now = System.nanoTime();
                long queued = pending;
                left = ch.eventLoop().submit(() -> p.check(ch, null, false, queued, now)).get();
                pending -= 1000;
                Thread.sleep(Math.max(1, TimeUnit.NANOSECONDS.toMillis(Math.min(left, timeout / 4))));
            }
            long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            // Idle at about one and a quarter timeouts; before, every drop put it off again.
            assertTrue(left <= 0, "still not idle after " + ms + " ms of a peer that took nothing (timeout 400 ms)");
            ch.close().sync();
        } finally {
            server.close().sync();
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        }
    }
}
