package org.hoststated.relay;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class ReceiveRingTest {
    private static final ByteBufAllocator ALLOC = ByteBufAllocator.DEFAULT;

    @Test
    void theRingsOfAllLoopsStayWithin32MiBAsPowersOfTwo() {
        assertEquals(512, ReceiveRing.entries(1));
        assertEquals(256, ReceiveRing.entries(2));
        assertEquals(128, ReceiveRing.entries(3), "170 rounded down to a power of two");
        assertEquals(128, ReceiveRing.entries(4));
        assertEquals(64, ReceiveRing.entries(16), "never fewer than 64");
        for (int loops = 1; loops <= 64; loops++) {
            int n = ReceiveRing.entries(loops);
            assertEquals(0, n & (n - 1), n + " is a power of two");
            if (loops <= 8) {
                assertEquals(true, (long) n * ReceiveRing.BUFFER_BYTES * loops <= ReceiveRing.ALL_LOOPS_BYTES, loops + " loops");
            }
        }
    }

    @Test
    void aSmallSliceOfARingBufferIsCopiedSoItNoLongerPinsTheBuffer() {
        ByteBuf whole = ALLOC.directBuffer(ReceiveRing.BUFFER_BYTES);
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

        ByteBuf whole = ALLOC.directBuffer(ReceiveRing.BUFFER_BYTES).writeZero(ReceiveRing.BUFFER_BYTES);
        ByteBuf most = whole.retainedSlice(100, ReceiveRing.BUFFER_BYTES - ReceiveRing.SLACK_BYTES);
        whole.release();
        assertSame(most, ReceiveRing.compact(most, ALLOC));
        assertEquals(1, most.refCnt());
        assertEquals(ReceiveRing.BUFFER_BYTES - ReceiveRing.SLACK_BYTES, ByteBufUtil.getBytes(most).length);
        most.release();
    }
}
