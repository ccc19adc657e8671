package org.hoststated.core.config;

/**
 * One configuration error or warning, as {@code file:line: message}, or {@code file: message}
 * for the file as a whole (line 0: it cannot be read). Produced by the loader in the parent
 * (and by {@code hoststated -n}). Immutable.
 */
public record Diagnostic(String file, int line, String message) {
    @Override
    public String toString() {
        return line > 0 ? file + ":" + line + ": " + message : file + ": " + message;
    }
}
