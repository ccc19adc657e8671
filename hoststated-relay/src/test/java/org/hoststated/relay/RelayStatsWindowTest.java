package org.hoststated.relay;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.hoststated.core.msg.RelayStatistics;
import org.junit.jupiter.api.Test;

class RelayStatsWindowTest {
    @Test
    void countsTheLastMinuteHourAndDay() {
        RelayStatsWindow w = new RelayStatsWindow();
        long total = 0;
        RelayStatistics s = null;
        // Two sessions a minute for 25 hours.
        for (int minute = 0; minute < 25 * 60; minute++) {
            total += 2;
            s = w.next(3, 7, total, 1);
        }
        assertEquals(3, s.generation());
        assertEquals(7, s.relayId());
        assertEquals(total, s.total());
        assertEquals(1, s.active());
        assertEquals(2, s.last60s());
        assertEquals(120, s.lastHour());
        assertEquals(2880, s.lastDay());
        assertEquals(1, s.avg60s()); // (2 + 1) / 2 with integer halving, as relayd
    }

    @Test
    void aQuietHourEmptiesTheHourWindow() {
        RelayStatsWindow w = new RelayStatsWindow();
        RelayStatistics s = w.next(1, 1, 100, 0);
        assertEquals(100, s.lastHour());
        for (int i = 0; i < 60; i++) {
            s = w.next(1, 1, 100, 0);
        }
        assertEquals(0, s.last60s());
        assertEquals(0, s.lastHour());
        assertEquals(100, s.lastDay());
    }
}
