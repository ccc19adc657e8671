package org.hoststated.relay.handler;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.netty.channel.embedded.EmbeddedChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class AcknowledgedWaitTest {
    private final List<String> acts = new ArrayList<>();

    @Test
    void looksNowThenAfterPausesThatDoubleUpToTheBound() {
        EmbeddedChannel ch = new EmbeddedChannel();
        ch.freezeTime();
        List<Long> looks = new ArrayList<>();
        long start = ch.eventLoop().ticker().nanoTime();
        AcknowledgedWait.start(ch, () -> {
            looks.add(TimeUnit.NANOSECONDS.toMillis(ch.eventLoop().ticker().nanoTime() - start));
            return looks.size() == 6;
        }, () -> acts.add("then"), AcknowledgedWait.NO_DEADLINE, () -> acts.add("late"), 1, 4);
        for (int ms = 0; ms < 20; ms++) {
            ch.advanceTimeBy(1, TimeUnit.MILLISECONDS);
            ch.runScheduledPendingTasks();
        }
        assertEquals(List.of(0L, 1L, 3L, 7L, 11L, 15L), looks);
        assertEquals(List.of("then"), acts);
    }

    @Test
    void aDeadlinePassedActsOtherwise() {
        EmbeddedChannel ch = new EmbeddedChannel();
        AcknowledgedWait.start(ch, () -> false, () -> acts.add("then"), AcknowledgedWait.deadlineIn(0),
                () -> acts.add("late"), 1, 1);
        ch.runScheduledPendingTasks();
        assertEquals(List.of("late"), acts);
    }

    @Test
    void aLookAskedForComesAtOnceAndTheNextPauseFollowsIt() {
        EmbeddedChannel ch = new EmbeddedChannel();
        ch.freezeTime();
        AtomicInteger looks = new AtomicInteger();
        boolean[] taken = {false};
        AcknowledgedWait wait = AcknowledgedWait.start(ch, () -> {
            looks.incrementAndGet();
            return taken[0];
        }, () -> acts.add("then"), AcknowledgedWait.NO_DEADLINE, () -> acts.add("late"), 100, 100);
        taken[0] = true;
        wait.run();
        ch.advanceTimeBy(500, TimeUnit.MILLISECONDS);
        ch.runScheduledPendingTasks();
        assertEquals(2, looks.get(), "the pending look was cancelled");
        assertEquals(List.of("then"), acts);
    }

    @Test
    void aClosedChannelEndsTheWait() {
        EmbeddedChannel ch = new EmbeddedChannel();
        ch.freezeTime();
        AtomicInteger looks = new AtomicInteger();
        AcknowledgedWait.start(ch, () -> looks.incrementAndGet() < 0, () -> acts.add("then"),
                AcknowledgedWait.NO_DEADLINE, () -> acts.add("late"), 1, 1);
        ch.close();
        ch.advanceTimeBy(10, TimeUnit.MILLISECONDS);
        ch.runScheduledPendingTasks();
        assertEquals(1, looks.get());
        assertEquals(List.of(), acts);
    }
}
