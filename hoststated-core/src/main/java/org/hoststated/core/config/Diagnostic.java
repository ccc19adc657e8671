package org.hoststated.core.config;

/**
 * One configuration error or warning, as {@code file:line: message}. Produced by the loader in
 * the parent (and by {@code hoststated -n}). Immutable.
 */
public record Diagnostic(String file, int line, String message) {
    @Override
    public String toString() {
        return file + ":" + line + ": " + message;
    }
}
