package org.hoststated.core.config;

import java.util.List;

/**
 * The outcome of loading a configuration: a config, or the errors that prevent it; warnings
 * either way, and those shown only when asked for ({@code -v}: unused macros). Immutable.
 */
public record LoadResult(Config config, List<Diagnostic> errors, List<Diagnostic> warnings,
        List<Diagnostic> verboseWarnings) {
    public LoadResult {
        errors = List.copyOf(errors);
        warnings = List.copyOf(warnings);
        verboseWarnings = List.copyOf(verboseWarnings);
        if (errors.isEmpty() == (config == null)) {
            throw new IllegalArgumentException("a result has either a config or errors");
        }
    }

    public LoadResult(Config config, List<Diagnostic> errors, List<Diagnostic> warnings) {
        this(config, errors, warnings, List.of());
    }

    /** True when the configuration loaded without errors. */
    public boolean ok() {
        return errors.isEmpty();
    }
}
