package org.hoststated.relay.handler;

import io.netty.buffer.ByteBuf;

/**
 * Where a TLS peer's byte stream is among its records: per record it reads the five header
 * bytes and passes over the body, across reads. For handlers before the engine that need the
 * record boundaries of what they pass on. Not thread-safe: one per channel, on its loop.
 */
public final class TlsRecordCursor {
    private static final int RECORD_HEADER = 5;

    /** Header bytes of the current record read so far (0 between records). */
    private int headerBytes;
    private int length;
    /** Bytes of the current record's body not read yet. */
    private int bodyLeft;

    /** Whether the next byte begins a record. */
    public boolean atRecordStart() {
        return headerBytes == 0 && bodyLeft == 0;
    }

    /**
     * Reads on from index {@code i} of {@code b}, before {@code end}: one byte of a header, or
     * as much of a body as there is; the index after what was read.
     */
    public int next(ByteBuf b, int i, int end) {
        if (bodyLeft > 0) {
            int n = Math.min(bodyLeft, end - i);
            bodyLeft -= n;
            return i + n;
        }
        int v = b.getByte(i) & 0xff;
        headerBytes++;
        if (headerBytes == 4) {
            length = v << 8;
        } else if (headerBytes == RECORD_HEADER) {
            bodyLeft = length | v;
            headerBytes = 0;
        }
        return i + 1;
    }

    /** The bytes the current record still misses (of its header only, when the header is cut); 0 between records. */
    public int missing() {
        return headerBytes > 0 ? RECORD_HEADER - headerBytes : bodyLeft;
    }
}
