package org.hoststated.hce.check;

import java.nio.charset.StandardCharsets;
import org.hoststated.core.log.Visible;

/**
 * The first bytes of a host's answer as the detail of a failed check: "answered "HTTP/1.0 503
 * Service Unavailable\r\n..."", so that the operator sees at once what the host said instead.
 * Read as UTF-8 (the check's expect is), control characters escaped (they are a peer's bytes on
 * a log line).
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
        String text = new String(bytes, 0, shown, StandardCharsets.UTF_8);
        boolean cut = total > shown;
        if (cut && text.endsWith("\ufffd")) {
            text = text.substring(0, text.length() - 1); // a character the cut split
        }
        return "answered \"" + Visible.escape(text).replace("\"", "\\\"") + (cut ? "\"..." : "\"");
    }
}
