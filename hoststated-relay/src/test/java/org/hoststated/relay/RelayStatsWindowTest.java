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

    /** Between the minute's closes, the figures are those of the last refresh step. */
    @Test
    void refreshStepsReportTheRollingMinuteAndTheOpenOne() {
        RelayStatsWindow w = new RelayStatsWindow();
        RelayStatistics s = w.refresh(1, 1, 3, 1);
        assertEquals(3, s.total());
        assertEquals(3, s.last60s());
        assertEquals(3, s.lastHour());
        assertEquals(3, s.lastDay());
        assertEquals(0, s.avg60s()); // averages move once a minute
        for (int i = 1; i < 12; i++) {
            s = w.refresh(1, 1, 3 + i, 0); // one more session per step: the minute closes at the 12th
        }
        assertEquals(14, s.last60s());
        assertEquals(14, s.lastHour());
        assertEquals(7, s.avg60s());
        for (int i = 0; i < 11; i++) {
            s = w.refresh(1, 1, 14, 0);
        }
        assertEquals(1, s.last60s()); // 55 s later, the last step of the first minute is still in
        s = w.refresh(1, 1, 14, 0);
        assertEquals(0, s.last60s());
        assertEquals(14, s.lastHour());
        assertEquals(14, s.lastDay());
    }

    /**
     * Review CL: at one session per refresh step the hour holds 720 and the day 17,280 at every
     * step; the minute in progress added to 60 closed minutes made a sawtooth up to 731/h.
     */
    @Test
    void aSteadyRateGivesTheSameHourAndDayAtEveryStep() {
        RelayStatsWindow w = new RelayStatsWindow();
        StringBuilder wrong = new StringBuilder();
        for (int step = 0; step < RelayStatsWindow.REFRESHES * 60 * 26; step++) {
            RelayStatistics s = w.refresh(1, 0, step + 1, 1);
            boolean steady = step >= RelayStatsWindow.REFRESHES * 60 * 25;
            if (steady && (s.last60s() != 12 || s.lastHour() != 720 || s.lastDay() != 17_280) && wrong.length() < 300) {
                wrong.append(step % RelayStatsWindow.REFRESHES).append(": ").append(s.last60s()).append("/60s ")
                        .append(s.lastHour()).append("/h ").append(s.lastDay()).append("/d; ");
            }
        }
        assertEquals("", wrong.toString());
    }

    /**
     * Probe CP: one session, then none: counted in the hour and the day at every step of its
     * first 59 minutes (it was left out for up to 55 s once it was 60 s old), and gone from
     * the hour after 61.
     */
    @Test
    void aSessionStaysInTheHourAndDayUntilItIsAnHourOld() {
        RelayStatsWindow w = new RelayStatsWindow();
        w.refresh(1, 0, 0, 0);
        StringBuilder wrong = new StringBuilder();
        RelayStatistics s = null;
        for (int step = 1; step <= RelayStatsWindow.REFRESHES * 59; step++) {
            s = w.refresh(1, 0, 1, 0);
            if ((s.lastHour() != 1 || s.lastDay() != 1) && wrong.length() < 300) {
                wrong.append(step * RelayStatsWindow.REFRESH_SEC).append(" s: ").append(s.lastHour()).append("/h ")
                        .append(s.lastDay()).append("/d; ");
            }
        }
        assertEquals("", wrong.toString());
        for (int step = 0; step < RelayStatsWindow.REFRESHES * 2; step++) {
            s = w.refresh(1, 0, 1, 0);
        }
        assertEquals(0, s.lastHour());
        assertEquals(1, s.lastDay());
    }
}
