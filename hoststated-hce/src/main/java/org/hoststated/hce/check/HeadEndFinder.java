package org.hoststated.hce.check;

import io.netty.buffer.ByteBuf;

/**
 * Finds the blank line that ends an HTTP head (or a chunked body's trailers) in a check's
 * buffer, as it grows: each call goes on from where the last one stopped, so every byte is
 * looked at once however the head is cut into reads. Lines may end in CRLF or a bare LF. One per
 * head; used by the http validators in hce, on the event loop.
 */
final class HeadEndFinder {
    private int lineStart;
    private int next;
    private int end = -1;

    /** @param from index of the head's first byte */
    HeadEndFinder(int from) {
        this.lineStart = from;
        this.next = from;
    }

    /** Index just past the blank line that ends the head, or -1 while it has not arrived. */
    int end(ByteBuf b) {
        while (end < 0) {
            int eol = b.indexOf(next, b.writerIndex(), (byte) '\n');
            if (eol < 0) {
                next = b.writerIndex();
                return -1;
            }
            int len = eol - lineStart;
            if (len == 0 || (len == 1 && b.getByte(lineStart) == '\r')) {
                end = eol + 1;
            }
            lineStart = eol + 1;
            next = eol + 1;
        }
        return end;
    }
}
