package org.hoststated.hce.check;

import java.util.concurrent.TimeUnit;

/**
 * Tells the engine's own lateness from a host's, for one check. A deadline timer that runs well
 * after its deadline means the event loop was stalled (a burst of work, a collection, a cold JVM
 * at start): whatever the check was waiting for may have been held up by the engine, so a
 * timeout then would be a false verdict (HCE-SCALE.md). Such a check, and one whose connect the
 * loop had not served yet, gets its timeout once more. Used by the probes in hce, on the loop.
 */
final class EngineLag {
    /** Lateness always tolerated: a loop serves timers in its own time. */
    private static final long SLACK_NANOS = TimeUnit.MILLISECONDS.toNanos(20);
    private final long deadlineNanos;
    private final long timeoutNanos;
    private boolean extended;

    /** Made when the check starts. */
    EngineLag(long deadlineNanos) {
        this.deadlineNanos = deadlineNanos;
        this.timeoutNanos = Math.max(0, deadlineNanos - System.nanoTime());
    }

    /**
     * At the deadline, with nothing decided: whether the host gets its timeout once more, because
     * the timer ran late or {@code unserved} (the loop had not served a ready socket).
     */
    boolean grantAgain(boolean unserved) {
        if (extended) {
            return false;
        }
        long late = System.nanoTime() - deadlineNanos;
        extended = unserved || late > Math.max(SLACK_NANOS, timeoutNanos / 10);
        return extended;
    }

    /** The table timeout this check started with. */
    long timeoutNanos() {
        return timeoutNanos;
    }
}
