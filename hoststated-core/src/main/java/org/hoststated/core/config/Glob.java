package org.hoststated.core.config;

/**
 * The shell globs of the configuration, matched as fnmatch(3) reads them: {@code *},
 * {@code ?}, {@code [...]} with ranges, {@code !} or {@code ^} negation and backslash escapes,
 * backslash quoting outside; {@code *} also matches {@code /} and newlines, and the whole text
 * must match. {@code check send ... expect} matches with flags 0 ({@link #matches}), as the
 * original did; protocol rules with FNM_CASEFOLD ({@link #matchesIgnoringCase}), as relayd did, and
 * beyond ASCII too.
 *
 * <p>Matched directly, never through a regular expression: the text comes from a host or a
 * client, and a backtracking regex of a pattern with several stars ({@code *a*b*c*}) takes time
 * of the text's length to the power of the stars (a 60 KB banner froze the health check
 * engine). Here a star only ever moves forward from the last star seen, so a match costs at
 * most the text's length times the pattern's. Stateless.
 */
public final class Glob {
    private Glob() {
    }

    public static boolean matches(String pattern, CharSequence s) {
        return match(pattern, s, false);
    }

    public static boolean matchesIgnoringCase(String pattern, CharSequence s) {
        return match(pattern, s, true);
    }

    private static boolean match(String p, CharSequence s, boolean fold) {
        int pi = 0;
        int si = 0;
        int starP = -1;
        int starS = -1;
        while (si < s.length()) {
            if (pi < p.length()) {
                if (p.charAt(pi) == '*') {
                    starP = ++pi;
                    starS = si;
                    continue;
                }
                int next = single(p, pi, fold(s.charAt(si), fold), fold);
                if (next > 0) {
                    pi = next;
                    si++;
                    continue;
                }
            }
            if (starP < 0) {
                return false;
            }
            // Let the last star take one more character and try the rest again from there; an
            // earlier star need never take more (whatever it could skip, the last one can).
            pi = starP;
            si = ++starS;
        }
        while (pi < p.length() && p.charAt(pi) == '*') {
            pi++;
        }
        return pi == p.length();
    }

    /** Matches the one element at {@code pi} against {@code c} (folded if asked): the index after it, or -1. */
    static int single(String p, int pi, char c, boolean fold) {
        char x = p.charAt(pi);
        if (x == '?') {
            return pi + 1;
        }
        if (x == '[') {
            int end = classEnd(p, pi);
            if (end > 0) {
                return inClass(p, pi + 1, end, c, fold) ? end + 1 : -1;
            }
            // An unclosed '[' stands for itself.
        }
        if (x == '\\' && pi + 1 < p.length()) {
            return fold(p.charAt(pi + 1), fold) == c ? pi + 2 : -1;
        }
        return fold(x, fold) == c ? pi + 1 : -1;
    }

    /** The index of the ']' that closes the class opened at {@code pi}, or -1. */
    static int classEnd(String p, int pi) {
        int i = pi + 1;
        if (i < p.length() && (p.charAt(i) == '!' || p.charAt(i) == '^')) {
            i++;
        }
        if (i < p.length() && p.charAt(i) == ']') {
            i++; // a ']' right after '[' or '[!' is a member, not the end
        }
        for (; i < p.length(); i++) {
            if (p.charAt(i) == '\\') {
                i++;
            } else if (namedClassEnd(p, i) > 0) {
                i = namedClassEnd(p, i);
            } else if (p.charAt(i) == ']') {
                return i;
            }
        }
        return -1;
    }

    /** At a named class ({@code [:digit:]}) at {@code i}: the index of its closing ']', else -1. */
    private static int namedClassEnd(String p, int i) {
        if (i + 1 >= p.length() || p.charAt(i) != '[' || p.charAt(i + 1) != ':') {
            return -1;
        }
        int close = p.indexOf(":]", i + 2);
        return close < 0 ? -1 : close + 1;
    }

    /**
     * Whether {@code c} is in the POSIX class {@code name} of the C locale, as fnmatch(3) has
     * them; folding, upper and lower both take every letter. An unknown name takes nothing.
     */
    private static boolean inNamedClass(String name, char c, boolean fold) {
        boolean upper = c >= 'A' && c <= 'Z';
        boolean lower = c >= 'a' && c <= 'z';
        boolean digit = c >= '0' && c <= '9';
        boolean graph = c > ' ' && c < 0x7f;
        return switch (name) {
            case "alnum" -> upper || lower || digit;
            case "alpha" -> upper || lower;
            case "blank" -> c == ' ' || c == '\t';
            case "cntrl" -> c < ' ' || c == 0x7f;
            case "digit" -> digit;
            case "graph" -> graph;
            case "lower" -> lower || fold && upper;
            case "print" -> graph || c == ' ';
            case "punct" -> graph && !upper && !lower && !digit;
            case "space" -> c == ' ' || c >= '\t' && c <= '\r';
            case "upper" -> upper || fold && lower;
            case "xdigit" -> digit || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F';
            default -> false;
        };
    }

    private static boolean inClass(String p, int from, int end, char c, boolean fold) {
        boolean negate = p.charAt(from) == '!' || p.charAt(from) == '^';
        int i = negate ? from + 1 : from;
        boolean hit = false;
        while (i < end) {
            int named = namedClassEnd(p, i);
            if (named > 0 && named < end) {
                hit |= inNamedClass(p.substring(i + 2, named - 1), c, fold);
                i = named + 1;
                continue;
            }
            if (p.charAt(i) == '\\' && i + 1 < end) {
                i++;
            }
            char lo = fold(p.charAt(i), fold);
            if (i + 2 < end && p.charAt(i + 1) == '-') {
                int hiAt = p.charAt(i + 2) == '\\' && i + 3 < end ? i + 3 : i + 2;
                char hi = fold(p.charAt(hiAt), fold);
                hit |= c >= lo && c <= hi;
                i = hiAt + 1;
            } else {
                hit |= c == lo;
                i++;
            }
        }
        return hit != negate;
    }

    /**
     * {@code c} in lower case when folding: beyond ASCII as Unicode's simple case mapping has it
     * (a pattern is written in UTF-8 and values are matched as UTF-8 too, so a filter on
     * {@code CAFÉ} must see {@code café}); fnmatch's FNM_CASEFOLD in the C locale folded A-Z only.
     */
    private static char fold(char c, boolean fold) {
        if (!fold) {
            return c;
        }
        if (c < 0x80) {
            return c >= 'A' && c <= 'Z' ? (char) (c + 32) : c;
        }
        return Character.toLowerCase(Character.toUpperCase(c));
    }
}
