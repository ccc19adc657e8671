package org.hoststated.relay.handler;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoopGroup;
import io.netty.util.concurrent.ScheduledFuture;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.concurrent.TimeUnit;
import org.hoststated.relay.RelayTransport;
import org.junit.jupiter.api.Test;

/** The reset watch of an io_uring socket whose reading is off, on a real connection. */
class PausedReadsTest {
    /**
     * Reading again cancels the pending look: every TCP session is watched while its server
     * connects, and a watch left to lapse kept a place in the loop's timer queue for a second.
     */
    @Test
    void readingAgainCancelsTheWatch() throws Exception {
        RelayTransport t = RelayTransport.ioUring();
        assumeTrue(t != null, "io_uring is not available here");
        EventLoopGroup loops = t.newWorkers(1, "paused-reads-test");
        try (ServerSocket server = new ServerSocket(0, 4, InetAddress.getLoopbackAddress())) {
            Channel ch = new Bootstrap().group(loops).channelFactory(t.socketChannels())
                    .handler(new ChannelInboundHandlerAdapter()).connect(server.getLocalSocketAddress()).sync().channel();
            ScheduledFuture<?> watch = ch.eventLoop().submit(() -> {
                PausedReads.set(ch, false);
                return PausedReads.watch(ch);
            }).get(10, TimeUnit.SECONDS);
            assertNotNull(watch, "a socket that is not read is watched");
            ch.eventLoop().submit(() -> PausedReads.set(ch, true)).get(10, TimeUnit.SECONDS);
            assertTrue(watch.isCancelled());
            assertNull(ch.eventLoop().submit(() -> PausedReads.watch(ch)).get(10, TimeUnit.SECONDS));
            ch.close().sync();
        } finally {
            loops.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
        }
    }
}
