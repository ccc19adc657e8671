package org.hoststated.relay;

import org.hoststated.core.msg.RelayStatistics;

/**
 * The per-minute session statistics of one relay, as relayd's {@code relay_statistics} keeps
 * them: sessions in the last minute, hour and day, and running averages. Fed every
 * {@link #REFRESH_SEC} by the relay engine's loop, which owns it ({@link #refresh}).
 *
 * <p>relayd only reported once a minute, so {@code show relays} said nothing for up to a
 * minute after a relay's first sessions. Here the totals are at most {@link #REFRESH_SEC}
 * old: the last 60 s are a rolling sum of 5 s steps; the last hour and day are the closed
 * minutes and the one in progress, their oldest minute counted for the part of it still
 * inside (so they slide by 5 s steps, exact at a steady rate); the running averages move once
 * a minute, as relayd's.
 */
public final class RelayStatsWindow {
    public static final int INTERVAL_SEC = 60;
    public static final int REFRESH_SEC = 5;
    /** Refresh steps per interval: the engine's once-a-minute chores run every so many. */
    public static final int REFRESHES = INTERVAL_SEC / REFRESH_SEC;
    private static final int PER_HOUR = 3600 / INTERVAL_SEC;
    private static final int PER_DAY = 86400 / INTERVAL_SEC;

    private final long[] minutes = new long[PER_DAY];
    /** Sessions per refresh step over the last minute, a ring. */
    private final long[] steps = new long[REFRESHES];
    private long refreshes;
    private long lastStepTotal;
    private long lastTotal;
    private long tick;
    private long lastHour;
    private long lastDay;
    private long avg;
    private long hourSum;
    private long avgHour;
    private long daySum;
    private long avgDay;

    /**
     * One refresh step: the statistics as of now; every {@link #REFRESHES}th step also closes
     * the minute ({@link #next}).
     *
     * @param total sessions since start (the relay's {@link RelayCounters#total()})
     */
    public RelayStatistics refresh(int generation, int relayId, long total, long active) {
        steps[(int) (refreshes % REFRESHES)] = Math.max(0, total - lastStepTotal);
        lastStepTotal = total;
        refreshes++;
        if (refreshes % REFRESHES == 0) {
            return next(generation, relayId, total, active);
        }
        long lastMinute = 0;
        for (long n : steps) {
            lastMinute += n;
        }
        // The minute in progress is added whole, and the oldest minute of the hour (the day)
        // counts for the part of it still inside: adding the open minute to 60 closed ones
        // counted up to a minute twice (review CL: 731/h at a steady 720), and leaving out the
        // part of the latest closed minute the rolling one no longer covers lost a session for
        // a minute once it was 60 s old (probe CP).
        long open = Math.max(0, total - lastTotal);
        int k = (int) (refreshes % REFRESHES);
        long oldestOfHour = tick >= PER_HOUR ? minutes[(int) ((tick - PER_HOUR) % PER_DAY)] : 0;
        long oldestOfDay = tick >= PER_DAY ? minutes[(int) (tick % PER_DAY)] : 0;
        return new RelayStatistics(generation, relayId, total, Math.max(0, active), lastMinute,
                lastHour - oldestOfHour * k / REFRESHES + open, lastDay - oldestOfDay * k / REFRESHES + open,
                avg, avgHour, avgDay);
    }

    /**
     * Closes one interval.
     *
     * @param total sessions since start (the relay's {@link RelayCounters#total()})
     */
    public RelayStatistics next(int generation, int relayId, long total, long active) {
        long last = Math.max(0, total - lastTotal);
        lastTotal = total;
        int slot = (int) (tick % PER_DAY);
        lastDay += last - minutes[slot];
        lastHour += last - minutes[(int) ((tick + PER_DAY - PER_HOUR) % PER_DAY)] * (tick >= PER_HOUR ? 1 : 0);
        minutes[slot] = last;
        tick++;
        // relayd's running averages: halve the old value with each new interval or hour or day.
        avg = (last + avg) / 2;
        hourSum += last;
        daySum += last;
        if (tick % PER_HOUR == 0) {
            avgHour = (hourSum + avgHour) / 2;
            hourSum = 0;
        }
        if (tick % PER_DAY == 0) {
            avgDay = (daySum + avgDay) / 2;
            daySum = 0;
        }
        return new RelayStatistics(generation, relayId, total, Math.max(0, active), last, lastHour, lastDay, avg,
                avgHour, avgDay);
    }
}
