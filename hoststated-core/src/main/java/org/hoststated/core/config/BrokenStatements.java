package org.hoststated.core.config;

import java.util.ArrayList;
import java.util.List;

/**
 * The statements of one block that had a syntax error, by their first token. A block whose
 * listener, table or hosts line was broken does not also report that it has none: the
 * original's grammar failed the whole block at the syntax error, and "relay r has no listener"
 * after "expected 'port', got 'prot'" named one typo twice.
 */
final class BrokenStatements {
    private final List<Token> first = new ArrayList<>();

    void add(Token t) {
        first.add(t);
    }

    /**
     * Whether a broken statement may have been one of {@code keywords}: it began with one, or
     * with a word that is no keyword at all (a misspelled one could have been any statement),
     * or it was an include that failed (its file could have held any).
     */
    boolean mayHaveBeen(String... keywords) {
        for (Token t : first) {
            if (t.kind() != Token.Kind.KEYWORD || t.text().equals("include")) {
                return true; // a misspelt keyword, or a file that could not be included
            }
            for (String k : keywords) {
                if (t.text().equals(k)) {
                    return true;
                }
            }
        }
        return false;
    }
}
