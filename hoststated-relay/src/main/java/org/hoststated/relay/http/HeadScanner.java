package org.hoststated.relay.http;

import io.netty.buffer.ByteBuf;

/**
 * Finds where a message head ends in bytes that may arrive in pieces, without copying: each
 * call searches only the bytes that arrived since the last one. Every line must end with CRLF;
 * a bare LF (a line ending some servers accept and others do not) is refused. One per session
 * and direction, on the session's worker loop.
 */
final class HeadScanner {
    private final int bad;
    /** How far after the head's start the last call searched. */
    private int searched;

    /** @param bad the status for a malformed head: 400 for requests, 502 for responses */
    HeadScanner(int bad) {
        this.bad = bad;
    }

    /** Starts looking for a new head. */
    void reset() {
        searched = 0;
    }

    /** Whether no byte of the next head has been searched yet. */
    boolean fresh() {
        return searched == 0;
    }

    /**
     * The index just after the blank line that ends the head starting at b's reader index, or
     * -1 when more bytes are needed.
     */
    int find(ByteBuf b) throws HttpException {
        int start = b.readerIndex();
        int to = b.writerIndex();
        int i = start + searched;
        while (true) {
            int lf = b.indexOf(i, to, HttpHead.LF);
            if (lf < 0) {
                searched = to - start;
                return -1;
            }
            if (lf == start || b.getByte(lf - 1) != HttpHead.CR) {
                throw new HttpException(bad, "bare LF in head");
            }
            if (lf - 1 == start) {
                throw new HttpException(bad, "empty start line");
            }
            if (lf - 2 > start && b.getByte(lf - 2) == HttpHead.LF) {
                return lf + 1;
            }
            i = lf + 1;
        }
    }

    /** Skips the empty lines a client may send before a request line (RFC 9112 2.2). */
    static void skipLeadingEmptyLines(ByteBuf b) {
        while (b.readableBytes() >= 2 && b.getByte(b.readerIndex()) == HttpHead.CR
                && b.getByte(b.readerIndex() + 1) == HttpHead.LF) {
            b.skipBytes(2);
        }
    }
}
