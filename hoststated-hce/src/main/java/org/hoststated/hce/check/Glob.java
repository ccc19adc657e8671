package org.hoststated.hce.check;

/**
 * A shell glob as {@code fnmatch(pattern, string, 0)} reads it: {@code *}, {@code ?},
 * {@code [...]} with ranges and {@code !} or {@code ^} negation, backslash quoting; {@code *}
 * also matches {@code /} and newlines. The whole string must match.
 *
 * <p>Matched directly, not through a regular expression: the text comes from the host, and a
 * backtracking regex of a pattern with several stars ({@code *a*b*c*}) takes time of the text's
 * length to the power of the stars, which froze the engine's one event loop on a 60 KB banner.
 * Here a star only ever moves forward from the last star seen, so a match costs at most the
 * text's length times the pattern's.
 */
public final class Glob {
    private final String pattern;

    public Glob(String pattern) {
        this.pattern = pattern;
    }

    public boolean matches(CharSequence s) {
        String p = pattern;
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
                int next = single(pi, s.charAt(si));
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

    /** Matches the one element at {@code pi} against {@code c}: the index after it, or -1. */
    private int single(int pi, char c) {
        String p = pattern;
        char x = p.charAt(pi);
        if (x == '?') {
            return pi + 1;
        }
        if (x == '[') {
            int end = classEnd(pi);
            if (end > 0) {
                return inClass(pi + 1, end, c) ? end + 1 : -1;
            }
            // An unclosed '[' stands for itself.
        }
        if (x == '\\' && pi + 1 < p.length()) {
            return p.charAt(pi + 1) == c ? pi + 2 : -1;
        }
        return x == c ? pi + 1 : -1;
    }

    /** The index of the ']' that closes the class opened at {@code pi}, or -1. */
    private int classEnd(int pi) {
        String p = pattern;
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
            } else if (p.charAt(i) == ']') {
                return i;
            }
        }
        return -1;
    }

    private boolean inClass(int from, int end, char c) {
        String p = pattern;
        boolean negate = p.charAt(from) == '!' || p.charAt(from) == '^';
        int i = negate ? from + 1 : from;
        boolean hit = false;
        while (i < end) {
            if (p.charAt(i) == '\\' && i + 1 < end) {
                i++;
            }
            char lo = p.charAt(i);
            if (i + 2 < end && p.charAt(i + 1) == '-') {
                int hiAt = p.charAt(i + 2) == '\\' && i + 3 < end ? i + 3 : i + 2;
                char hi = p.charAt(hiAt);
                hit |= c >= lo && c <= hi;
                i = hiAt + 1;
            } else {
                hit |= c == lo;
                i++;
            }
        }
        return hit != negate;
    }
}
