package org.hoststated.hce.check;

import io.netty.buffer.ByteBuf;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * Finds the final answer in what an HTTP check has read: its status code and where its body
 * starts, past any interim {@code 1xx} answers (a client must read and skip those, RFC 9110
 * 15.2: a server that sends {@code 103 Early Hints} or an unasked {@code 100 Continue} before
 * its {@code 200} is up, not a code mismatch). Lines may end in CRLF or a bare LF. Used by the
 * http validators in hce, on the event loop; stateless, it reads the buffer afresh each time.
 */
final class HttpAnswer {
    /** "HTTP/1.x 200" */
    private static final int STATUS_LENGTH = "HTTP/1.x ".length() + 3;

    /** What is known so far. */
    enum Kind { INCOMPLETE, MALFORMED, FINAL }

    final Kind kind;
    /** The final answer's status code (FINAL only). */
    final int code;
    /** Index of the final answer's first byte (FINAL only). */
    final int start;

    private HttpAnswer(Kind kind, int code, int start) {
        this.kind = kind;
        this.code = code;
        this.start = start;
    }

    private static final HttpAnswer INCOMPLETE = new HttpAnswer(Kind.INCOMPLETE, 0, -1);
    private static final HttpAnswer MALFORMED = new HttpAnswer(Kind.MALFORMED, 0, -1);

    /**
     * Reads the status line of each answer in {@code b}, skipping interim ones.
     *
     * @param atEof the host has closed: a status line cut short is malformed, not incomplete
     */
    static HttpAnswer find(ByteBuf b, boolean atEof) {
        int at = b.readerIndex();
        while (true) {
            int left = b.writerIndex() - at;
            if (left < STATUS_LENGTH + (atEof ? 0 : 1)) {
                return atEof ? MALFORMED : INCOMPLETE;
            }
            String head = b.toString(at, STATUS_LENGTH, StandardCharsets.ISO_8859_1);
            if (!head.startsWith("HTTP/1.0 ") && !head.startsWith("HTTP/1.1 ")) {
                return MALFORMED;
            }
            String digits = head.substring(STATUS_LENGTH - 3);
            if (!digits.chars().allMatch(c -> c >= '0' && c <= '9')) {
                return MALFORMED;
            }
            if (left > STATUS_LENGTH) {
                // The code is three digits, then the reason or the end of the line ("2000" is no code).
                byte after = b.getByte(at + STATUS_LENGTH);
                if (after != ' ' && after != '\r' && after != '\n') {
                    return MALFORMED;
                }
            }
            int code = Integer.parseInt(digits);
            if (code < 100 || code > 199 || code == 101) {
                return new HttpAnswer(Kind.FINAL, code, at);
            }
            int next = headEnd(b, at);
            if (next < 0) {
                return atEof ? MALFORMED : INCOMPLETE;
            }
            at = next;
        }
    }

    /** Index just past the blank line that ends the head starting at {@code from}, or -1. */
    static int headEnd(ByteBuf b, int from) {
        int lineStart = from;
        for (int i = from; i < b.writerIndex(); i++) {
            if (b.getByte(i) != '\n') {
                continue;
            }
            int len = i - lineStart;
            if (len == 0 || (len == 1 && b.getByte(lineStart) == '\r')) {
                return i + 1;
            }
            lineStart = i + 1;
        }
        return -1;
    }

    /**
     * The value of header {@code name} in the head from {@code from} to {@code end}, trimmed,
     * or null (the first such header; names compare without case).
     */
    static String header(ByteBuf b, int from, int end, String name) {
        String head = b.toString(from, end - from, StandardCharsets.ISO_8859_1);
        String want = name.toLowerCase(Locale.ROOT) + ":";
        for (String line : head.split("\n")) {
            if (line.toLowerCase(Locale.ROOT).startsWith(want)) {
                return line.substring(want.length()).trim();
            }
        }
        return null;
    }
}
