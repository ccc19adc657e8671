package org.hoststated.relay;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.channel.ChannelConfig;
import io.netty.channel.DefaultChannelConfig;
import io.netty.channel.RecvByteBufAllocator;
import io.netty.channel.embedded.EmbeddedChannel;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * Reads grow to 256 KiB while they fill their buffers; on io_uring the read that waits for a
 * quiet peer asks for little, and every read does while direct memory is tight.
 */
class RelayReadSizesTest {
    private static final int K = 1024;
    private final ChannelConfig config = new DefaultChannelConfig(new EmbeddedChannel());

    /** One read turn: each element is what a read got (at most its buffer); returns the sizes asked. */
    private int[] turn(RecvByteBufAllocator.Handle h, int... got) {
        h.reset(config);
        int[] asked = new int[got.length];
        for (int i = 0; i < got.length; i++) {
            ByteBuf b = h.allocate(UnpooledByteBufAllocator.DEFAULT);
            asked[i] = b.writableBytes();
            h.attemptedBytesRead(asked[i]);
            h.lastBytesRead(Math.min(got[i], asked[i]));
            b.release();
        }
        h.readComplete();
        return asked;
    }

    /** Full reads until the handle asks for the largest size; returns how many it took. */
    private int stream(RecvByteBufAllocator.Handle h) {
        for (int n = 1; n <= 20; n++) {
            if (turn(h, K * K)[0] == 256 * K) {
                return n;
            }
        }
        throw new AssertionError("reads never reached 256 KiB");
    }

    @Test
    void streamingReadsGrowTo256KiBQuicklyOnBothTransports() {
        for (boolean uring : new boolean[] {false, true}) {
            RecvByteBufAllocator.Handle h = new RelayReadSizes(256 * K, uring).newHandle();
            assertEquals(2 * K, turn(h, 100)[0]);
            assertTrue(stream(h) <= 4, "slow growth");
            assertEquals(256 * K, turn(h, K * K)[0], "never above the largest size");
        }
    }

    @Test
    void onIoUringTheReadAfterAnEmptiedSocketAsksForLittleThenTheTurnGoesOnAtFullSize() {
        RecvByteBufAllocator.Handle h = new RelayReadSizes(256 * K, true).newHandle();
        stream(h);
        turn(h, K * K, 100 * K); // the socket was emptied: the next receive will wait
        int[] asked = turn(h, K * K, K * K);
        assertEquals(RelayReadSizes.SMALL_READ, asked[0]);
        assertEquals(256 * K, asked[1]);
        // A turn cut short with a full last read (back-pressure) starts at full size again.
        assertEquals(256 * K, turn(h, K * K)[0]);
    }

    @Test
    void onEpollEveryReadAsksForTheFullSize() {
        RecvByteBufAllocator.Handle h = new RelayReadSizes(256 * K, false).newHandle();
        stream(h);
        turn(h, K * K, 100 * K);
        assertEquals(256 * K, turn(h, K * K)[0]);
    }

    @Test
    void whileDirectMemoryIsTightEveryReadIsSmallAndTheFullSizeComesBackAfter() {
        long limit = 96L << 20;
        AtomicLong used = new AtomicLong();
        DirectMemory memory = new DirectMemory(used::get, limit);
        for (boolean uring : new boolean[] {false, true}) {
            RecvByteBufAllocator.Handle h = new RelayReadSizes(256 * K, uring, memory).newHandle();
            stream(h);
            used.set(limit / 100 * RelayReadSizes.TIGHT_PERCENT + 1);
            assertArrayEquals(new int[] {RelayReadSizes.SMALL_READ, RelayReadSizes.SMALL_READ},
                    turn(h, K * K, K * K));
            used.set(limit / 100 * RelayReadSizes.TIGHT_PERCENT);
            assertTrue(turn(h, K * K)[0] > RelayReadSizes.SMALL_READ);
            assertTrue(stream(h) <= 2, "slow to grow back");
        }
    }

    /**
     * The memory check (two counters behind a management bean) runs only for a read that could
     * be capped, one that would ask for more than the small size: small reads of requests and
     * responses, the common case, never make it, on either transport.
     */
    @Test
    void smallReadsDoNotLookAtDirectMemory() {
        long limit = 96L << 20;
        AtomicLong looks = new AtomicLong();
        DirectMemory memory = new DirectMemory(() -> {
            looks.incrementAndGet();
            return 0;
        }, limit);
        for (boolean uring : new boolean[] {false, true}) {
            looks.set(0);
            RecvByteBufAllocator.Handle h = new RelayReadSizes(256 * K, uring, memory).newHandle();
            for (int i = 0; i < 10; i++) {
                turn(h, 41);
                turn(h, 850);
            }
            assertEquals(0, looks.get(), "memory looked at for small reads");
            stream(h);
            assertTrue(looks.get() > 0, "memory not looked at for large reads");
        }
    }

    /**
     * Buffers above the default allocator's pooled sizes come from the relay's pool, small
     * ones from the channel's allocator; all are direct.
     */
    @Test
    void largeReadsTakePooledBuffers() {
        for (boolean uring : new boolean[] {false, true}) {
            RecvByteBufAllocator.Handle h = new RelayReadSizes(256 * K, uring).newHandle();
            h.reset(config);
            ByteBuf small = h.allocate(UnpooledByteBufAllocator.DEFAULT);
            assertSame(UnpooledByteBufAllocator.DEFAULT, small.alloc());
            small.release();
            stream(h);
            h.reset(config);
            ByteBuf large = h.allocate(UnpooledByteBufAllocator.DEFAULT);
            assertEquals(256 * K, large.writableBytes());
            assertSame(LargeBuffers.POOL, large.alloc());
            assertTrue(large.isDirect());
            large.release();
        }
    }

    @Test
    void smallMessagesKeepSmallBuffers() {
        RecvByteBufAllocator.Handle h = new RelayReadSizes(256 * K, true).newHandle();
        for (int i = 0; i < 10; i++) {
            assertTrue(turn(h, 850)[0] <= 2 * K);
        }
    }

    @Test
    void sixteenReadsPerTurnAndALargestSizeOfAtLeastTheWaitingRead() {
        assertEquals(16, new RelayReadSizes(256 * K, true).maxMessagesPerRead());
        assertThrows(IllegalArgumentException.class, () -> new RelayReadSizes(8 * K, true));
    }
}
