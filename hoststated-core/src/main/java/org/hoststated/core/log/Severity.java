package org.hoststated.core.log;

import org.slf4j.event.Level;

/**
 * A log level as a syslog severity (RFC 3164: err 3, warning 4, info 6, debug 7) and back. One
 * mapping for the three places that spell it: syslog datagrams, the {@code <N>} prefixes of
 * sd-daemon(3) on a journal's stream or an engine's stderr, and the parent reading an engine's
 * prefix back.
 */
public final class Severity {
    private Severity() {
    }

    /** The severity of {@code level}. */
    static int of(Level level) {
        return switch (level) {
            case ERROR -> 3;
            case WARN -> 4;
            case INFO -> 6;
            case DEBUG, TRACE -> 7;
        };
    }

    /** The prefixes by severity, made once: a line's prefix is no string to build. */
    private static final String[] PREFIXES = {"<0>", "<1>", "<2>", "<3>", "<4>", "<5>", "<6>", "<7>"};

    /** The prefix that gives a line {@code level}'s severity: {@code <4>} for a warning. */
    static String prefix(Level level) {
        return PREFIXES[of(level)];
    }

    /**
     * The level a line gives itself by a severity prefix ({@code <0>} to {@code <7>}), or null
     * without one. Severities above err count as errors, notice as info.
     */
    public static Level ofPrefix(CharSequence line) {
        if (line.length() < 3 || line.charAt(0) != '<' || line.charAt(2) != '>') {
            return null;
        }
        return switch (line.charAt(1)) {
            case '0', '1', '2', '3' -> Level.ERROR;
            case '4' -> Level.WARN;
            case '5', '6' -> Level.INFO;
            case '7' -> Level.DEBUG;
            default -> null;
        };
    }
}
