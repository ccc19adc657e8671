package org.hoststated.hce.check;

import io.netty.buffer.ByteBuf;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * What an HTTP check knows of the final answer so far ({@link HttpAnswerFinder} finds it): its
 * status code and where it starts, and reading a header of its head. Immutable; used by the
 * http validators in hce, on the event loop.
 */
final class HttpAnswer {
    /** What is known so far. */
    enum Kind { INCOMPLETE, MALFORMED, FINAL }

    static final HttpAnswer INCOMPLETE = new HttpAnswer(Kind.INCOMPLETE, 0, -1);
    static final HttpAnswer MALFORMED = new HttpAnswer(Kind.MALFORMED, 0, -1);

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

    static HttpAnswer finalAt(int start, int code) {
        return new HttpAnswer(Kind.FINAL, code, start);
    }

    /**
     * The value of header {@code name} in the head from {@code from} to {@code end}, trimmed,
     * or null (the first such header; names compare without case).
     */
    static String header(ByteBuf b, int from, int end, String name) {
        List<String> all = headers(b, from, end, name);
        return all.isEmpty() ? null : all.get(0);
    }

    /** The values of every header {@code name} in the head, trimmed, in order. */
    static List<String> headers(ByteBuf b, int from, int end, String name) {
        String head = b.toString(from, end - from, StandardCharsets.ISO_8859_1);
        String want = name.toLowerCase(Locale.ROOT) + ":";
        List<String> out = new ArrayList<>(1);
        for (String line : head.split("\n")) {
            if (line.toLowerCase(Locale.ROOT).startsWith(want)) {
                out.add(line.substring(want.length()).trim());
            }
        }
        return out;
    }
}
