package org.hoststated.hce.check;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** When a timeout is the engine's fault rather than the host's: at most one more timeout. */
class EngineLagTest {
    private static final long SECOND = TimeUnit.SECONDS.toNanos(1);

    @Test
    void aTimerOnTimeGrantsNothing() {
        // The deadline is a second away: "now" is well before it, so not late at all.
        assertFalse(new EngineLag(System.nanoTime() + SECOND).grantAgain(false));
    }

    @Test
    void aLateTimerGrantsTheTimeoutOnce() {
        // The deadline passed a second ago: the timer runs a second late.
        EngineLag lag = new EngineLag(System.nanoTime() - SECOND);
        assertTrue(lag.grantAgain(false));
        assertFalse(lag.grantAgain(false), "only once");
    }

    @Test
    void anUnservedSocketGrantsTheTimeoutOnce() {
        EngineLag lag = new EngineLag(System.nanoTime() + SECOND);
        assertTrue(lag.grantAgain(true));
        assertFalse(lag.grantAgain(true), "only once");
        assertEquals(SECOND, lag.timeoutNanos(), SECOND / 10);
    }
}
