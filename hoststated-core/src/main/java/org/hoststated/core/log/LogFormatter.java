package org.hoststated.core.log;

/**
 * Turns an slf4j call into one line of text: substitutes {@code {}}, appends the cause's message,
 * escapes control characters. Pure functions, used by {@link HoststatedLogger} in every process.
 */
final class LogFormatter {
    private LogFormatter() {
    }

    /** The formatted line and the cause it mentions (null if none). */
    record Event(String message, Throwable throwable) {
    }

    static Event format(String pattern, Object[] args, Throwable throwable) {
        String text = pattern == null ? "null" : pattern;
        Object[] values = args == null ? new Object[0] : args;
        Throwable cause = throwable;
        if (cause == null && values.length > 0 && values[values.length - 1] instanceof Throwable t
                && placeholders(text) < values.length) {
            cause = t;
            values = java.util.Arrays.copyOf(values, values.length - 1);
        }
        StringBuilder out = new StringBuilder(text.length() + 32);
        substitute(text, values, out);
        if (cause != null) {
            out.append(": ").append(describe(cause));
        }
        return new Event(escape(out), cause);
    }

    /** A throwable's own message, or its class name when it has none. */
    static String describe(Throwable t) {
        String m = t.getMessage();
        return m != null && !m.isEmpty() ? m : t.getClass().getSimpleName();
    }

    private static int placeholders(String text) {
        int n = 0;
        for (int i = text.indexOf("{}"); i >= 0; i = text.indexOf("{}", i + 2)) {
            n++;
        }
        return n;
    }

    /** slf4j's rules: "\{}" is a literal "{}"; surplus placeholders stay as they are. */
    private static void substitute(String text, Object[] values, StringBuilder out) {
        int from = 0;
        int next = 0;
        while (true) {
            int at = text.indexOf("{}", from);
            if (at < 0 || next >= values.length) {
                out.append(text, from, text.length());
                return;
            }
            if (at > 0 && text.charAt(at - 1) == '\\') {
                out.append(text, from, at - 1).append("{}");
                from = at + 2;
                continue;
            }
            out.append(text, from, at).append(render(values[next++]));
            from = at + 2;
        }
    }

    private static String render(Object value) {
        if (value instanceof Throwable t) {
            return describe(t);
        }
        if (value instanceof Object[] array) {
            return java.util.Arrays.deepToString(array);
        }
        return String.valueOf(value);
    }

    /**
     * A format character (bidi controls, zero-width ones, the tag characters beyond U+FFFF) or
     * a line or paragraph separator.
     */
    private static boolean invisible(int c) {
        int t = Character.getType(c);
        return t == Character.FORMAT || t == Character.LINE_SEPARATOR || t == Character.PARAGRAPH_SEPARATOR;
    }

    private static String escape(CharSequence s) {
        StringBuilder out = null;
        for (int i = 0; i < s.length(); ) {
            // By code point: a format character beyond U+FFFF is two chars, neither a format one.
            int c = Character.codePointAt(s, i);
            // C1 controls too: a peer's byte 0x85 or 0x9b (an HTTP field value is read as
            // ISO-8859-1) would otherwise reach the log as NEL, a line break to some readers,
            // or CSI, which terminals obey.
            // And the invisible ones beyond: a relay logs a peer's UTF-8 as text, where U+2028
            // breaks a line for some readers and U+202E reverses what follows it on screen.
            boolean control = c < 0x20 && c != '\t' || c >= 0x7f && c <= 0x9f || c > 0xff && invisible(c);
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
