package org.hoststated.core.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The EXAMPLES of hoststated.conf(5), all of them together as one file, are a configuration
 * that loads: an operator copies them as they stand.
 */
class ManPageExamplesTest {

    @Test
    void theManPagesExamplesLoad() throws IOException {
        String page = Files.readString(page());
        int from = page.indexOf("\n.Sh EXAMPLES\n");
        int to = page.indexOf("\n.Sh ", from + 1);
        assertTrue(from >= 0 && to > from, "an EXAMPLES section");
        StringBuilder config = new StringBuilder();
        int blocks = 0;
        boolean literal = false;
        for (String line : page.substring(from, to).split("\n")) {
            if (line.startsWith(".Bd -literal")) {
                literal = true;
                blocks++;
            } else if (line.equals(".Ed")) {
                literal = false;
            } else if (literal) {
                config.append(line.replace("\\(dq", "\"").replace("\\e", "\\").replace("\\&", "")).append('\n');
            }
        }
        assertTrue(blocks >= 5, "blocks: " + blocks);
        LoadResult r = TestConfigs.parse(config.toString());
        assertEquals(List.of(), r.errors(), config.toString());
        assertFalse(r.config() == null);
    }

    /** The page, from the module's directory (as Maven runs the tests) or the project's. */
    private static Path page() {
        for (String p : List.of("../docs/hoststated.conf.5", "docs/hoststated.conf.5")) {
            if (Files.isRegularFile(Path.of(p))) {
                return Path.of(p);
            }
        }
        throw new AssertionError("docs/hoststated.conf.5 not found from " + Path.of("").toAbsolutePath());
    }
}
