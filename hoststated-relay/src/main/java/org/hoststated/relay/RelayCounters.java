package org.hoststated.relay;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/**
 * Session counters of one relay, written by every worker loop (adders, so workers do not
 * contend on one cache line) and read by the relay engine's loop for {@code STATISTICS}.
 * A relay that stays across a reload keeps its counters.
 */
public final class RelayCounters {
    private final LongAdder total = new LongAdder();
    private final LongAdder active = new LongAdder();
    private final AtomicInteger sessionIds = new AtomicInteger();

    /** A session was accepted; returns its id for log lines. */
    public int opened() {
        total.increment();
        active.increment();
        return sessionIds.incrementAndGet();
    }

    public void closed() {
        active.decrement();
    }

    public long total() {
        return total.sum();
    }

    public long active() {
        return active.sum();
    }
}
