package org.hoststated.core.config;

import java.util.Arrays;

/**
 * A glob of {@link Glob}'s syntax and meaning (fnmatch(3), flags 0) matched against a text that
 * arrives piece by piece: {@code check send ... expect} asks after every read whether all read
 * so far matches, and matching the whole text afresh each time cost time of the square of its
 * length when a host trickled its answer one byte per send. Here each character is looked at
 * once: the pattern is read as a list of elements (a star, or one that takes exactly one
 * character) and a {@link Run} keeps the set of elements the text so far can have reached, so
 * a character costs at most the pattern's length.
 *
 * <p>Immutable and shared by every check of a table; each text gets its own {@link Run}.
 */
public final class GlobMatcher {
    private final String pattern;
    /** Where each element starts in the pattern. */
    private final int[] starts;
    private final boolean[] star;

    public GlobMatcher(String pattern) {
        this.pattern = pattern;
        int[] s = new int[pattern.length()];
        boolean[] st = new boolean[pattern.length()];
        int n = 0;
        for (int pi = 0; pi < pattern.length(); pi = next(pattern, pi)) {
            s[n] = pi;
            st[n] = pattern.charAt(pi) == '*';
            n++;
        }
        this.starts = Arrays.copyOf(s, n);
        this.star = Arrays.copyOf(st, n);
    }

    /** The index after the element at {@code pi}, read as {@link Glob#single} reads it. */
    private static int next(String p, int pi) {
        char x = p.charAt(pi);
        if (x == '[') {
            int end = Glob.classEnd(p, pi);
            return end > 0 ? end + 1 : pi + 1;
        }
        if (x == '\\' && pi + 1 < p.length()) {
            return pi + 2;
        }
        return pi + 1;
    }

    /** A new text, empty so far. */
    public Run start() {
        return new Run();
    }

    /** One text being matched; not thread-safe (a check's run belongs to hce's event loop). */
    public final class Run {
        /** reached[k]: the text so far can be matched by the pattern's first k elements. */
        private boolean[] reached = new boolean[starts.length + 1];
        private boolean[] spare = new boolean[starts.length + 1];
        private boolean alive = true;

        private Run() {
            reached[0] = true;
            close(reached);
        }

        /** Appends one character to the text. */
        public void feed(char c) {
            if (!alive) {
                return; // no longer text can match either
            }
            boolean[] to = spare;
            Arrays.fill(to, false);
            boolean any = false;
            for (int k = 0; k < starts.length; k++) {
                if (!reached[k]) {
                    continue;
                }
                if (star[k]) {
                    to[k] = true; // the star takes c
                    any = true;
                } else if (Glob.single(pattern, starts[k], c, false) > 0) {
                    to[k + 1] = true;
                    any = true;
                }
            }
            close(to);
            spare = reached;
            reached = to;
            alive = any;
        }

        /** Whether some longer text could still match: false once what came rules out any. */
        public boolean canStillMatch() {
            return alive;
        }

        /** Whether the whole text so far matches the pattern. */
        public boolean matches() {
            return reached[starts.length];
        }

        /** A star may also take nothing: whoever reaches it reaches past it too. */
        private void close(boolean[] set) {
            for (int k = 0; k < starts.length; k++) {
                if (set[k] && star[k]) {
                    set[k + 1] = true;
                }
            }
        }
    }
}
