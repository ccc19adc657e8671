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
        return new Event(Visible.escape(out), cause);
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
}
