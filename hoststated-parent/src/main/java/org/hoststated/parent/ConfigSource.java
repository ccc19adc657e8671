package org.hoststated.parent;

import java.net.InetAddress;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.hoststated.core.config.Config;
import org.hoststated.core.config.ConfigLoader;
import org.hoststated.core.config.ConfigPrinter;
import org.hoststated.core.config.Diagnostic;
import org.hoststated.core.config.LoadResult;
import org.hoststated.core.config.RecordingResolver;
import org.hoststated.core.config.SystemResolver;

/**
 * The configuration file and the {@code -D} macros it is read with; each {@link #load()} reads
 * it anew (start-up, SIGHUP, {@code hoststatectl reload}). Runs in the parent only: engines
 * never read files.
 */
final class ConfigSource {
    private final Path file;
    private final Map<String, String> macros;

    ConfigSource(Path file, Map<String, String> macros) {
        this.file = file;
        this.macros = Map.copyOf(macros);
    }

    Path file() {
        return file;
    }

    /** A configuration ready to send: the model, its canonical text and the DNS answers used. */
    record Loaded(Config config, String text, Map<String, List<InetAddress>> names, List<Diagnostic> warnings) {
    }

    /**
     * The outcome of one load: a configuration, or the errors (never both); the warnings, and
     * those shown with {@code -v} only.
     */
    record Outcome(Loaded loaded, List<Diagnostic> errors, List<Diagnostic> warnings,
            List<Diagnostic> verboseWarnings) {
        Outcome(Loaded loaded, List<Diagnostic> errors, List<Diagnostic> warnings) {
            this(loaded, errors, warnings, List.of());
        }

        boolean ok() {
            return loaded != null;
        }
    }

    Outcome load() {
        RecordingResolver resolver = new RecordingResolver(new SystemResolver());
        LoadResult r = ConfigLoader.load(file, macros, resolver);
        if (!r.ok()) {
            return new Outcome(null, r.errors(), r.warnings());
        }
        String text;
        try {
            text = ConfigPrinter.print(r.config());
        } catch (OutOfMemoryError e) {
            // The loader survived a file at the edge of the heap; its canonical text did not fit.
            return new Outcome(null, List.of(new Diagnostic(file.toString(), 0,
                    "configuration too large: out of memory while loading it")), r.warnings());
        }
        return new Outcome(new Loaded(r.config(), text, resolver.recorded(), r.warnings()), List.of(), r.warnings(),
                r.verboseWarnings());
    }
}
