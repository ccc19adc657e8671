package org.hoststated.core.config;

/** A place in a configuration file, kept for diagnostics after parsing. Immutable. */
record Pos(String file, int line) {
    static Pos of(Token t) {
        return new Pos(t.file(), t.line());
    }
}
