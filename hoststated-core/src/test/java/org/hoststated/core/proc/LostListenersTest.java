package org.hoststated.core.proc;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class LostListenersTest {
    /** 0.1, 0.2, 0.4, 0.8 and 1.6 s after each loss, 3.1 s in all; then the engine exits. */
    @Test
    void aLostListenerIsAskedForFiveTimesWithDoublingPauses() {
        LostListeners l = new LostListeners();
        FdTag a = FdTag.listener(2, 5);
        long[] delays = {100, 200, 400, 800, 1600};
        for (int i = 0; i < delays.length; i++) {
            assertEquals(delays[i], l.lost(a));
            assertEquals(i + 1, l.asked(a));
        }
        assertEquals(-1, l.lost(a));
        assertEquals(0, l.asked(a));
    }

    @Test
    void aListenerReceivedIsNoLongerAskedForNorAreOlderGenerations() {
        LostListeners l = new LostListeners();
        FdTag a5 = FdTag.listener(2, 5);
        FdTag b5 = FdTag.listener(3, 5);
        FdTag a6 = FdTag.listener(2, 6);
        l.lost(a5);
        l.lost(a5);
        l.lost(b5);
        l.received(a5);
        assertEquals(0, l.asked(a5));
        assertEquals(1, l.asked(b5));
        assertEquals(100, l.lost(a5), "lost again after it came: asked for from the start");
        l.lost(a6);
        l.received(FdTag.listener(7, 6));
        assertEquals(0, l.asked(a5));
        assertEquals(0, l.asked(b5));
        assertEquals(1, l.asked(a6));
    }
}
