package org.hoststated.core.log;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class ThrottledCountTest {
    /**
     * A burst is warned of as its first event at once and the rest when the period is up, not
     * at the next event, which may never come: 324 refused clients were logged as 1 (probe R).
     */
    @Test
    void whatAPeriodHeldBackIsWarnedOfWhenItIsUp() throws Exception {
        ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();
        try {
            ThrottledCount c = new ThrottledCount(TimeUnit.MILLISECONDS.toNanos(300));
            List<Long> warned = new CopyOnWriteArrayList<>();
            for (int i = 0; i < 5; i++) {
                c.add(timer, warned::add);
            }
            assertEquals(List.of(1L), warned);
            Thread.sleep(600);
            assertEquals(List.of(1L, 4L), warned);
            Thread.sleep(400);
            assertEquals(List.of(1L, 4L), warned, "nothing held back: no warning");
            c.add(timer, warned::add);
            assertEquals(List.of(1L, 4L, 1L), warned, "a period after the last warning: at once");
        } finally {
            timer.shutdownNow();
        }
    }

    /** What a period held back is warned of when the process stops before the period is up (probe V). */
    @Test
    void aStopWarnsOfWhatIsHeldBack() throws Exception {
        ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();
        try {
            ThrottledCount c = new ThrottledCount(TimeUnit.MINUTES.toNanos(1));
            List<Long> warned = new CopyOnWriteArrayList<>();
            for (int i = 0; i < 3; i++) {
                c.add(timer, warned::add);
            }
            ThrottledCount.flushPending();
            assertEquals(List.of(1L, 2L), warned);
            ThrottledCount.flushPending();
            assertEquals(List.of(1L, 2L), warned, "flushed once");
        } finally {
            timer.shutdownNow();
        }
    }

    /**
     * Review CN: a count outlives a reload, the loop its flush was scheduled on may not (a
     * change of prefork shuts it down, and its scheduled tasks with it): the count stayed
     * "flushing" for good, every later period's count held back until the next event.
     */
    @Test
    void aCountWhoseFlushLoopEndedStillWarnsWhenThePeriodIsUp() throws Exception {
        io.netty.channel.DefaultEventLoop oldLoop = new io.netty.channel.DefaultEventLoop();
        io.netty.channel.DefaultEventLoop newLoop = new io.netty.channel.DefaultEventLoop();
        try {
            ThrottledCount c = new ThrottledCount(TimeUnit.MILLISECONDS.toNanos(200));
            List<Long> warned = new CopyOnWriteArrayList<>();
            c.add(oldLoop, warned::add);
            c.add(oldLoop, warned::add); // held: its flush scheduled on the old loop
            oldLoop.shutdownGracefully(0, 0, TimeUnit.MILLISECONDS).syncUninterruptibly();
            Thread.sleep(400);
            assertEquals(List.of(1L), warned, "the old loop's flush went with it");
            c.add(newLoop, warned::add); // a period since the last warning: at once, with the held one
            assertEquals(List.of(1L, 2L), warned);
            c.add(newLoop, warned::add); // held again, on a live loop
            Thread.sleep(600);
            assertEquals(List.of(1L, 2L, 1L), warned, "what the period held back is warned of when it is up");
        } finally {
            oldLoop.shutdownGracefully(0, 0, TimeUnit.MILLISECONDS);
            newLoop.shutdownGracefully(0, 0, TimeUnit.MILLISECONDS);
        }
    }
}
