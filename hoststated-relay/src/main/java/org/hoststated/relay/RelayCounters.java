package org.hoststated.relay;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import org.hoststated.core.log.ThrottledCount;

/**
 * Session counters of one relay, written by every worker loop (adders, so workers do not
 * contend on one cache line) and read by the relay engine's loop for {@code STATISTICS}.
 * A relay that stays across a reload keeps its counters.
 */
public final class RelayCounters {
    private final LongAdder total = new LongAdder();
    private final LongAdder active = new LongAdder();
    private final AtomicInteger sessionIds = new AtomicInteger();
    /**
     * A DNS relay's warnings of answers dropped as no query's: kept across a reload with the
     * counters, so that the generation after it neither warns again within the minute nor
     * loses the count of what was dropped since the last warning (it said 1 where 4 were).
     */
    private final ThrottledCount droppedAnswers = new ThrottledCount();

    /**
     * Connections (queries, for a DNS relay) a {@code disable}d relay closed (dropped) as they
     * came: said at most once a minute, so that a relay left disabled by mistake shows in the
     * log. It was silent, its clients reset without a word (probe X).
     */
    private final ThrottledCount refusedWhileDisabled = new ThrottledCount();

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

    /** {@link #droppedAnswers}. */
    public ThrottledCount droppedAnswers() {
        return droppedAnswers;
    }

    /** {@link #refusedWhileDisabled}. */
    public ThrottledCount refusedWhileDisabled() {
        return refusedWhileDisabled;
    }
}
