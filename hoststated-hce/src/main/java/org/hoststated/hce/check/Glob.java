package org.hoststated.hce.check;

import java.util.regex.Pattern;

/**
 * A shell glob as {@code fnmatch(pattern, string, 0)} reads it: {@code *}, {@code ?},
 * {@code [...]} with ranges and {@code !} negation, backslash quoting; {@code *} also matches
 * {@code /} and newlines. The whole string must match.
 */
public final class Glob {
    private final Pattern regex;

    public Glob(String glob) {
        this.regex = Pattern.compile(toRegex(glob), Pattern.DOTALL);
    }

    public boolean matches(CharSequence s) {
        return regex.matcher(s).matches();
    }

    static String toRegex(String g) {
        StringBuilder r = new StringBuilder();
        for (int i = 0; i < g.length(); i++) {
            char c = g.charAt(i);
            switch (c) {
                case '*' -> r.append(".*");
                case '?' -> r.append('.');
                case '\\' -> {
                    if (i + 1 < g.length()) {
                        r.append(Pattern.quote(String.valueOf(g.charAt(++i))));
                    } else {
                        r.append("\\\\");
                    }
                }
                case '[' -> i = bracket(g, i, r);
                default -> r.append(Pattern.quote(String.valueOf(c)));
            }
        }
        return r.toString();
    }

    /** Appends a bracket expression starting at {@code g[i]}; returns the index of its ']'. */
    private static int bracket(String g, int i, StringBuilder r) {
        int j = i + 1;
        boolean negate = j < g.length() && (g.charAt(j) == '!' || g.charAt(j) == '^');
        if (negate) {
            j++;
        }
        // A ']' right after '[' or '[!' is a member, not the end.
        int close = g.indexOf(']', j < g.length() && g.charAt(j) == ']' ? j + 1 : j);
        if (close < 0) {
            r.append("\\[");
            return i;
        }
        StringBuilder set = new StringBuilder(negate ? "[^" : "[");
        for (int k = j; k < close; k++) {
            char c = g.charAt(k);
            if (c == '-' && k > j && k + 1 < close) {
                set.append('-');
            } else if (Character.isLetterOrDigit(c)) {
                set.append(c);
            } else {
                set.append('\\').append(c); // any other character stands for itself
            }
        }
        r.append(set).append(']');
        return close;
    }
}
