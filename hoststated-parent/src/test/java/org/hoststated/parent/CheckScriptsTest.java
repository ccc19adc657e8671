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
        Path directory = Files.createDirectory(dir.resolve("scripts"));
        StringBuilder text = new StringBuilder("l3 backend none\n");
        int n = 0;
        for (Path p : List.of(ok, plain, missing, directory)) {
            n++;
            text.append("table t").append(n).append(" {\n  real port 80\n  check script \"").append(p)
                    .append("\"\n  host 127.0.0.1\n}\nservice s").append(n).append(" {\n  virtual host 127.0.0.")
                    .append(n + 1).append(" port 80\n  table t").append(n).append("\n}\n");
        }
        Path file = Files.writeString(dir.resolve("hoststated.conf"), text);
        Config config = new ConfigSource(file, Map.of()).load().loaded().config();
        assertEquals(List.of("table t2: check script " + plain + ": not executable",
                "table t3: check script " + missing + ": no such file",
                "table t4: check script " + directory + ": not a regular file"), CheckScripts.problems(config));
    }

    /** A missing script is a typo, not an intruder (probe BA: "anyone could run what they like"). */
    @Test
    void aMissingScriptIsRefusedAsMissing() {
        assertEquals("no such file", CheckScripts.untrusted(dir.resolve("missing.sh")));
    }

    /** A script every user may change runs what anyone likes as the daemon's user (probe G). */
    @Test
    void aScriptEveryUserMayChangeIsReported() throws Exception {
        Path open = Files.writeString(dir.resolve("open.sh"), "#!/bin/sh\nexit 1\n");
        Files.setPosixFilePermissions(open, PosixFilePermissions.fromString("rwxr-xrwx"));
        assertEquals(List.of("table t: check script " + open + ": it is writable by every user (chmod o-w): anyone"
                + " could run what they like through it as the daemon's user; the daemon will not run it"),
                problemsOfOneTableCheckedBy(open));
    }

    /** So is one in a directory every user may change, who may replace it there (probe G of session 56). */
    @Test
    void aScriptInADirectoryEveryUserMayChangeIsReported() throws Exception {
        Path ww = Files.createDirectory(dir.resolve("ww"));
        Files.setPosixFilePermissions(ww, PosixFilePermissions.fromString("rwxrwxrwx"));
        Path script = Files.writeString(ww.resolve("s.sh"), "#!/bin/sh\nexit 1\n");
        Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwxr-xr-x"));
        assertEquals(List.of("table t: check script " + script + ": directory " + ww + " is writable by every user"
                + " (chmod o-w, or +t): anyone may replace the file: anyone could run what they like through it as the"
                + " daemon's user; the daemon will not run it"), problemsOfOneTableCheckedBy(script));
    }

    /** What -n says of a configuration whose one table is checked by {@code script}. */
    private List<String> problemsOfOneTableCheckedBy(Path script) throws Exception {
        Path file = Files.writeString(dir.resolve("hoststated.conf"), "l3 backend none\ntable t {\n  real port 80\n"
                + "  check script \"" + script + "\"\n  host 127.0.0.1\n}\nservice s {\n  virtual host 127.0.0.2 port 80\n"
                + "  table t\n}\n");
        Config config = new ConfigSource(file, Map.of()).load().loaded().config();
        return CheckScripts.problems(config);
    }

    /**
     * The daemon runs a name without a '/' from its search path and a relative path from its
     * working directory; -n looked both up from its own directory, so 'check script "chk.sh"'
     * next to the configuration passed and then marked its hosts down at every check (127,
     * not found), and "./chk.sh" worked with -d from that directory only.
     */
    @Test
    void pathsAreJudgedAsTheDaemonRunsThem() throws Exception {
        Files.writeString(dir.resolve("chk.sh"), "#!/bin/sh\nexit 1\n");
        StringBuilder text = new StringBuilder("l3 backend none\n");
        List<String> scripts = List.of("false", "chk.sh", "./chk.sh");
        for (int n = 1; n <= scripts.size(); n++) {
            text.append("table t").append(n).append(" {\n  real port 80\n  check script \"")
                    .append(scripts.get(n - 1)).append("\"\n  host 127.0.0.1\n}\nservice s").append(n)
                    .append(" {\n  virtual host 127.0.0.").append(n + 1).append(" port 80\n  table t").append(n)
                    .append("\n}\n");
        }
        Path file = Files.writeString(dir.resolve("hoststated.conf"), text);
        Config config = new ConfigSource(file, Map.of()).load().loaded().config();
        assertEquals(List.of(
                "table t2: check script chk.sh: not found in " + ScriptRunner.SEARCH_PATH
                        + ", where a name without '/' is looked up",
                "table t3: check script ./chk.sh: a relative path, taken from the daemon's working directory",
                "table t3: check script ./chk.sh: no such file"), CheckScripts.problems(config));
    }
}
