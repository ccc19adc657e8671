package org.hoststated.core.config;

import java.util.ArrayList;
import java.util.List;

/**
 * Collects errors and warnings of one load. Owned by the loading thread. Errors are capped so
 * that a huge binary file cannot fill memory with messages.
 */
final class Diagnostics {
    static final int MAX_ERRORS = 1000;
    /** The warnings of one load that are said; the rest are counted. */
    static final int MAX_WARNINGS = 1000;

    private final List<Diagnostic> errors = new ArrayList<>();
    private final List<Diagnostic> warnings = new ArrayList<>();
    private boolean gaveUp;
    private int droppedWarnings;
    /** The file of the last warning past the cap. */
    private String droppedIn;

    void error(String file, int line, String message) {
        if (errors.size() < MAX_ERRORS) {
            errors.add(new Diagnostic(file, line, message));
        } else if (!gaveUp) {
            gaveUp = true;
            errors.add(new Diagnostic(file, line, "too many errors, giving up"));
        }
    }

    void error(Pos pos, String message) {
        error(pos.file(), pos.line(), message);
    }

    void error(Token t, String message) {
        error(t.file(), t.line(), message);
    }

    void warning(Pos pos, String message) {
        warning(pos.file(), pos.line(), message);
    }

    void warning(String file, int line, String message) {
        if (warnings.size() < MAX_WARNINGS) {
            warnings.add(new Diagnostic(file, line, message));
        } else {
            droppedWarnings++;
            droppedIn = file;
        }
    }

    void warning(Token t, String message) {
        warning(Pos.of(t), message);
    }

    /** True once the error cap is reached: parsing stops there. */
    boolean gaveUp() {
        return gaveUp;
    }

    boolean hasErrors() {
        return !errors.isEmpty();
    }

    List<Diagnostic> errors() {
        return errors;
    }

    /** The warnings, and past {@link #MAX_WARNINGS} how many more there were (they went unsaid before). */
    List<Diagnostic> warnings() {
        if (droppedWarnings == 0) {
            return warnings;
        }
        List<Diagnostic> all = new ArrayList<>(warnings);
        all.add(new Diagnostic(droppedIn, 0, droppedWarnings + " more warning" + (droppedWarnings == 1 ? "" : "s")
                + " not shown (at most " + MAX_WARNINGS + " are)"));
        return all;
    }
}
