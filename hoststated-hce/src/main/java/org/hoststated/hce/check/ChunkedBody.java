package org.hoststated.hce.check;

import io.netty.buffer.ByteBuf;
import java.security.MessageDigest;

/**
 * A chunked HTTP body (RFC 9112 7.1) in a check's buffer: {@link #scan} tells whether it is all
 * there, skipping over the data without copying it (it runs after every read), and
 * {@link #feed} hands the decoded bytes to a digest. Chunk extensions and trailers are read
 * over. Used by {@link HttpDigestValidator} in hce, on the event loop.
 */
final class ChunkedBody {
    static final int COMPLETE = 1;
    static final int INCOMPLETE = 0;
    static final int MALFORMED = -1;

    private ChunkedBody() {
    }

    /** Whether the chunked body starting at {@code from} is complete, incomplete, or malformed. */
    static int scan(ByteBuf b, int from) {
        return walk(b, from, null);
    }

    /** Feeds the data of a complete chunked body to {@code md}. */
    static void feed(ByteBuf b, int from, MessageDigest md) {
        walk(b, from, md);
    }

    private static int walk(ByteBuf b, int at, MessageDigest md) {
        int end = b.writerIndex();
        while (true) {
            int eol = b.indexOf(at, end, (byte) '\n');
            if (eol < 0) {
                return INCOMPLETE;
            }
            long size = size(b, at, eol);
            if (size < 0) {
                return MALFORMED;
            }
            at = eol + 1;
            if (size == 0) {
                // Trailer lines up to a blank one.
                return HttpAnswer.headEnd(b, at) < 0 ? INCOMPLETE : COMPLETE;
            }
            if (end - at < size) {
                return INCOMPLETE;
            }
            if (md != null) {
                md.update(b.nioBuffer(at, (int) size));
            }
            at += (int) size;
            // The data's own line end.
            if (end - at < 1) {
                return INCOMPLETE;
            }
            if (b.getByte(at) == '\r') {
                at++;
                if (end - at < 1) {
                    return INCOMPLETE;
                }
            }
            if (b.getByte(at) != '\n') {
                return MALFORMED;
            }
            at++;
        }
    }

    /** The hex size at the start of the line [from, eol), or -1 when it is none. */
    private static long size(ByteBuf b, int from, int eol) {
        long size = 0;
        int digits = 0;
        for (int i = from; i < eol; i++) {
            int c = b.getByte(i);
            int v = Character.digit(c, 16);
            if (v < 0) {
                if (c == ';' || c == '\r' || c == ' ' || c == '\t') {
                    break; // an extension or the line's end
                }
                return -1;
            }
            if (++digits > 8) {
                return -1; // larger than any body a check reads
            }
            size = size * 16 + v;
        }
        return digits == 0 ? -1 : size;
    }
}
