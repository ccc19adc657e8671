package org.hoststated.core.log;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.LongConsumer;

/**
 * Counts events of one kind (dropped answers, failed accepts, refused requests) and says when
 * to warn of them: at most once a minute, with the count since the last warning (the first is
 * warned of at once). A flood then costs one log line a minute, and an event that happens once
 * is still seen. What a minute held back is warned of when the minute is up
 * ({@link #add(ScheduledExecutorService, LongConsumer)}), not at the next event, which may
 * never come: a burst of 324 refused clients was logged as 1 until another client was refused
 * (probe R). Thread-safe: one that outlives a reload (a
 * relay's dropped answers) may count on two generations' loops.
 */
public final class ThrottledCount {
    private static final long MINUTE_NANOS = TimeUnit.MINUTES.toNanos(1);
    /** The counts held back and their warnings, for {@link #flushPending} at a process's end. */
    private static final Set<Pending> PENDING = ConcurrentHashMap.newKeySet();

    private record Pending(ThrottledCount count, LongConsumer warn) {
    }

    private final long everyNanos;
    private long count;
    private long lastWarning;
    /** What this count holds back, while it does: kept for {@link #flushPending}. */
    private Pending pending;
    /**
     * The warning of it scheduled, or null: one a loop's end cancelled is scheduled again at
     * the next event. A count outlives a reload (a relay's), its timer a loop that a change of
     * {@code prefork} shuts down, and a flag "scheduled" left set kept every later minute's
     * count back until the next event (review CN).
     */
    private Future<?> scheduled;

    public ThrottledCount() {
        this(MINUTE_NANOS);
    }

    /** Warns at most once per {@code everyNanos} (tests). */
    ThrottledCount(long everyNanos) {
        this.everyNanos = everyNanos;
        this.lastWarning = System.nanoTime() - everyNanos;
    }

    /** Counts one; the count to warn with now, or 0 while the last warning is under a minute old. */
    public synchronized long add() {
        count++;
        long now = System.nanoTime();
        if (now - lastWarning < everyNanos) {
            return 0;
        }
        lastWarning = now;
        long c = count;
        count = 0;
        return c;
    }

    /**
     * Counts one as {@link #add} does and warns through {@code warn} with the count when it is
     * due: now, or once the last warning is a minute old, on {@code timer}, unless an event
     * then warns first. {@code warn} runs on the caller's thread or on the timer's.
     */
    public void add(ScheduledExecutorService timer, LongConsumer warn) {
        long n = add();
        if (n > 0) {
            warn.accept(n);
        } else {
            later(timer, warn);
        }
    }

    private synchronized void later(ScheduledExecutorService timer, LongConsumer warn) {
        if (scheduled != null && !scheduled.isDone()) {
            return;
        }
        if (pending == null) {
            pending = new Pending(this, warn);
            PENDING.add(pending);
        }
        Pending p = pending;
        long delay = Math.max(0, lastWarning + everyNanos - System.nanoTime());
        try {
            // Under the lock: a timer runs the task on its own thread, whose flush waits for it.
            scheduled = timer.schedule(() -> flush(p), delay, TimeUnit.NANOSECONDS);
        } catch (RejectedExecutionException e) {
            // The loop is stopping: the next event schedules again, or the process's end flushes it.
            scheduled = null;
        }
    }

    /** Warns of what {@code p} held back, if it still does; once. */
    private static void flush(Pending p) {
        ThrottledCount c = p.count();
        long n;
        synchronized (c) {
            if (c.pending != p) {
                return;
            }
            PENDING.remove(p);
            c.pending = null;
            c.scheduled = null;
            n = c.count;
            if (n == 0) {
                return;
            }
            c.count = 0;
            c.lastWarning = System.nanoTime();
        }
        p.warn().accept(n);
    }

    /**
     * Warns now of every count held back in this process: called as an engine or the daemon
     * stops, whose timers go with it, so that a burst refused in its last minute is still
     * counted (probe V).
     */
    public static void flushPending() {
        for (Pending p : PENDING.toArray(new Pending[0])) {
            flush(p);
        }
    }
}
