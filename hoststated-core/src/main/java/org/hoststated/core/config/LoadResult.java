package org.hoststated.core.config;

import java.util.List;

/**
 * The outcome of loading a configuration: a config, or the errors that prevent it; warnings
 * either way. Immutable.
 */
public record LoadResult(Config config, List<Diagnostic> errors, List<Diagnostic> warnings) {
    public LoadResult {
        errors = List.copyOf(errors);
        warnings = List.copyOf(warnings);
        if (errors.isEmpty() == (config == null)) {
            throw new IllegalArgumentException("a result has either a config or errors");
        }
    }

    /** True when the configuration loaded without errors. */
    public boolean ok() {
        return errors.isEmpty();
    }
}
