package org.hoststated.relay;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.unix.RawUnixChannelOption;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

class ReceiveRingTest {
    private static final ByteBufAllocator ALLOC = ByteBufAllocator.DEFAULT;

    /**
     * No memory for the copy of a small read that pins a large buffer: the read is released
     * all the same, as each of these takes over its input (it leaked, the whole buffer with it,
     * just when memory was short; review R).
     */
    @Test
    void aCopyWithoutMemoryStillReleasesWhatItTookOver() {
        ByteBufAllocator none = new io.netty.buffer.AbstractByteBufAllocator(true) {
            @Override
            protected ByteBuf newHeapBuffer(int initialCapacity, int maxCapacity) {
                throw new OutOfMemoryError("no memory left (test)");
            }

            @Override
            protected ByteBuf newDirectBuffer(int initialCapacity, int maxCapacity) {
                throw new OutOfMemoryError("no direct memory left (test)");
            }

            @Override
            public boolean isDirectBufferPooled() {
                return false;
            }
        };
        ByteBuf big = ALLOC.heapBuffer(256 * 1024).writeZero(256 * 1024);
        ByteBuf read = big.retainedSlice(0, 100);
        big.release();
        assertThrowsOom(() -> ReceiveRing.held(read, none));
        assertEquals(0, read.refCnt());

        ByteBuf held = ALLOC.heapBuffer(16).writeZero(10);
        ByteBuf in = ALLOC.heapBuffer(16).writeZero(10);
        assertThrowsOom(() -> ReceiveRing.merge(held, in, none));
        assertEquals(0, held.refCnt());
        assertEquals(0, in.refCnt());
    }

    private static void assertThrowsOom(Runnable r) {
        org.junit.jupiter.api.Assertions.assertThrows(OutOfMemoryError.class, r::run);
    }

    @Test
    void eachRingOfAllLoopsStaysWithin16MiBAsPowersOfTwo() {
        ReceiveRing m = ReceiveRing.MESSAGES;
        assertEquals(256, m.entries(1));
        assertEquals(128, m.entries(2));
        assertEquals(64, m.entries(3), "85 rounded down to a power of two");
        assertEquals(64, m.entries(4));
        assertEquals(32, m.entries(16), "never fewer than 2 MiB per loop");
        ReceiveRing s = ReceiveRing.STREAMS;
        assertEquals(64, s.entries(1));
        assertEquals(16, s.entries(3), "21 rounded down to a power of two");
        assertEquals(8, s.entries(16), "never fewer than 2 MiB per loop");
        for (ReceiveRing r : new ReceiveRing[] {m, s}) {
            for (int loops = 1; loops <= 64; loops++) {
                int n = r.entries(loops);
                assertEquals(0, n & (n - 1), n + " is a power of two");
                assertTrue(n >= r.batch, r + ": at least one batch");
                if (loops <= 8) {
                    assertTrue((long) n * r.bufferBytes * loops <= ReceiveRing.ALL_LOOPS_BYTES, r + ", " + loops + " loops");
                }
            }
        }
    }

    @Test
    void aFullStreamsBufferIsAWholeNumberOfLoopbackSegments() throws Exception {
        Assumptions.assumeTrue(Epoll.isAvailable(), "epoll");
        Assumptions.assumeTrue("1".equals(sysctl("net/ipv4/tcp_timestamps")), "TCP timestamps on (the default)");
        Assumptions.assumeTrue("65536".equals(Files.readString(Path.of("/sys/class/net/lo/mtu")).strip()),
                "loopback MTU 65536 (the default)");
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
        try {
            Channel server = new ServerBootstrap().group(group).channel(EpollServerSocketChannel.class)
                    .childHandler(new ChannelInboundHandlerAdapter())
                    .bind(new InetSocketAddress("127.0.0.1", 0)).sync().channel();
            Channel client = new Bootstrap().group(group).channel(EpollSocketChannel.class)
                    .handler(new ChannelInboundHandlerAdapter())
                    .connect(server.localAddress()).sync().channel();
            // tcpi_advmss of TCP_INFO: TCP_MAXSEG gives half of that until the window has grown.
            ByteBuffer info = client.config().getOption(new RawUnixChannelOption("TCP_INFO", 6, 11, 104));
            int mss = info.order(ByteOrder.nativeOrder()).getInt(info.position() + 84);
            assertEquals(ReceiveRing.LOOPBACK_MSS, mss, "this kernel's loopback segment");
            assertEquals(0, ReceiveRing.STREAMS.bufferBytes % mss,
                    "a full read goes out as full segments, with no short one after them");
            assertTrue(ReceiveRing.STREAMS.bufferBytes > 255 * 1024);
            client.close().sync();
            server.close().sync();
        } finally {
            group.shutdownGracefully(0, 0, TimeUnit.SECONDS).sync();
        }
    }

    private static String sysctl(String name) throws IOException {
        return Files.readString(Path.of("/proc/sys", name)).strip();
    }

    @Test
    void theTwoRingsHaveTheirOwnBufferGroups() {
        assertNotEquals(ReceiveRing.MESSAGES.group, ReceiveRing.STREAMS.group);
        assertTrue(ReceiveRing.MESSAGES.group > 0 && ReceiveRing.STREAMS.group > 0, "group ids are not negative (none)");
    }

    @Test
    void aSmallSliceOfARingBufferIsCopiedSoItNoLongerPinsTheBuffer() {
        ByteBuf whole = ALLOC.directBuffer(ReceiveRing.MESSAGES.bufferBytes);
        whole.writeZero(1000).writeBytes("GET / HT".getBytes(StandardCharsets.US_ASCII));
        ByteBuf slice = whole.retainedSlice(1000, 8);
        whole.release();
        ByteBuf kept = ReceiveRing.compact(slice, ALLOC);
        try {
            assertNotSame(slice, kept);
            assertEquals(0, slice.refCnt(), "the slice, and with it the ring buffer, is released");
            assertEquals(0, whole.refCnt());
            assertEquals("GET / HT", kept.toString(StandardCharsets.US_ASCII));
            assertEquals(8, kept.capacity());
        } finally {
            kept.release();
        }
    }

    @Test
    void aLargeReadBufferHoldingAFewBytesIsCopiedToo() {
        ByteBuf read = ALLOC.directBuffer(256 * 1024).writeZero(300);
        read.skipBytes(290);
        ByteBuf kept = ReceiveRing.compact(read, ALLOC);
        assertNotSame(read, kept);
        assertEquals(0, read.refCnt());
        assertEquals(10, kept.readableBytes());
        kept.release();
    }

    @Test
    void aBufferOfItsOwnOrASliceThatFillsMostOfItsBufferIsKeptAsItIs() {
        ByteBuf own = ALLOC.directBuffer(100).writeZero(10);
        assertSame(own, ReceiveRing.compact(own, ALLOC));
        own.release();

        ByteBuf whole = ALLOC.directBuffer(ReceiveRing.MESSAGES.bufferBytes).writeZero(ReceiveRing.MESSAGES.bufferBytes);
        ByteBuf most = whole.retainedSlice(100, ReceiveRing.MESSAGES.bufferBytes - ReceiveRing.SLACK_BYTES);
        whole.release();
        assertSame(most, ReceiveRing.compact(most, ALLOC));
        assertEquals(1, most.refCnt());
        assertEquals(ReceiveRing.MESSAGES.bufferBytes - ReceiveRing.SLACK_BYTES, ByteBufUtil.getBytes(most).length);
        most.release();
    }

    @Test
    void aSmallSliceThatWouldWaitBehindQueuedBytesIsCopied() {
        EmbeddedChannel to = new EmbeddedChannel();
        ByteBuf whole = ALLOC.directBuffer(ReceiveRing.STREAMS.bufferBytes).writeZero(ReceiveRing.STREAMS.bufferBytes);
        ByteBuf first = whole.retainedSlice(0, 100);
        assertSame(first, ReceiveRing.forQueue(first, to), "nothing queued yet: written as it is");
        to.write(first);
        ByteBuf second = whole.retainedSlice(100, 100);
        ByteBuf queued = ReceiveRing.forQueue(second, to);
        assertNotSame(second, queued);
        assertEquals(2, whole.refCnt(), "the ring buffer is held by itself and the first slice only");
        assertEquals(100, queued.capacity());
        ByteBuf large = whole.retainedSlice(200, ReceiveRing.STREAMS.bufferBytes / 4);
        assertSame(large, ReceiveRing.forQueue(large, to), "a quarter of its buffer: pins only 4 times its size");
        whole.release();
        large.release();
        queued.release();
        to.finishAndReleaseAll();
        assertEquals(0, whole.refCnt(), "the ring buffer is free once the written slice is gone");
    }

    @Test
    void aHeldBufferIsCopiedOnlyWhenItPinsMoreThanEightTimesItsSize() {
        ByteBuf whole = ALLOC.directBuffer(ReceiveRing.MESSAGES.bufferBytes).writeZero(ReceiveRing.MESSAGES.bufferBytes);
        ByteBuf eighth = whole.retainedSlice(0, ReceiveRing.MESSAGES.bufferBytes / 8);
        assertSame(eighth, ReceiveRing.held(eighth, ALLOC));
        ByteBuf less = whole.retainedSlice(0, ReceiveRing.MESSAGES.bufferBytes / 8 - 1);
        ByteBuf copy = ReceiveRing.held(less, ALLOC);
        assertNotSame(less, copy);
        ByteBuf own = ALLOC.directBuffer(4 * 1024).writeZero(10);
        assertSame(own, ReceiveRing.held(own, ALLOC), "pins less than 8 KiB beyond itself");
        for (ByteBuf b : new ByteBuf[] {whole, eighth, copy, own}) {
            b.release();
        }
    }
}
