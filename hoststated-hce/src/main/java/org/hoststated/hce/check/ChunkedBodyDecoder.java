package org.hoststated.hce.check;

import io.netty.buffer.ByteBuf;
import java.security.MessageDigest;

/**
 * A chunked HTTP body (RFC 9112 7.1) in a check's buffer, decoded as it arrives: the data of
 * each chunk goes to a digest, chunk extensions and trailers are read over. Called after every
 * read with the whole buffer, it goes on from where it stopped, so each byte is looked at once.
 * One per attempt; used by {@link HttpDigestValidator} in hce, on the event loop.
 */
final class ChunkedBodyDecoder {
    static final int COMPLETE = 1;
    static final int INCOMPLETE = 0;
    static final int MALFORMED = -1;

    private enum State { SIZE, DATA, DATA_CR, DATA_LF, TRAILERS }

    private final MessageDigest md;
    private State state = State.SIZE;
    /** The next byte to read. */
    private int at;
    /** Start of the chunk size line being read. */
    private int lineStart;
    /** Data bytes of the current chunk not read yet. */
    private long remaining;
    private HeadEndFinder trailers;
    private int result = INCOMPLETE;

    /** @param from index of the body's first byte */
    ChunkedBodyDecoder(int from, MessageDigest md) {
        this.md = md;
        this.at = from;
        this.lineStart = from;
    }

    /**
     * Reads on in {@code b}: whether the body is complete (its data then all in the digest),
     * incomplete, or malformed. Given the same buffer grown, it answers as if it read it afresh.
     */
    int scan(ByteBuf b) {
        int end = b.writerIndex();
        while (result == INCOMPLETE) {
            switch (state) {
                case SIZE -> {
                    int eol = b.indexOf(at, end, (byte) '\n');
                    if (eol < 0) {
                        at = end;
                        return INCOMPLETE;
                    }
                    long size = size(b, lineStart, eol);
                    at = eol + 1;
                    if (size < 0) {
                        result = MALFORMED;
                    } else if (size == 0) {
                        trailers = new HeadEndFinder(at); // trailer lines up to a blank one
                        state = State.TRAILERS;
                    } else {
                        remaining = size;
                        state = State.DATA;
                    }
                }
                case DATA -> {
                    int n = (int) Math.min(remaining, end - at);
                    md.update(b.nioBuffer(at, n));
                    at += n;
                    remaining -= n;
                    if (remaining > 0) {
                        return INCOMPLETE;
                    }
                    state = State.DATA_CR;
                }
                case DATA_CR -> {
                    // The data's own line end: CRLF or a bare LF.
                    if (at == end) {
                        return INCOMPLETE;
                    }
                    if (b.getByte(at) == '\r') {
                        at++;
                    }
                    state = State.DATA_LF;
                }
                case DATA_LF -> {
                    if (at == end) {
                        return INCOMPLETE;
                    }
                    if (b.getByte(at) != '\n') {
                        result = MALFORMED;
                    } else {
                        at++;
                        lineStart = at;
                        state = State.SIZE;
                    }
                }
                case TRAILERS -> {
                    if (trailers.end(b) < 0) {
                        return INCOMPLETE;
                    }
                    result = COMPLETE;
                }
            }
        }
        return result;
    }

    /** The digest the data went to; all of it once {@link #scan} said complete. */
    MessageDigest digest() {
        return md;
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
