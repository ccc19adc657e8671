package org.hoststated.core.config;

import java.io.IOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/** Helpers shared by the config tests: a DNS-free resolver and the conformance files. */
final class TestConfigs {
    private TestConfigs() {
    }

    /** Knows "localhost" and two names; never touches DNS. */
    static Resolver resolver() {
        try {
            return new MapResolver(Map.of(
                    "localhost", List.of(InetAddress.getByAddress("localhost", new byte[] {127, 0, 0, 1})),
                    "www.example.org", List.of(InetAddress.getByAddress(new byte[] {(byte) 192, 0, 2, 10}),
                            InetAddress.getByAddress(new byte[] {(byte) 192, 0, 2, 11})),
                    "db.example.org", List.of(InetAddress.getByAddress(new byte[] {(byte) 198, 51, 100, 7}))));
        } catch (UnknownHostException e) {
            throw new AssertionError(e);
        }
    }

    /** The shared conformance folder, found from the module or the project root. */
    static Path conformanceDir() {
        for (String p : List.of("../../shared/conformance/configs", "../shared/conformance/configs",
                "/work/shared/conformance/configs")) {
            Path d = Path.of(p);
            if (Files.isDirectory(d)) {
                return d;
            }
        }
        return null;
    }

    static List<Path> conformanceFiles() throws IOException {
        Path d = conformanceDir();
        if (d == null) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(d)) {
            return s.filter(p -> p.toString().endsWith(".conf")).sorted().toList();
        }
    }

    static LoadResult parse(String text) {
        return ConfigLoader.parse(text, "test.conf", Map.of(), resolver());
    }
}
