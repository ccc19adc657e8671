package org.hoststated.relay;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.ChannelConfig;
import io.netty.channel.DefaultMaxMessagesRecvByteBufAllocator;
import io.netty.util.internal.AdaptiveCalculator;

/**
 * How much a relay channel asks for per read: Netty's adaptive sizing (2 KiB at first, growing
 * fast while reads fill their buffers, shrinking slowly) up to {@code max} instead of Netty's
 * 64 KiB, 16 reads per turn as Netty's default for stream channels.
 *
 * <p>On io_uring ({@code waitingReadsSmall}) the first read of a turn after a read that
 * emptied the socket asks for at most {@link #SMALL_READ}: that read usually waits for
 * the peer, and io_uring allocates its buffer when the receive is submitted and holds it until
 * data comes, so a session that streamed and then went quiet would otherwise hold a buffer of
 * the largest size for as long as it stays quiet. When data does come in bulk, that read fills
 * and the turn goes on at the full size. epoll reads only a readable socket: nothing waits
 * with a buffer there.
 *
 * <p>While more than {@link #TIGHT_PERCENT} % of the engine's direct memory is in use, every
 * read asks for at most {@link #SMALL_READ}. Back-pressure stops reading for a slow peer only
 * after a read, so a session holds up to a full read for each slow peer; a few hundred clients
 * that download slowly, at full reads, held all of the engine's direct memory and every relay
 * stopped answering. Small reads let many more share it, and a bulk transfer that has memory to
 * itself keeps its large reads.
 *
 * <p>Buffers above 16 KiB come from {@link LargeBuffers}. One instance serves all channels;
 * each channel gets its own handle, a single class with Netty's adaptive sizing inside
 * ({@link AdaptiveCalculator}, what Netty's {@code AdaptiveRecvByteBufAllocator} uses). It
 * was a handle wrapping that allocator's, which Netty's epoll channel wraps again: every call
 * of a read (seven per read turn) went through three handles, the inner ones through
 * interface calls that more than one handle class reached, and the memory check (two counters
 * behind a management bean) ran for every read. Now the check runs only for a read that would
 * ask for more than {@link #SMALL_READ}, the only one it can cap; a TCP relay's small reads of
 * requests and responses never make it. Side by side on epoll, TCP mode: see DESIGN.md.
 */
public final class RelayReadSizes extends DefaultMaxMessagesRecvByteBufAllocator {
    /**
     * The most a read asks for when it is likely to wait (io_uring: the first read of a turn
     * after the socket was emptied) or when memory is tight.
     */
    static final int SMALL_READ = 16 * 1024;
    /** Above this share of the engine's direct memory in use, reads are small. */
    static final long TIGHT_PERCENT = 50;
    /** Netty's adaptive sizing: the smallest read, the first, and the largest is the relay's. */
    private static final int MIN_READ = 64;
    private static final int FIRST_READ = 2048;

    private final int max;
    private final boolean waitingReadsSmall;
    private final DirectMemory memory;

    /**
     * @param max the largest read
     * @param waitingReadsSmall whether a read that will likely wait asks for little (io_uring)
     */
    public RelayReadSizes(int max, boolean waitingReadsSmall) {
        this(max, waitingReadsSmall, DirectMemory.JVM);
    }

    RelayReadSizes(int max, boolean waitingReadsSmall, DirectMemory memory) {
        // Netty's default for stream channels; an allocator set as an option keeps its own (1).
        super(16);
        if (max < SMALL_READ) {
            throw new IllegalArgumentException("largest read " + max + " < " + SMALL_READ);
        }
        this.max = max;
        this.waitingReadsSmall = waitingReadsSmall;
        this.memory = memory;
    }

    @Override
    public Handle newHandle() {
        return new Sized();
    }

    /**
     * Sizes reads adaptively, takes large read buffers from {@link LargeBuffers} and caps a
     * read that will likely wait (when {@code waitingReadsSmall}) or any read while memory is
     * tight; used on one event loop.
     */
    final class Sized extends MaxMessageHandle {
        private final AdaptiveCalculator sizes = new AdaptiveCalculator(MIN_READ, FIRST_READ, max);
        private boolean firstOfTurn = true;
        /** The last read got less than it asked for: the socket was empty afterwards. */
        private boolean drained;

        /** Whether a read of more than {@link #SMALL_READ} is to ask for that only. */
        private boolean capped() {
            return waitingReadsSmall && firstOfTurn && drained || memory.above(TIGHT_PERCENT);
        }

        @Override
        public void reset(ChannelConfig config) {
            super.reset(config);
            firstOfTurn = true;
        }

        @Override
        public int guess() {
            int g = sizes.nextSize();
            return g > SMALL_READ && capped() ? SMALL_READ : g;
        }

        @Override
        public ByteBuf allocate(ByteBufAllocator alloc) {
            ByteBuf buf = LargeBuffers.direct(alloc, guess());
            firstOfTurn = false;
            return buf;
        }

        @Override
        public void lastBytesRead(int bytes) {
            int attempted = attemptedBytesRead();
            drained = bytes < attempted;
            if (bytes == attempted) {
                // A read that filled its buffer: grow at once (Netty's adaptive handle).
                sizes.record(bytes);
            }
            super.lastBytesRead(bytes);
        }

        @Override
        public void readComplete() {
            sizes.record(totalBytesRead());
        }
    }
}
