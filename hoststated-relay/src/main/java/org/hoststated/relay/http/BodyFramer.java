package org.hoststated.relay.http;

import io.netty.buffer.ByteBuf;

/**
 * Delimits one message body as its bytes stream through, so the relay forwards them as slices
 * of what it read and never holds a whole body. One framing per kind: a Content-Length, chunked
 * transfer coding (validated while it passes), or until the connection closes (responses
 * only). Used on the session's worker loop.
 */
abstract class BodyFramer {
    /**
     * How many bytes of [from, to) of b belong to the body; they are consumed. Returns less
     * than {@code to - from} only when the body ended within the range, or in chunked framing
     * before a bare LF that needs a CR (a response's, {@link ChunkedFramer#crOwed}), at the end
     * of a run of bytes to pass on or to drop ({@link #dropped}), or before a trailer field whose
     * name has not fully arrived; 0, neither done nor owing a CR, means the bytes from
     * {@code from} are to be scanned again with more behind them.
     */
    abstract int scan(ByteBuf b, int from, int to) throws HttpException;

    /** Whether the whole body has been scanned. */
    abstract boolean done();

    /**
     * Whether the bytes the last {@link #scan} returned are consumed without being passed on
     * (a trailer field {@link ChunkedFramer} removes).
     */
    boolean dropped() {
        return false;
    }

    /** A body of exactly {@code length} bytes. */
    static final class Fixed extends BodyFramer {
        private long remaining;

        Fixed reset(long length) {
            remaining = length;
            return this;
        }

        @Override
        int scan(ByteBuf b, int from, int to) {
            int n = (int) Math.min(remaining, to - from);
            remaining -= n;
            return n;
        }

        @Override
        boolean done() {
            return remaining == 0;
        }
    }

    /** A response body that ends when the server closes the connection. */
    static final class UntilClose extends BodyFramer {
        static final UntilClose INSTANCE = new UntilClose();

        @Override
        int scan(ByteBuf b, int from, int to) {
            return to - from;
        }

        @Override
        boolean done() {
            return false;
        }
    }
}
