package org.hoststated.core.config;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Loads hoststated.conf: lexing with macros and includes, parsing, template expansion and
 * validation. Used by the parent (and {@code hoststated -n}) and by engines that rebuild the
 * configuration from the text the parent sends. Stateless; each call is independent and
 * never throws for bad input: every problem comes back as a {@code file:line: message}.
 */
public final class ConfigLoader {
    static final String TOO_LARGE = "configuration too large: out of memory while loading it";

    private ConfigLoader() {
    }

    /**
     * Reads and loads a file and its includes (relative include paths are taken from the
     * directory of the file that includes them).
     *
     * @param macros -D macros; they win over definitions in the file (may be null)
     */
    /**
     * Why a {@code -D name=value} cannot be taken, or null: a name no file could use as
     * {@code $name} (a keyword of the grammar; the file refuses one as a macro name), a value
     * of more than one line (it would add statements, and errors would point at other lines).
     */
    public static String macroDefinitionError(String name, String value) {
        if (Keywords.isKeyword(name)) {
            return "a macro name cannot be a keyword";
        }
        if (value.indexOf('\n') >= 0 || value.indexOf('\r') >= 0 || value.indexOf('\0') >= 0) {
            return "a macro value is one line";
        }
        return null;
    }

    public static LoadResult load(Path file, Map<String, String> macros, Resolver resolver) {
        String name = String.valueOf(file);
        if (name.isEmpty()) {
            // Path.of("") is the current directory: "is a directory" named none.
            return failed("\"\"", 0, "empty file name");
        }
        ConfigFiles files = new ConfigFiles();
        String text;
        try {
            text = files.read(file);
        } catch (ConfigFiles.ReadError e) {
            return e.line > 0 ? failed(name, e.line, e.getMessage()) : failed(name, 0, "cannot read file: " + e.getMessage());
        } catch (OutOfMemoryError e) {
            return failed(name, 0, TOO_LARGE);
        }
        return run(text, name, file, files, macros, resolver);
    }

    /**
     * Loads configuration text held in memory; {@code include} reads files relative to the
     * working directory.
     */
    public static LoadResult parse(String text, String fileName, Map<String, String> macros,
            Resolver resolver) {
        return run(text == null ? "" : text, fileName, null, new ConfigFiles(), macros, resolver);
    }

    private static LoadResult run(String text, String fileName, Path file, ConfigFiles files,
            Map<String, String> macros, Resolver resolver) {
        Diagnostics diag = new Diagnostics();
        Config config = null;
        List<Diagnostic> unused = List.of();
        try {
            Macros m = new Macros(macros);
            Draft draft = new Draft();
            TokenStream in = new TokenStream(text, fileName, file, m, diag, files);
            new Parser(new ParseContext(in, diag, draft, m, resolver)).parse();
            Config c = new Validator(draft, diag, in.end()).validate();
            config = diag.hasErrors() ? null : c;
            unused = m.unused();
        } catch (RuntimeException | StackOverflowError e) {
            // A bug of ours must not take the daemon down with a bad file; say so plainly.
            diag.error(fileName, 0, "internal error while loading: " + e);
        } catch (OutOfMemoryError e) {
            // Within the byte budget a file can still describe more hosts than the heap holds;
            // what was built is garbage once this returns, and the running configuration stays.
            return failed(fileName, 0, TOO_LARGE);
        }
        if (config == null && !diag.hasErrors()) {
            diag.error(fileName, 0, "internal error while loading");
        }
        return new LoadResult(config, diag.errors(), diag.warnings(), unused);
    }

    /** A load that failed before parsing, with one error on {@code line} (0: the whole file). */
    private static LoadResult failed(String file, int line, String message) {
        return new LoadResult(null, List.of(new Diagnostic(file, line, message)), List.of());
    }
}
