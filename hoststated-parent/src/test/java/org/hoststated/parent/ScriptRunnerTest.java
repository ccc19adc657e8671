package org.hoststated.parent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.hoststated.core.log.LogConfig;
import org.hoststated.core.msg.ScriptRequest;
import org.hoststated.core.posix.UnixDatagramSocket;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * A check script that cannot run (missing, not executable) is warned about once, not at every
 * check; once it has run, a new failure to run is warned about again. What a script leaves
 * running is killed.
 */
class ScriptRunnerTest {
    @TempDir
    Path dir;

    @Test
    void aScriptThatCannotRunIsWarnedOnceUntilItRuns() throws Exception {
        Path script = dir.resolve("check.sh");
        Path devLog = dir.resolve("log");
        List<String> lines = new ArrayList<>();
        try (UnixDatagramSocket syslogd = UnixDatagramSocket.bind(devLog); ScriptRunner runner = new ScriptRunner(null)) {
            LogConfig.init("hoststated", "parent", false, false, devLog);
            for (int i = 0; i < 3; i++) {
                assertEquals(-1, run(runner, script));
            }
            Files.writeString(script, "#!/bin/sh\nexit 1\n");
            Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwxr-xr-x"));
            assertEquals(1, run(runner, script));
            Files.delete(script);
            assertEquals(-1, run(runner, script));
            assertEquals(-1, run(runner, script));
            LoggerFactory.getLogger(ScriptRunnerTest.class).warn("end of test");
            byte[] buf = new byte[4096];
            for (String line = ""; !line.contains("end of test"); ) {
                line = new String(buf, 0, syslogd.receive(buf), StandardCharsets.UTF_8);
                lines.add(line);
            }
        } finally {
            LogConfig.init("hoststated", "hoststated", true, false);
        }
        assertEquals(2, lines.stream().filter(l -> l.contains("cannot run")).count(), lines.toString());
    }

    /** A command a script leaves in the background is killed once the script has exited. */
    @Test
    void whatAScriptLeavesRunningIsKilled() throws Exception {
        Path script = dir.resolve("bg.sh");
        Path pidFile = dir.resolve("bg.pid");
        Files.writeString(script, "#!/bin/sh\nsleep 60 &\necho $! > " + pidFile + "\nexit 1\n");
        Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwxr-xr-x"));
        try (ScriptRunner runner = new ScriptRunner(null)) {
            assertEquals(1, run(runner, script));
        }
        long pid = Long.parseLong(Files.readString(pidFile).trim());
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (running(pid) && System.nanoTime() < until) {
            Thread.sleep(20);
        }
        assertFalse(running(pid), "the background sleep " + pid + " still runs");
    }

    /** Alive and not a zombie waiting for init to reap it. */
    private static boolean running(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
            return !stat.substring(stat.lastIndexOf(')') + 2).startsWith("Z");
        } catch (java.io.IOException e) {
            return false;
        }
    }

    private static int run(ScriptRunner runner, Path script) throws Exception {
        CompletableFuture<Integer> status = new CompletableFuture<>();
        runner.run(new ScriptRequest(1, 1, script.toString(), "127.0.0.1", 5000), r -> status.complete(r.exitStatus()));
        return status.get(10, TimeUnit.SECONDS);
    }
}
