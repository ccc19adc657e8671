package org.hoststated.relay;

import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import org.hoststated.core.log.ThrottledCount;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Session counters of one relay, written by every worker loop (adders, so workers do not
 * contend on one cache line) and read by the relay engine's loop for {@code STATISTICS}.
 * A relay that stays across a reload keeps its counters.
 */
public final class RelayCounters {
    private final LongAdder total = new LongAdder();
    private final LongAdder active = new LongAdder();
    /**
     * A long: the ids last the relay's whole life, reloads included, and a DNS relay takes one
     * per query; an int went negative after 2^31 sessions, and the parent refused that
     * session's {@code show sessions} row as malformed and restarted the engine (review CL).
     */
    private final AtomicLong sessionIds = new AtomicLong();
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

    /**
     * Sessions that ended as no server could be connected (every host tried, or the one
     * destination): a warning at most once a minute, with the last one's reason, so that an
     * outage shows at the default log level, where the session lines need {@code log updates}
     * (probe BA: 20 502s and not a line; nginx logs each failed upstream connect).
     */
    private final ThrottledCount unserved = new ThrottledCount();
    /** Written by the worker loop of the last unserved session, read on the timer's that warns. */
    private volatile String lastUnserved;
    private static final Logger log = LoggerFactory.getLogger(RelayCounters.class);

    /**
     * A session of relay {@code relayName} (as the log names it) found no server: {@code why}, as
     * its close line says it. On a worker loop, {@code timer}.
     */
    public void unserved(ScheduledExecutorService timer, String relayName, String why) {
        lastUnserved = why;
        unserved.add(timer, n -> log.warn("relay {}: {} could not reach a server since the last such line; the last: {}",
                relayName, n == 1 ? "1 session" : n + " sessions", lastUnserved));
    }

    /** A session was accepted; returns its id for log lines. */
    public long opened() {
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
