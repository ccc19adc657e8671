package org.hoststated.relay;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocator;

/**
 * Where the relay's large receive buffers come from: the io_uring rings' 64 and 256 KiB
 * buffers and reads above {@link #POOLED_BY_DEFAULT}. Netty's default allocator pools buffers
 * only up to that size in a JVM whose heap is under 512 MiB, as the relay engine's is; each
 * larger buffer is then a fresh allocation and a free per read. When that was the JDK's
 * {@code ByteBuffer.allocateDirect}, which fills it with zeros, a bulk transfer through the
 * relay spent 5 % of its CPU zeroing. Netty's pooled allocator carves them out of 4 MiB chunks
 * that it keeps while they are in use.
 */
public final class LargeBuffers {
    /**
     * The largest size class of Netty's default (adaptive) allocator in a small heap: above it,
     * that allocator does not pool.
     */
    static final int POOLED_BY_DEFAULT = 16_896;
    /** Direct memory only; its arenas take memory when first used. */
    static final ByteBufAllocator POOL = new PooledByteBufAllocator(true);

    private LargeBuffers() {
    }

    /** A direct buffer of {@code capacity} bytes from {@code alloc}, or from the pool when large. */
    public static ByteBuf direct(ByteBufAllocator alloc, int capacity) {
        return capacity > POOLED_BY_DEFAULT ? POOL.directBuffer(capacity) : alloc.directBuffer(capacity);
    }
}
