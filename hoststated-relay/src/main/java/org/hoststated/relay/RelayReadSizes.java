package org.hoststated.relay;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.AdaptiveRecvByteBufAllocator;
import io.netty.channel.ChannelConfig;
import io.netty.channel.RecvByteBufAllocator;
import io.netty.util.UncheckedBooleanSupplier;

/**
 * How much a relay channel asks for per read: Netty's adaptive sizing (2 KiB at first, growing
 * fast while reads fill their buffers, shrinking slowly) up to {@code max} instead of Netty's
 * 64 KiB, 16 reads per turn as Netty's default for stream channels.
 *
 * <p>On io_uring ({@code waitingReadsSmall}) the first read of a turn after a read that
 * emptied the socket asks for at most {@link #FIRST_AFTER_DRAIN}: that read usually waits for
 * the peer, and io_uring allocates its buffer when the receive is submitted and holds it until
 * data comes, so a session that streamed and then went quiet would otherwise hold a buffer of
 * the largest size for as long as it stays quiet. When data does come in bulk, that read fills
 * and the turn goes on at the full size. epoll reads only a readable socket: nothing waits
 * with a buffer there. Buffers above 16 KiB come from {@link LargeBuffers}. One instance
 * serves all channels; each channel gets its own handle.
 */
public final class RelayReadSizes implements RecvByteBufAllocator {
    /** The most the first read of a turn asks for after the socket was emptied (io_uring). */
    static final int FIRST_AFTER_DRAIN = 16 * 1024;

    private final AdaptiveRecvByteBufAllocator sizes;
    private final boolean waitingReadsSmall;

    /**
     * @param max the largest read
     * @param waitingReadsSmall whether a read that will likely wait asks for little (io_uring)
     */
    public RelayReadSizes(int max, boolean waitingReadsSmall) {
        if (max < FIRST_AFTER_DRAIN) {
            throw new IllegalArgumentException("largest read " + max + " < " + FIRST_AFTER_DRAIN);
        }
        this.sizes = new AdaptiveRecvByteBufAllocator(64, 2048, max);
        // Netty's default for stream channels; an allocator set as an option keeps its own (1).
        sizes.maxMessagesPerRead(16);
        this.waitingReadsSmall = waitingReadsSmall;
    }

    public int maxMessagesPerRead() {
        return sizes.maxMessagesPerRead();
    }

    @Override
    public Handle newHandle() {
        return new Sized((ExtendedHandle) sizes.newHandle(), waitingReadsSmall);
    }

    /**
     * Takes large read buffers from {@link LargeBuffers} and, when {@code waitingReadsSmall},
     * caps the first read of a turn after the socket was emptied; used on one event loop.
     */
    static final class Sized extends DelegatingHandle implements ExtendedHandle {
        private final boolean waitingReadsSmall;
        private boolean firstOfTurn = true;
        /** The last read got less than it asked for: the socket was empty afterwards. */
        private boolean drained;

        Sized(ExtendedHandle delegate, boolean waitingReadsSmall) {
            super(delegate);
            this.waitingReadsSmall = waitingReadsSmall;
        }

        private boolean capped() {
            return waitingReadsSmall && firstOfTurn && drained;
        }

        @Override
        public void reset(ChannelConfig config) {
            super.reset(config);
            firstOfTurn = true;
        }

        @Override
        public int guess() {
            int g = super.guess();
            return capped() ? Math.min(g, FIRST_AFTER_DRAIN) : g;
        }

        @Override
        public ByteBuf allocate(ByteBufAllocator alloc) {
            ByteBuf buf = LargeBuffers.direct(alloc, guess());
            firstOfTurn = false;
            return buf;
        }

        @Override
        public void lastBytesRead(int bytes) {
            drained = bytes < attemptedBytesRead();
            super.lastBytesRead(bytes);
        }

        @Override
        public boolean continueReading(UncheckedBooleanSupplier maybeMoreDataSupplier) {
            return ((ExtendedHandle) delegate()).continueReading(maybeMoreDataSupplier);
        }
    }
}
