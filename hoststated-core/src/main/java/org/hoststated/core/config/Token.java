package org.hoststated.core.config;

/** One lexical token with where it came from; produced by {@link Lexer}. Immutable. */
record Token(Kind kind, String text, String file, int line) {

    /** Token kinds. WORD and QUOTED together are the original's STRING. */
    enum Kind { WORD, KEYWORD, QUOTED, NEWLINE, LBRACE, RBRACE, COMMA, EQUALS, OTHER, ERROR, EOF }

    boolean is(Kind k) {
        return kind == k;
    }

    boolean isKeyword(String kw) {
        return kind == Kind.KEYWORD && text.equals(kw);
    }

    /** A string argument: a bare word or a quoted string (never a keyword). */
    boolean isString() {
        return kind == Kind.WORD || kind == Kind.QUOTED;
    }

    /** How the token is named in an error message. */
    String describe() {
        return switch (kind) {
            case NEWLINE -> "end of line";
            case EOF -> "end of file";
            case QUOTED -> "\"" + Messages.clip(text) + "\"";
            case OTHER -> "character '" + Messages.clip(text) + "'";
            default -> "'" + Messages.clip(text) + "'";
        };
    }
}
