package org.hoststated.parent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.hoststated.core.posix.Fds;
import org.hoststated.core.posix.SocketPair;
import org.junit.jupiter.api.Test;

/**
 * What an engine writes on its fds 1 and 2 reaches the parent's log line by line under the
 * engine's name, which the engine cannot change, with control characters escaped.
 */
class EngineOutputTest {
    private final List<String> logged = new ArrayList<>();
    @org.junit.jupiter.api.io.TempDir
    Path dir;

    @Test
    void linesGoUnderTheEnginesNameEscapedAndInPieces() throws Exception {
        String longLine = "x".repeat(EngineOutput.MAX_LINE + 100);
        List<String> got = copy("hce: host www1 is up\n"
                + "OpenJDK 64-Bit Server VM warning: a JVM line\n"
                + "\n"
                + "parent: a line under another name\n"
                + "relay: and another\n"
                + "\u001b[2Jterminal escapes\r\n"
                + "hce: " + longLine + "\n"
                + "hce: the last line, cut by the exit");
        assertEquals(List.of(
                "hce|host www1 is up",
                "hce|OpenJDK 64-Bit Server VM warning: a JVM line",
                "hce|parent: a line under another name",
                "hce|relay: and another",
                "hce|\\x1b[2Jterminal escapes\\r",
                "hce|" + "x".repeat(EngineOutput.MAX_LINE - 5),
                "hce|" + "x".repeat(105),
                "hce|the last line, cut by the exit"), got);
    }

    @Test
    void aLineSplitAcrossWritesIsOneLine() throws Exception {
        int[] pair = SocketPair.open();
        String socket = link(pair[0]);
        EngineOutput out = EngineOutput.start("relay", pair[0], 1, dir, this::log);
        Fds.writeFully(pair[1], "relay: relay www, sess".getBytes(StandardCharsets.UTF_8));
        Thread.sleep(50);
        Fds.writeFully(pair[1], "ion 7 closed: done\n".getBytes(StandardCharsets.UTF_8));
        Fds.close(pair[1]);
        out.awaitEnd(Duration.ofSeconds(10));
        assertEquals(List.of("relay|relay www, session 7 closed: done"), logged());
        // The reader closed its end at the end of the output (another thread may have the
        // number by now, for another file: CI once saw it open again).
        assertNotEquals(socket, link(pair[0]));
    }

    /**
     * A JVM's crash report: its summary stays in the log, its body (registers, memory, the
     * environment: 700 lines) goes to a file only root may read (probe AN).
     */
    @Test
    void theBodyOfACrashReportGoesToAFileOfItsOwn() throws Exception {
        // A file planted under the name the pid would give changes nothing (probe AQ).
        Files.createSymbolicLink(dir.resolve("hoststated-hce-crash-4321.log"), dir.resolve("elsewhere"));
        List<String> got = copy("#\n" + CrashReport.FATAL + ":\n#\n#  SIGSEGV (0xb) at pc=0x1, pid=4321\n#\n"
                + "---------------  S U M M A R Y ------------\n\nCommand Line: secret\n"
                + "---------------  T H R E A D  ---------------\nRegisters:\n");
        Path file;
        try (var made = Files.list(dir)) {
            file = made.filter(p -> p.getFileName().toString().matches("hoststated-hce-crash-4321-\\d+\\.log"))
                    .findFirst().orElseThrow();
        }
        assertEquals(List.of("hce|#", "hce|" + CrashReport.FATAL + ":", "hce|#", "hce|#  SIGSEGV (0xb) at pc=0x1, pid=4321",
                "hce|#", "hce|the rest of its crash report goes to " + file,
                "hce|its crash report, 4 lines, is in " + file + " (readable by root only)"), got);
        assertEquals(List.of("---------------  S U M M A R Y ------------", "Command Line: secret",
                "---------------  T H R E A D  ---------------", "Registers:"), Files.readAllLines(file));
        assertEquals("rw-------", java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
        assertFalse(Files.exists(dir.resolve("elsewhere")));
    }

    /** A directory where it cannot be made: the report stays in the log. */
    @Test
    void aCrashReportThatCannotBeKeptStaysInTheLog() throws Exception {
        dir = dir.resolve("missing");
        List<String> got = copy(CrashReport.FATAL + ":\n---------------  S U M M A R Y ------------\nbody\n");
        assertEquals(3 + 1, got.size(), got.toString());
        assertTrue(got.get(1).startsWith("hce|cannot keep its crash report in " + dir + ": "), got.toString());
        assertEquals("hce|body", got.get(3));
    }

    /** What descriptor {@code fd} of this process is, or "closed". */
    private static String link(int fd) {
        try {
            return Files.readSymbolicLink(Path.of("/proc/self/fd/" + fd)).toString();
        } catch (IOException e) {
            return "closed";
        }
    }

    private List<String> copy(String written) throws Exception {
        int[] pair = SocketPair.open();
        EngineOutput out = EngineOutput.start("hce", pair[0], 4321, dir, this::log);
        Fds.writeFully(pair[1], written.getBytes(StandardCharsets.UTF_8));
        Fds.close(pair[1]);
        out.awaitEnd(Duration.ofSeconds(10));
        return logged();
    }

    private void log(String procName, org.slf4j.event.Level level, String line) {
        synchronized (logged) {
            logged.add(procName + "|" + (level == org.slf4j.event.Level.WARN ? "" : level + "|") + line);
        }
    }

    /** An engine's line keeps the level its priority gives (probe AY: the journal filed all as info). */
    @Test
    void anEnginesLineKeepsItsLevel() throws Exception {
        assertEquals(List.of("hce|ERROR|a failure", "hce|INFO|host www1 is up", "hce|a warning", "hce|DEBUG|detail",
                "hce|<4>parent: not its own name", "hce|<9>hce: no such priority"),
                copy("<3>hce: a failure\n<6>hce: host www1 is up\n<4>hce: a warning\n<7>hce: detail\n"
                        + "<4>parent: not its own name\n<9>hce: no such priority\n"));
    }

    private List<String> logged() {
        synchronized (logged) {
            return List.copyOf(logged);
        }
    }
}
