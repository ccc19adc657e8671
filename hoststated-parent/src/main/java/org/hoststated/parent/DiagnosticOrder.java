package org.hoststated.parent;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.hoststated.core.config.Diagnostic;

/**
 * Puts a configuration's errors and warnings in one list, in the order of the lines they
 * name: per file in the order the files first appear, then by line (a warning of line 3
 * printed before the error of line 2 read as if that error followed from it).
 */
final class DiagnosticOrder {
    private DiagnosticOrder() {
    }

    /** The lines to print: errors as they are, warnings marked " (warning)". */
    static List<String> lines(List<Diagnostic> errors, List<Diagnostic> warnings) {
        record Said(Diagnostic d, boolean warning) {
        }
        List<Said> all = new ArrayList<>();
        errors.forEach(e -> all.add(new Said(e, false)));
        warnings.forEach(w -> all.add(new Said(w, true)));
        Map<String, Integer> files = new LinkedHashMap<>();
        all.forEach(s -> files.putIfAbsent(s.d().file(), files.size()));
        all.sort(Comparator.<Said>comparingInt(s -> files.get(s.d().file())).thenComparingInt(s -> s.d().line()));
        return all.stream().map(s -> s.warning() ? s.d() + " (warning)" : s.d().toString()).toList();
    }
}
