package org.hoststated.parent;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.hoststated.core.config.Diagnostic;
import org.junit.jupiter.api.Test;

class DiagnosticOrderTest {
    /** A warning of line 3 came before the error of line 2, as if the error followed from it (probe H). */
    @Test
    void errorsAndWarningsFollowTheFilesLines() {
        List<Diagnostic> errors = List.of(new Diagnostic("a.conf", 2, "bad"), new Diagnostic("inc.conf", 1, "worse"),
                new Diagnostic("a.conf", 9, "late"));
        List<Diagnostic> warnings = List.of(new Diagnostic("a.conf", 3, "odd"), new Diagnostic("a.conf", 0, "file"));
        assertEquals(List.of("a.conf: file (warning)", "a.conf:2: bad", "a.conf:3: odd (warning)", "a.conf:9: late",
                "inc.conf:1: worse"), DiagnosticOrder.lines(errors, warnings));
    }
}
