package org.hoststated.parent;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * What the kernel says a child process is doing, from {@code /proc/<pid>/stat}: the watchdog
 * gives an engine that applies a configuration a minute to answer, which a JVM parsing a huge
 * configuration may need, but a stopped one (SIGSTOP, a debugger) is not busy, and waiting
 * out the minute left its relays or verdicts frozen for all of it (probe U).
 */
final class ProcessState {
    private ProcessState() {
    }

    /** Whether process {@code pid} is stopped by a signal or traced; false if that cannot be read. */
    static boolean stopped(long pid) {
        try {
            return stoppedIn(Files.readString(Path.of("/proc/" + pid + "/stat")));
        } catch (IOException | RuntimeException e) {
            return false; // not Linux, or the process is gone: its exit is seen elsewhere
        }
    }

    /** The state field of a {@code stat} line, after the command in parentheses (which may hold any character). */
    static boolean stoppedIn(String stat) {
        int end = stat.lastIndexOf(')');
        if (end < 0 || end + 2 >= stat.length()) {
            return false;
        }
        char state = stat.charAt(end + 2);
        return state == 'T' || state == 't';
    }
}
