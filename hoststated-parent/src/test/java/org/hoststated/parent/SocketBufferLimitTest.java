package org.hoststated.parent;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.hoststated.core.config.Config;
import org.hoststated.core.config.ConfigLoader;
import org.hoststated.core.config.SystemResolver;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A socket buffer above the kernel's limit is warned of (probe AE: cut down without a word). */
class SocketBufferLimitTest {
    @TempDir
    Path dir;

    @Test
    void aBufferAboveTheKernelsLimitIsWarnedOf() throws Exception {
        Path core = Files.createDirectories(dir.resolve("core"));
        Files.writeString(core.resolve("rmem_max"), "4194304\n");
        Files.writeString(core.resolve("wmem_max"), "8388608\n");
        Config c = config("protocol big {\n tcp { socket buffer 16777216 }\n}\nprotocol ok {\n tcp { socket buffer 4194304 }\n}\n"
                + "relay a {\n listen on 127.0.0.1 port 8001\n protocol big\n forward to 127.0.0.2 port 80\n}\n"
                + "relay b {\n listen on 127.0.0.1 port 8002\n protocol ok\n forward to 127.0.0.2 port 80\n}\n");
        assertEquals(List.of("protocol big: tcp socket buffer 16777216 is above the kernel's limit for the relay engine"
                + " (4194304 bytes: net.core.rmem_max and wmem_max), which it is cut to; raise those, or leave the"
                + " option out to keep the kernel's autotuning"), SocketBufferLimit.problems(c, core));
        assertEquals(List.of(), SocketBufferLimit.problems(c, dir.resolve("none")));
    }

    /** The kernel's own files: Files.readString gave their first byte alone ("4" for 4194304). */
    @Test
    void theKernelsLimitIsReadWhole() throws Exception {
        Path core = Path.of("/proc/sys/net/core");
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.isReadable(core.resolve("rmem_max")), "no /proc: skipped");
        long limit = Math.min(Long.parseLong(Files.readAllLines(core.resolve("rmem_max")).get(0).trim()),
                Long.parseLong(Files.readAllLines(core.resolve("wmem_max")).get(0).trim()));
        org.junit.jupiter.api.Assumptions.assumeTrue(limit < Integer.MAX_VALUE, "no limit to pass: skipped");
        Config c = config("protocol big {\n tcp { socket buffer " + (limit + 1) + " }\n}\n"
                + "relay a {\n listen on 127.0.0.1 port 8001\n protocol big\n forward to 127.0.0.2 port 80\n}\n");
        List<String> w = SocketBufferLimit.problems(c);
        assertEquals(1, w.size(), w.toString());
        org.junit.jupiter.api.Assertions.assertTrue(w.get(0).contains("(" + limit + " bytes"), w.get(0));
    }

    private static Config config(String text) {
        return ConfigLoader.parse("l3 backend none\n" + text, "t.conf", Map.of(), new SystemResolver()).config();
    }
}
