package org.hoststated.core.proc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.channel.DefaultEventLoop;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** A stuck loop is reported with where its thread is, once, and again when it runs; a busy-free loop never. */
class LoopStallWatchTest {
    private static final long TICK = TimeUnit.MILLISECONDS.toNanos(50);
    private static final long STALL = TimeUnit.MILLISECONDS.toNanos(400);

    private final List<String> reports = new CopyOnWriteArrayList<>();
    private final LoopStallWatch.Reports listener = new LoopStallWatch.Reports() {
        @Override
        public void stalled(String loop, long nanos, StackTraceElement[] stack) {
            reports.add("stalled " + loop + " " + LoopStallWatch.frames(stack));
        }

        @Override
        public void resumed(String loop, long nanos) {
            reports.add("resumed " + loop + " " + TimeUnit.NANOSECONDS.toMillis(nanos));
        }

        @Override
        public void processStopped(long nanos, long gcMillis) {
            reports.add("stopped " + TimeUnit.NANOSECONDS.toMillis(nanos) + " gc " + gcMillis);
        }

        @Override
        public void died(String loop) {
            reports.add("died " + loop);
        }
    };
    private final LoopStallWatch watch = new LoopStallWatch(TICK, STALL, listener, () -> 0);

    @Test
    void aStuckLoopIsReportedWithItsStackThenAgainWhenItRuns() throws Exception {
        DefaultEventLoop stuck = new DefaultEventLoop();
        DefaultEventLoop idle = new DefaultEventLoop();
        try {
            watch.add("stuck loop", stuck);
            watch.add("idle loop", idle);
            Thread.sleep(200);
            stuck.submit(LoopStallWatchTest::holdTheLoopForASecondAndAHalf).sync();
            Thread.sleep(300);
            assertEquals(2, reports.size(), reports.toString());
            assertTrue(reports.get(0).startsWith("stalled stuck loop "), reports.get(0));
            assertTrue(reports.get(0).contains("holdTheLoopForASecondAndAHalf"), reports.get(0));
            long resumedAfter = Long.parseLong(reports.get(1).replaceFirst("resumed stuck loop ", ""));
            assertTrue(resumedAfter >= 1200 && resumedAfter < 3000, reports.get(1));
        } finally {
            watch.retire(stuck).shutdownGracefully(0, 0, TimeUnit.SECONDS).sync();
            watch.retire(idle).shutdownGracefully(0, 0, TimeUnit.SECONDS).sync();
        }
    }

    @Test
    void aLoopThatWasShutDownIsNoLongerWatched() throws Exception {
        DefaultEventLoop gone = new DefaultEventLoop();
        watch.add("gone loop", gone);
        watch.retire(gone).shutdownGracefully(0, 0, TimeUnit.SECONDS).sync();
        Thread.sleep(TimeUnit.NANOSECONDS.toMillis(STALL) * 2);
        assertEquals(List.of(), reports);
    }

    @Test
    void aWatcherThatWokeLateReportsTheProcessStoppedWithTheCollectorsShare() throws Exception {
        // The collector clock's fifth reading holds the watching thread for a second, as a
        // stopped process would; it reads 250 ms of collecting from then on.
        AtomicInteger readings = new AtomicInteger();
        LoopStallWatch late = new LoopStallWatch(TICK, STALL, listener, () -> {
            int n = readings.incrementAndGet();
            if (n == 5) {
                holdTheLoopForASecondAndAHalf();
            }
            return n > 5 ? 250 : 0;
        });
        DefaultEventLoop idle = new DefaultEventLoop();
        try {
            late.add("idle loop", idle);
            Thread.sleep(2200);
            assertEquals(1, reports.size(), reports.toString());
            String[] words = reports.get(0).split(" ");
            assertEquals("stopped", words[0], reports.get(0));
            assertTrue(Long.parseLong(words[1]) >= 1500, reports.get(0));
            assertEquals("gc 250", words[2] + " " + words[3], reports.get(0));
        } finally {
            late.retire(idle).shutdownGracefully(0, 0, TimeUnit.SECONDS).sync();
        }
    }

    /**
     * A loop killed by an error out of its own machinery (here a task run outside Netty's
     * guard, as DefaultEventLoop runs them) is reported dead; one shut down on purpose, not.
     */
    @Test
    void aLoopThatEndedOnAnErrorIsReportedDead() throws Exception {
        DefaultEventLoop dying = new DefaultEventLoop();
        DefaultEventLoop retiring = new DefaultEventLoop();
        watch.add("dying loop", dying);
        watch.add("retiring loop", retiring);
        dying.execute(() -> {
            throw new OutOfMemoryError("Cannot reserve 65536 bytes of direct buffer memory (test)");
        });
        watch.retire(retiring).shutdownGracefully(0, 0, TimeUnit.SECONDS).sync();
        assertTrue(dying.terminationFuture().await(5, TimeUnit.SECONDS), "the error ended the loop");
        Thread.sleep(TimeUnit.NANOSECONDS.toMillis(TICK) * 4);
        assertEquals(List.of("died dying loop"), reports);
    }

    /**
     * A loop whose end is wanted may be busy finishing: the parent's, stopping, waits up to 5 s
     * for the engines to exit, and a stop with an engine that did not exit logged "event loop
     * has not run for 5 s" with the stack of that wait, as if the parent hung.
     */
    @Test
    void aLoopWhoseEndIsWantedIsNotReportedWhileItFinishes() throws Exception {
        DefaultEventLoop ending = new DefaultEventLoop();
        watch.add("ending loop", ending);
        Thread.sleep(200);
        watch.retire(ending);
        ending.submit(LoopStallWatchTest::holdTheLoopForASecondAndAHalf).sync();
        ending.shutdownGracefully(0, 0, TimeUnit.SECONDS).sync();
        Thread.sleep(TimeUnit.NANOSECONDS.toMillis(TICK) * 4);
        assertEquals(List.of(), reports);
    }

    @Test
    void aLongStackIsCutToItsTopFrames() {
        StackTraceElement[] stack = new StackTraceElement[LoopStallWatch.FRAMES + 3];
        Arrays.setAll(stack, i -> new StackTraceElement("C", "m" + i, "C.java", i + 1));
        String line = LoopStallWatch.frames(stack);
        assertTrue(line.startsWith("C.m0(C.java:1) < C.m1(C.java:2)"), line);
        assertTrue(line.endsWith(" < ... 3 more"), line);
        assertEquals("(no stack)", LoopStallWatch.frames(new StackTraceElement[0]));
    }

    private static void holdTheLoopForASecondAndAHalf() {
        try {
            Thread.sleep(1500);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
