package org.hoststated.core.config;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
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
    private ConfigLoader() {
    }

    /**
     * Reads and loads a file and its includes (relative include paths are taken from the
     * directory of the file that includes them).
     *
     * @param macros -D macros; they win over definitions in the file (may be null)
     */
    public static LoadResult load(Path file, Map<String, String> macros, Resolver resolver) {
        String name = String.valueOf(file);
        String text;
        try {
            if (Files.size(file) > TokenStream.MAX_FILE_SIZE) {
                return failed(name, "file too large");
            }
            text = new String(Files.readAllBytes(file), StandardCharsets.UTF_8);
        } catch (IOException | RuntimeException e) {
            return failed(name, "cannot read file: " + readFailure(e));
        }
        return run(text, name, file, macros, resolver);
    }

    /**
     * Loads configuration text held in memory; {@code include} reads files relative to the
     * working directory.
     */
    public static LoadResult parse(String text, String fileName, Map<String, String> macros,
            Resolver resolver) {
        return run(text == null ? "" : text, fileName, null, macros, resolver);
    }

    private static LoadResult run(String text, String fileName, Path file,
            Map<String, String> macros, Resolver resolver) {
        Diagnostics diag = new Diagnostics();
        Config config = null;
        try {
            Macros m = new Macros(macros);
            Draft draft = new Draft();
            TokenStream in = new TokenStream(text, fileName, file, m, diag);
            new Parser(new ParseContext(in, diag, draft, m, resolver)).parse();
            Config c = new Validator(draft, diag, in.end()).validate();
            config = diag.hasErrors() ? null : c;
        } catch (RuntimeException | StackOverflowError e) {
            // A bug of ours must not take the daemon down with a bad file; say so plainly.
            diag.error(fileName, 0, "internal error while loading: " + e);
        }
        if (config == null && !diag.hasErrors()) {
            diag.error(fileName, 0, "internal error while loading");
        }
        return new LoadResult(config, diag.errors(), diag.warnings());
    }

    /**
     * Why the file could not be read, in words: the JDK's exceptions for a missing or
     * forbidden file carry only the path, which the diagnostic already starts with.
     */
    private static String readFailure(Exception e) {
        if (e instanceof java.nio.file.NoSuchFileException) {
            return "no such file";
        }
        if (e instanceof java.nio.file.AccessDeniedException) {
            return "permission denied";
        }
        return Messages.clip(String.valueOf(e.getMessage()));
    }

    private static LoadResult failed(String file, String message) {
        return new LoadResult(null, List.of(new Diagnostic(file, 0, message)), List.of());
    }
}
