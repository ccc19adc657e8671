package org.hoststated.hce.check;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import org.hoststated.core.log.Visible;

/**
 * The first bytes of a host's answer as the detail of a failed check: "answered "HTTP/1.0 503
 * Service Unavailable\r\n..."", so that the operator sees at once what the host said instead.
 * Read as UTF-8 (the check's expect is), control characters escaped (they are a peer's bytes on
 * a log line), and so are bytes that are no UTF-8 ({@code \xff}), which a plain decoding turned
 * into U+FFFD, the same for every such byte.
 */
final class AnswerStart {
    /** How many bytes are shown at most. */
    static final int BYTES = 64;

    private AnswerStart() {
    }

    /**
     * {@code answered "..."} for the first {@code stored} bytes of {@code bytes} (at most {@link
     * #BYTES}) of an answer of {@code total} bytes.
     */
    static String quoted(byte[] bytes, int stored, int total) {
        int shown = Math.min(stored, BYTES);
        boolean cut = total > shown;
        CharsetDecoder utf8 = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.wrap(bytes, 0, shown);
        CharBuffer out = CharBuffer.allocate(shown);
        StringBuilder text = new StringBuilder(shown + 16).append("answered \"");
        while (true) {
            CoderResult r = utf8.decode(in, out, true);
            // The backslash first: a host's text "\xff" and its byte 0xff read alike (probe AQ).
            text.append(Visible.escape(out.flip().toString().replace("\\", "\\\\")).replace("\"", "\\\""));
            out.clear();
            if (!r.isError() || cut && in.position() + r.length() == shown) {
                break; // all read, or what is left is a character the cut split
            }
            for (int i = 0; i < r.length(); i++) {
                text.append(String.format("\\x%02x", in.get() & 0xff));
            }
        }
        return text.append(cut ? "\"..." : "\"").toString();
    }
}
