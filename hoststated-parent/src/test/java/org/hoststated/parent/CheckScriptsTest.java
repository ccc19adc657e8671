package org.hoststated.parent;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import org.hoststated.core.config.Config;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** hoststated -n warns about check scripts that are missing or not executable. */
class CheckScriptsTest {
    @TempDir
    Path dir;

    @Test
    void missingAndNonExecutableScriptsAreReported() throws Exception {
        Path ok = Files.writeString(dir.resolve("ok.sh"), "#!/bin/sh\nexit 1\n");
        Files.setPosixFilePermissions(ok, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path plain = Files.writeString(dir.resolve("plain.sh"), "#!/bin/sh\nexit 1\n");
        Files.setPosixFilePermissions(plain, PosixFilePermissions.fromString("rw-r--r--"));
        Path missing = dir.resolve("missing.sh");
        StringBuilder text = new StringBuilder("l3 backend none\n");
        int n = 0;
        for (Path p : List.of(ok, plain, missing)) {
            n++;
            text.append("table t").append(n).append(" {\n  real port 80\n  check script \"").append(p)
                    .append("\"\n  host 127.0.0.1\n}\nservice s").append(n).append(" {\n  virtual host 127.0.0.")
                    .append(n + 1).append(" port 80\n  table t").append(n).append("\n}\n");
        }
        Path file = Files.writeString(dir.resolve("hoststated.conf"), text);
        Config config = new ConfigSource(file, Map.of()).load().loaded().config();
        assertEquals(List.of("table t2: check script " + plain + ": not executable",
                "table t3: check script " + missing + ": no such file"), CheckScripts.problems(config));
    }
}
