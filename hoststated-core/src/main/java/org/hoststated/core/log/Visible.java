package org.hoststated.core.log;

/**
 * Text made safe to print where a person reads it (a log line, a terminal): what a peer or an
 * operator put in it can neither break the line nor drive the terminal. Pure functions.
 */
public final class Visible {
    private Visible() {
    }

    /**
     * A name of the configuration (a relay's) as a line that has other fields writes it: as it
     * is when it has only letters, digits and {@code - _ . : / @ +}, else in double quotes, a
     * {@code "} or {@code \} in it escaped with a backslash. A name may be any quoted string of
     * the configuration, and one such as {@code "a, session 1 (0 active), x -> y"} made a
     * session line's fields ambiguous, as {@code "www, removed"} did {@code show sessions}'
     * (probe F of session 56); the names people give (www, api-v2) stay as they are. Control
     * characters are left to {@link #escape}.
     */
    public static String name(String name) {
        for (int i = 0; i < name.length(); i++) {
            if (!plainNameChar(name.charAt(i))) {
                StringBuilder b = new StringBuilder(name.length() + 8).append('"');
                for (int j = 0; j < name.length(); j++) {
                    char c = name.charAt(j);
                    if (c == '"' || c == '\\') {
                        b.append('\\');
                    }
                    b.append(c);
                }
                return b.append('"').toString();
            }
        }
        return name;
    }

    private static boolean plainNameChar(char c) {
        return Character.isLetterOrDigit(c) || "-_.:/@+".indexOf(c) >= 0;
    }

    /**
     * A format character (bidi controls, zero-width ones, the soft hyphen, the tag characters
     * beyond U+FFFF), a line or paragraph separator, or one that shows nothing though Unicode
     * does not call it a format character: the Hangul fillers, the variation selectors (probe
     * X), the combining grapheme joiner and the Khmer inherent vowels (probe AK).
     */
    public static boolean invisible(int c) {
        int t = Character.getType(c);
        return t == Character.FORMAT || t == Character.LINE_SEPARATOR || t == Character.PARAGRAPH_SEPARATOR
                || c == 0x115f || c == 0x1160 || c == 0x3164 || c == 0xffa0 || c == 0x34f || c == 0x17b4
                || c == 0x17b5 || c >= 0xfe00 && c <= 0xfe0f || c >= 0x180b && c <= 0x180f
                || c >= 0xe0100 && c <= 0xe01ef;
    }

    /**
     * {@code s} with its control characters (C0 but tab, DEL, C1) and invisible ones (format
     * characters, line and paragraph separators) written as escapes ({@code \n}, {@code \r},
     * {@code \x1b}; beyond U+00FF four or eight hex digits); {@code s} itself when it has none.
     */
    public static String escape(CharSequence s) {
        StringBuilder out = null;
        for (int i = 0; i < s.length(); ) {
            // By code point: a format character beyond U+FFFF is two chars, neither a format one.
            int c = Character.codePointAt(s, i);
            // C1 controls too: a peer's byte 0x85 or 0x9b (an HTTP field value is read as
            // ISO-8859-1) would otherwise reach the log as NEL, a line break to some readers,
            // or CSI, which terminals obey.
            // And the invisible ones beyond: a relay logs a peer's UTF-8 as text, where U+2028
            // breaks a line for some readers and U+202E reverses what follows it on screen.
            boolean control = c < 0x20 && c != '\t' || c >= 0x7f && c <= 0x9f || c == 0xad || c > 0xff && invisible(c);
            if (control && out == null) {
                out = new StringBuilder(s.length() + 8).append(s, 0, i);
            }
            if (out != null) {
                if (c == '\n') {
                    out.append("\\n");
                } else if (c == '\r') {
                    out.append("\\r");
                } else if (control) {
                    out.append(String.format(c > 0xffff ? "\\U%08x" : c > 0xff ? "\\u%04x" : "\\x%02x", c));
                } else {
                    out.appendCodePoint(c);
                }
            }
            i += Character.charCount(c);
        }
        return out == null ? s.toString() : out.toString();
    }
}
