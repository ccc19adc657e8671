package org.hoststated.core.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** The example configurations of the original must load, and survive print and re-load. */
class ConformanceTest {
    static Stream<Path> files() throws IOException {
        var files = TestConfigs.conformanceFiles();
        if (files.isEmpty()) {
            System.err.println("conformance configs not found (../../shared/conformance/configs); skipped");
            return Stream.of(Path.of("<absent>"));
        }
        return files.stream();
    }

    @ParameterizedTest
    @MethodSource("files")
    void loadsWithoutErrors(Path file) {
        Assumptions.assumeTrue(!file.toString().equals("<absent>"), "conformance configs absent");
        LoadResult r = ConfigLoader.load(file, Map.of(), TestConfigs.resolver());
        assertTrue(r.ok(), () -> file + ": " + r.errors());
    }

    @ParameterizedTest
    @MethodSource("files")
    void roundTrips(Path file) {
        Assumptions.assumeTrue(!file.toString().equals("<absent>"), "conformance configs absent");
        LoadResult r = ConfigLoader.load(file, Map.of(), TestConfigs.resolver());
        assertTrue(r.ok(), () -> r.errors().toString());
        String printed = ConfigPrinter.print(r.config());
        LoadResult again = ConfigLoader.parse(printed, "printed.conf", Map.of(), TestConfigs.resolver());
        assertTrue(again.ok(), () -> again.errors() + "\n" + printed);
        assertEquals(r.config(), again.config(), printed);
        assertEquals(printed, ConfigPrinter.print(again.config()));
    }
}
