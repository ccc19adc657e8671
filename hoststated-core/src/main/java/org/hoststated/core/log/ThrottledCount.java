package org.hoststated.core.log;

import java.util.concurrent.TimeUnit;

/**
 * Counts events of one kind (dropped answers, failed accepts, refused requests) and says when
 * to warn of them: at most once a minute, with the count since the last warning (the first is
 * warned of at once). A flood then costs one log line a minute, and an event that happens once
 * is still seen. Thread-safe: one that outlives a reload (a relay's dropped answers) may count
 * on two generations' loops.
 */
public final class ThrottledCount {
    private static final long EVERY_NANOS = TimeUnit.MINUTES.toNanos(1);

    private long count;
    private long lastWarning = System.nanoTime() - EVERY_NANOS;

    /** Counts one; the count to warn with now, or 0 while the last warning is under a minute old. */
    public synchronized long add() {
        count++;
        long now = System.nanoTime();
        if (now - lastWarning < EVERY_NANOS) {
            return 0;
        }
        lastWarning = now;
        long c = count;
        count = 0;
        return c;
    }
}
