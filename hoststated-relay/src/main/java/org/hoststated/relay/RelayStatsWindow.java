package org.hoststated.relay;

import org.hoststated.core.msg.RelayStatistics;

/**
 * The per-minute session statistics of one relay, as relayd's {@code relay_statistics} keeps
 * them: sessions in the last minute, hour and day, and running averages. Fed once per
 * {@link #INTERVAL_SEC} by the relay engine's loop, which owns it.
 */
public final class RelayStatsWindow {
    public static final int INTERVAL_SEC = 60;
    private static final int PER_HOUR = 3600 / INTERVAL_SEC;
    private static final int PER_DAY = 86400 / INTERVAL_SEC;

    private final long[] minutes = new long[PER_DAY];
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
