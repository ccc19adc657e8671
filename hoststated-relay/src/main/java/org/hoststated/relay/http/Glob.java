package org.hoststated.relay.http;

/**
 * fnmatch(3) with FNM_CASEFOLD, as relayd matched {@code expect}/{@code filter} values and as
 * we match {@code path} keys: {@code *}, {@code ?}, {@code [...]} classes (with {@code !} or
 * {@code ^} negation and ranges), backslash escapes. ASCII case folding. Stateless.
 */
final class Glob {
    private Glob() {
    }

    static boolean matches(String pattern, CharSequence s) {
        return match(pattern, 0, s, 0);
    }

    private static boolean match(String p, int pi, CharSequence s, int si) {
        int starP = -1;
        int starS = -1;
        while (si < s.length()) {
            if (pi < p.length()) {
                char c = p.charAt(pi);
                if (c == '*') {
                    starP = ++pi;
                    starS = si;
                    continue;
                }
                int next = single(p, pi, s.charAt(si));
                if (next > 0) {
                    pi = next;
                    si++;
                    continue;
                }
            }
            if (starP < 0) {
                return false;
            }
            pi = starP;
            si = ++starS;
        }
        while (pi < p.length() && p.charAt(pi) == '*') {
            pi++;
        }
        return pi == p.length();
    }

    /** Matches one pattern element at pi against c: the index after it, or -1. */
    private static int single(String p, int pi, char c) {
        char x = p.charAt(pi);
        if (x == '?') {
            return pi + 1;
        }
        if (x == '[') {
            int end = classEnd(p, pi);
            if (end > 0) {
                return inClass(p, pi + 1, end, c) ? end + 1 : -1;
            }
        }
        if (x == '\\' && pi + 1 < p.length()) {
            return fold(p.charAt(pi + 1)) == fold(c) ? pi + 2 : -1;
        }
        return fold(x) == fold(c) ? pi + 1 : -1;
    }

    /** The index of the ']' closing the class opened at pi, or -1 (then '[' is literal). */
    private static int classEnd(String p, int pi) {
        int i = pi + 1;
        if (i < p.length() && (p.charAt(i) == '!' || p.charAt(i) == '^')) {
            i++;
        }
        if (i < p.length() && p.charAt(i) == ']') {
            i++;
        }
        for (; i < p.length(); i++) {
            if (p.charAt(i) == ']') {
                return i;
            }
        }
        return -1;
    }

    private static boolean inClass(String p, int from, int end, char c) {
        boolean negate = p.charAt(from) == '!' || p.charAt(from) == '^';
        int i = negate ? from + 1 : from;
        char fc = fold(c);
        boolean hit = false;
        while (i < end) {
            char lo = fold(p.charAt(i));
            if (i + 2 < end && p.charAt(i + 1) == '-') {
                char hi = fold(p.charAt(i + 2));
                hit |= fc >= lo && fc <= hi;
                i += 3;
            } else {
                hit |= fc == lo;
                i++;
            }
        }
        return hit != negate;
    }

    private static char fold(char c) {
        return c >= 'A' && c <= 'Z' ? (char) (c + 32) : c;
    }
}
