package org.hoststated.hce.check;

import io.netty.buffer.ByteBuf;
import java.nio.charset.StandardCharsets;

/**
 * Finds the final answer in what an HTTP check has read: its status code and where its body
 * starts, past any interim {@code 1xx} answers (a client must read and skip those, RFC 9110
 * 15.2: a server that sends {@code 103 Early Hints} or an unasked {@code 100 Continue} before
 * its {@code 200} is up, not a code mismatch). Lines may end in CRLF or a bare LF.
 *
 * <p>One per attempt, called after every read with the whole buffer: it keeps the start of the
 * answer it is at and how far it has looked for the end of an interim head, so an endless
 * interim head trickled byte by byte is read once, not once per read. Used by the http
 * validators in hce, on the event loop.
 */
final class HttpAnswerFinder {
    /** "HTTP/1.x 200" */
    private static final int STATUS_LENGTH = "HTTP/1.x ".length() + 3;

    /** Start of the answer being read; -1 before the first call. */
    private int at = -1;
    /** The end of the interim head at {@link #at}, once its status line is known to be one. */
    private HeadEndFinder interim;

    /**
     * Reads the status line of each answer in {@code b}, skipping interim ones. Given the same
     * buffer grown, it answers as if it read it afresh.
     *
     * @param atEof the host has closed: a status line cut short is malformed, not incomplete
     */
    HttpAnswer find(ByteBuf b, boolean atEof) {
        if (at < 0) {
            at = b.readerIndex();
        }
        while (true) {
            int left = b.writerIndex() - at;
            if (left < STATUS_LENGTH + (atEof ? 0 : 1)) {
                return atEof ? HttpAnswer.MALFORMED : HttpAnswer.INCOMPLETE;
            }
            String head = b.toString(at, STATUS_LENGTH, StandardCharsets.ISO_8859_1);
            if (!head.startsWith("HTTP/1.0 ") && !head.startsWith("HTTP/1.1 ")) {
                return HttpAnswer.MALFORMED;
            }
            String digits = head.substring(STATUS_LENGTH - 3);
            if (!digits.chars().allMatch(c -> c >= '0' && c <= '9')) {
                return HttpAnswer.MALFORMED;
            }
            if (left > STATUS_LENGTH) {
                // The code is three digits, then the reason or the end of the line ("2000" is no code).
                byte after = b.getByte(at + STATUS_LENGTH);
                if (after != ' ' && after != '\r' && after != '\n') {
                    return HttpAnswer.MALFORMED;
                }
            }
            int code = Integer.parseInt(digits);
            if (code < 100 || code > 199 || code == 101) {
                return HttpAnswer.finalAt(at, code);
            }
            if (interim == null) {
                interim = new HeadEndFinder(at);
            }
            int next = interim.end(b);
            if (next < 0) {
                return atEof ? HttpAnswer.MALFORMED : HttpAnswer.INCOMPLETE;
            }
            at = next;
            interim = null;
        }
    }
}
