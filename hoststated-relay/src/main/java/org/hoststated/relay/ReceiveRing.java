package org.hoststated.relay;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.uring.IoUring;
import io.netty.channel.uring.IoUringBufferRingConfig;
import io.netty.channel.uring.IoUringFixedBufferRingAllocator;

/**
 * The io_uring provided-buffer ring each worker loop receives into: the kernel picks the buffer
 * when data arrives, so a channel's receive needs no poll first and holds no buffer while it
 * waits.
 *
 * <p>Without it, Netty arms a poll per channel, and each read costs the poll's completion, a
 * receive submitted from Java and that receive's completion. With it, relay CPU per request is
 * 16 % lower in HTTP keep-alive and 12 % in TCP mode (side-by-side A/B, DESIGN.md). One
 * receive per read only: Netty's multishot receives and bundles go on filling buffers after
 * the relay stopped reading for a slow peer, so {@link RelayTransport} uses the ring only when
 * they are off (the engine's JVM flags).
 *
 * <p>Buffers are 64 KiB and consumed incrementally ({@code IOU_PBUF_RING_INC}, Linux 6.12): a
 * small read takes a slice of the current buffer rather than a whole one, so a few buffers
 * serve thousands of requests. A slice keeps its whole buffer alive: handlers that hold bytes
 * across reads copy them ({@link #compact}). The ring starts with {@link #BATCH} buffers and
 * grows by that much when the kernel finds it empty, up to {@link #entries}; a fully used
 * buffer is replaced at once. Kernels without incremental rings use Netty's poll-then-receive.
 */
public final class ReceiveRing {
    /** The buffer group of the ring, set on every stream channel that reads from it. */
    public static final short GROUP = 1;
    static final int BUFFER_BYTES = 64 * 1024;
    /** Buffers posted at start and added per growth step: 1 MiB. */
    static final int BATCH = 16;
    /** What the rings of all loops may hold posted at most: 32 MiB. */
    static final long ALL_LOOPS_BYTES = 32L * 1024 * 1024;
    /** How much more than it holds a kept buffer may pin ({@link #compact}). */
    static final int SLACK_BYTES = 8 * 1024;

    private ReceiveRing() {
    }

    /** Whether this kernel can run the ring (registered, incremental buffer rings). */
    static boolean supported() {
        return IoUring.isRegisterBufferRingSupported() && IoUring.isRegisterBufferRingIncSupported();
    }

    /**
     * The most buffers one loop's ring holds when {@code loops} loops share
     * {@link #ALL_LOOPS_BYTES}: a power of two (the kernel's rule), from 64 to 512.
     */
    static int entries(int loops) {
        long perLoop = ALL_LOOPS_BYTES / BUFFER_BYTES / Math.max(1, loops);
        return Integer.highestOneBit((int) Math.max(64, Math.min(512, perLoop)));
    }

    /**
     * {@code in}, or a copy of its readable bytes when it keeps a much larger buffer alive: a
     * slice of a ring buffer, or a large read buffer that holds a few bytes. For bytes a
     * handler holds until more come, such as a partial request head, so that a slow client
     * pins what it sent and not 64 KiB or more. Takes over {@code in}.
     */
    public static ByteBuf compact(ByteBuf in, ByteBufAllocator alloc) {
        ByteBuf root = in;
        for (ByteBuf u = in.unwrap(); u != null; u = u.unwrap()) {
            root = u;
        }
        if (root.capacity() - in.readableBytes() <= SLACK_BYTES) {
            return in;
        }
        ByteBuf copy = alloc.directBuffer(in.readableBytes());
        copy.writeBytes(in);
        in.release();
        return copy;
    }

    static IoUringBufferRingConfig config(int loops) {
        return IoUringBufferRingConfig.builder()
                .bufferGroupId(GROUP)
                .bufferRingSize((short) entries(loops))
                .batchSize(BATCH)
                .incremental(true)
                .allocator(new IoUringFixedBufferRingAllocator(ByteBufAllocator.DEFAULT, BUFFER_BYTES))
                .build();
    }
}
