package org.hoststated.parent;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The kernel's word on whether a child is stopped, read from a real process. */
class ProcessStateTest {
    @Test
    void aProcessIsStoppedFromSigstopUntilSigcont() throws Exception {
        assumeTrue(Files.isDirectory(Path.of("/proc/self")), "no /proc here");
        Process p = new ProcessBuilder("sleep", "30").start();
        try {
            assertFalse(ProcessState.stopped(p.pid()));
            signal("STOP", p.pid());
            assertTrue(awaitState(p.pid(), true), "stopped after SIGSTOP");
            signal("CONT", p.pid());
            assertTrue(awaitState(p.pid(), false), "running again after SIGCONT");
        } finally {
            p.destroyForcibly().waitFor();
        }
    }

    @Test
    void aGoneProcessIsNotStopped() {
        assertFalse(ProcessState.stopped(Integer.MAX_VALUE));
    }

    @Test
    void theStateIsReadAfterTheCommandWhateverItHolds() {
        assertTrue(ProcessState.stoppedIn("42 (a) S (b) T 1 42 42 0 -1"));
        assertFalse(ProcessState.stoppedIn("42 (x) T ) S 1 42 42 0 -1"));
        assertTrue(ProcessState.stoppedIn("42 (java) t 1 42"));
        assertFalse(ProcessState.stoppedIn("42 (java"));
        assertFalse(ProcessState.stoppedIn("42 (java)"));
    }

    private static void signal(String sig, long pid) throws Exception {
        new ProcessBuilder("kill", "-" + sig, Long.toString(pid)).start().waitFor();
    }

    private static boolean awaitState(long pid, boolean stopped) throws InterruptedException {
        for (int i = 0; i < 200; i++) {
            if (ProcessState.stopped(pid) == stopped) {
                return true;
            }
            Thread.sleep(10);
        }
        return false;
    }
}
