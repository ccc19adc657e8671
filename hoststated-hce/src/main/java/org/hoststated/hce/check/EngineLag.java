package org.hoststated.hce.check;

import java.util.concurrent.TimeUnit;

/**
 * Tells the engine's own lateness from a host's. A deadline timer that runs well after its
 * deadline means the event loop was stalled (a burst of work, a collection, a cold JVM at
 * start): whatever the check was waiting for may have been held up by the engine, so a timeout
 * then would be a false verdict (HCE-SCALE.md). Used by the probes in hce, on the event loop.
 */
final class EngineLag {
    /** Lateness always tolerated: a loop serves timers in its own time. */
    private static final long SLACK_NANOS = TimeUnit.MILLISECONDS.toNanos(20);

    private EngineLag() {
    }

    /** Whether a timer for {@code deadlineNanos} running at {@code nowNanos} ran so late the loop was stalled. */
    static boolean stalled(long deadlineNanos, long timeoutNanos, long nowNanos) {
        return nowNanos - deadlineNanos > Math.max(SLACK_NANOS, timeoutNanos / 10);
    }
}
