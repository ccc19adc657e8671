package org.hoststated.relay;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.channel.uring.IoUring;
import io.netty.channel.uring.IoUringBufferRingConfig;
import io.netty.channel.uring.IoUringFixedBufferRingAllocator;

/**
 * An io_uring provided-buffer ring that a worker loop's channels receive into: the kernel picks
 * the buffer when data arrives, so a channel's receive needs no poll first and holds no buffer
 * while it waits. Each loop has two, {@link #MESSAGES} for HTTP relays and {@link #STREAMS} for
 * TCP relays; they differ only in their buffer size.
 *
 * <p>Without a ring, Netty arms a poll per channel, and each read costs the poll's completion,
 * a receive submitted from Java and that receive's completion. With it, relay CPU per request
 * is 16 % lower in HTTP keep-alive and 12 % in TCP mode (side-by-side A/B, DESIGN.md). One
 * receive per read only: Netty's multishot receives and bundles go on filling buffers after
 * the relay stopped reading for a slow peer, so {@link RelayTransport} uses the rings only when
 * they are off (the engine's JVM flags).
 *
 * <p>Buffers are consumed incrementally ({@code IOU_PBUF_RING_INC}, Linux 6.12): a small read
 * takes a slice of the current buffer rather than a whole one, so a few buffers serve
 * thousands of requests whatever their size. A slice keeps its whole buffer alive: handlers
 * that hold bytes across reads copy them ({@link #compact}), and so do the relays for small
 * slices that wait to be written ({@link #forQueue}, {@link #held}). A ring starts with its
 * batch of buffers and grows by a batch when the kernel finds it empty, up to
 * {@link #entries}; a fully used buffer is replaced at once. Kernels without incremental rings
 * use Netty's poll-then-receive.
 */
public final class ReceiveRing {
    /**
     * The largest segment of a TCP connection over Linux's loopback interface (MTU 65,536),
     * IPv4 with timestamps: 65,535 less 40 bytes of headers and 12 of the timestamp option.
     */
    static final int LOOPBACK_MSS = 65_483;

    /**
     * HTTP relays: 64 KiB buffers. Larger ones cost HTTP keep-alive 3-5 % CPU per request in
     * side-by-side runs and gain nothing there.
     */
    public static final ReceiveRing MESSAGES = new ReceiveRing((short) 1, 64 * 1024, 16);
    /**
     * TCP relays, which may carry bulk transfers: buffers of about 256 KiB, a quarter of the
     * receives per byte. Bulk through the relay runs 22 % faster than with 64 KiB, at a third
     * less relay CPU per GiB (side-by-side A/B, DESIGN.md). Four loopback segments exactly
     * ({@link #LOOPBACK_MSS}), 212 bytes short of 256 KiB: a full read is passed on as one send,
     * and a send of 256 KiB went out as four full segments and one of 212 bytes (TCP_NODELAY):
     * 17 % more segments towards a server on the same host, and 2-22 % more relay system time
     * per GiB in five side-by-side runs (DESIGN.md).
     */
    public static final ReceiveRing STREAMS = new ReceiveRing((short) 2, 4 * LOOPBACK_MSS, 4);

    /**
     * What one ring of all loops together may hold posted at most: 16 MiB, so both rings stay
     * within the 32 MiB one ring had (of the engine's 96 MiB of direct memory); a ring capped
     * at 8 MiB measured the same as at 32 MiB.
     */
    static final long ALL_LOOPS_BYTES = 16L * 1024 * 1024;
    /** What one loop's ring may always hold, however many loops there are: 2 MiB. */
    static final long LOOP_MIN_BYTES = 2L * 1024 * 1024;
    /** How much more than it holds a kept buffer may pin ({@link #compact}). */
    static final int SLACK_BYTES = 8 * 1024;
    /** How many times its size a queued buffer may pin ({@link #forQueue}). */
    static final int PIN_FACTOR = 8;

    /** The buffer group id that a channel names to receive from this ring. */
    final short group;
    final int bufferBytes;
    /** Buffers posted at start and added per growth step. */
    final int batch;

    private ReceiveRing(short group, int bufferBytes, int batch) {
        this.group = group;
        this.bufferBytes = bufferBytes;
        this.batch = batch;
    }

    /** Whether this kernel can run the ring (registered, incremental buffer rings). */
    static boolean supported() {
        return IoUring.isRegisterBufferRingSupported() && IoUring.isRegisterBufferRingIncSupported();
    }

    /**
     * The most buffers one loop's ring holds when {@code loops} loops share
     * {@link #ALL_LOOPS_BYTES}, but at least {@link #LOOP_MIN_BYTES}: a power of two (the
     * kernel's rule). 32 to 256 buffers of 64 KiB, 8 to 64 of 256 KiB.
     */
    int entries(int loops) {
        long perLoop = ALL_LOOPS_BYTES / bufferBytes / Math.max(1, loops);
        long least = LOOP_MIN_BYTES / bufferBytes;
        long most = ALL_LOOPS_BYTES / bufferBytes;
        return Integer.highestOneBit((int) Math.max(least, Math.min(most, perLoop)));
    }

    /**
     * {@code in}, or a copy of its readable bytes when it keeps a much larger buffer alive: a
     * slice of a ring buffer, or a large read buffer that holds a few bytes. For bytes a
     * handler holds until more come, such as a partial request head, so that a slow client
     * pins what it sent and not 64 KiB or more. Takes over {@code in}.
     */
    public static ByteBuf compact(ByteBuf in, ByteBufAllocator alloc) {
        return rootCapacity(in) - in.readableBytes() <= SLACK_BYTES ? in : copy(in, alloc);
    }

    /**
     * One buffer with {@code held}'s readable bytes, then {@code in}'s: a partial head that
     * {@link #compact} kept, completed by the next read. Takes over both.
     */
    public static ByteBuf merge(ByteBuf held, ByteBuf in, ByteBufAllocator alloc) {
        ByteBuf m = directTakingOver(alloc, held.readableBytes() + in.readableBytes(), held, in);
        m.writeBytes(held).writeBytes(in);
        held.release();
        in.release();
        return m;
    }

    /**
     * {@code b}, or a copy of it when it will wait behind bytes already queued towards
     * {@code to} and its buffer is more than {@link #PIN_FACTOR} times its size (and more than
     * {@link #SLACK_BYTES} larger). For every buffer a relay forwards: a peer that reads slowly
     * then pins at most about {@code PIN_FACTOR} times what waits for it, plus the buffer of
     * the write in flight, instead of a whole ring buffer per small read that waits (a trickle
     * of small reads, each from a different buffer, could pin hundreds of MiB per session).
     * Forwarding into an empty queue, the common case, costs one field read. Takes over
     * {@code b}.
     */
    public static ByteBuf forQueue(ByteBuf b, Channel to) {
        ChannelOutboundBuffer queue = to.unsafe().outboundBuffer();
        if (queue == null || queue.totalPendingWriteBytes() == 0) {
            return b;
        }
        return held(b, to.alloc());
    }

    /**
     * {@code b}, or a copy when its buffer is more than {@link #PIN_FACTOR} times its size: for
     * bytes held in a queue of the relay's own, such as those a client sends while the backend
     * connection is still being made. Takes over {@code b}.
     */
    public static ByteBuf held(ByteBuf b, ByteBufAllocator alloc) {
        int size = b.readableBytes();
        long capacity = rootCapacity(b);
        return capacity - size > SLACK_BYTES && capacity > (long) PIN_FACTOR * size ? copy(b, alloc) : b;
    }

    private static int rootCapacity(ByteBuf in) {
        ByteBuf root = in;
        for (ByteBuf u = in.unwrap(); u != null; u = u.unwrap()) {
            root = u;
        }
        return root.capacity();
    }

    /**
     * A direct buffer of {@code capacity} for a copy of {@code taken}, which the caller took
     * over: they are released when no memory is left for it (the failure ends the session; a
     * read buffer or a whole ring buffer leaked with it, just when memory was short; review R).
     */
    private static ByteBuf directTakingOver(ByteBufAllocator alloc, int capacity, ByteBuf... taken) {
        try {
            return LargeBuffers.direct(alloc, capacity);
        } catch (RuntimeException | OutOfMemoryError e) {
            for (ByteBuf b : taken) {
                b.release();
            }
            throw e;
        }
    }

    /** A copy of {@code in}, which it takes over. */
    private static ByteBuf copy(ByteBuf in, ByteBufAllocator alloc) {
        ByteBuf copy = directTakingOver(alloc, in.readableBytes(), in);
        copy.writeBytes(in);
        in.release();
        return copy;
    }

    IoUringBufferRingConfig config(int loops) {
        return IoUringBufferRingConfig.builder()
                .bufferGroupId(group)
                .bufferRingSize((short) entries(loops))
                .batchSize(batch)
                .incremental(true)
                .allocator(new IoUringFixedBufferRingAllocator(LargeBuffers.POOL, bufferBytes))
                .build();
    }

    @Override
    public String toString() {
        return "receive ring " + group + " (" + bufferBytes / 1024 + " KiB buffers)";
    }
}
