package org.hoststated.relay.handler;

import io.netty.channel.Channel;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * Waits, on a channel's loop, until its peer has taken what the relay sent, then acts; past a
 * deadline acts otherwise. No event says when a peer's kernel has acknowledged the bytes
 * ({@link TcpInfo}), so the ends of a session look: at once, then after the first pause, each
 * pause twice the one before up to a bound (a pair of equal pauses looks at a steady rate).
 * Nothing more once the channel is closed. One per wait; on the channel's loop.
 */
final class AcknowledgedWait implements Runnable {
    /** A deadline that never comes. */
    static final long NO_DEADLINE = Long.MAX_VALUE;

    private final Channel ch;
    private final BooleanSupplier taken;
    private final Runnable then;
    private final long deadline;
    private final Runnable late;
    private final long maxPauseMs;
    private long pauseMs;
    private ScheduledFuture<?> next;

    private AcknowledgedWait(Channel ch, BooleanSupplier taken, Runnable then, long deadline,
            Runnable late, long firstPauseMs, long maxPauseMs) {
        this.ch = ch;
        this.taken = taken;
        this.then = then;
        this.deadline = deadline;
        this.late = late;
        this.pauseMs = firstPauseMs;
        this.maxPauseMs = maxPauseMs;
    }

    /**
     * Runs {@code then} once {@code taken} holds, or {@code late} once {@link System#nanoTime}
     * passes {@code deadline} ({@link #NO_DEADLINE} for none); looks now, then after {@code
     * firstPauseMs}, doubling up to {@code maxPauseMs}.
     */
    static AcknowledgedWait start(Channel ch, BooleanSupplier taken, Runnable then, long deadline,
            Runnable late, long firstPauseMs, long maxPauseMs) {
        AcknowledgedWait wait = new AcknowledgedWait(ch, taken, then, deadline, late, firstPauseMs, maxPauseMs);
        ch.closeFuture().addListener(f -> wait.cancelNext());
        wait.run();
        return wait;
    }

    /** The {@link #start} deadline {@code ms} from now. */
    static long deadlineIn(long ms) {
        return System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(ms);
    }

    /** Looks now (something that may make {@code taken} hold has happened), then as before. */
    @Override
    public void run() {
        cancelNext();
        if (!ch.isOpen()) {
            return;
        }
        if (taken.getAsBoolean()) {
            then.run();
            return;
        }
        long left = deadline == NO_DEADLINE ? Long.MAX_VALUE : deadline - System.nanoTime();
        if (left <= 0) {
            late.run();
            return;
        }
        long pause = Math.min(left, TimeUnit.MILLISECONDS.toNanos(pauseMs));
        pauseMs = Math.min(pauseMs * 2, maxPauseMs);
        next = ch.eventLoop().schedule(this, pause, TimeUnit.NANOSECONDS);
    }

    private void cancelNext() {
        if (next != null) {
            next.cancel(false);
            next = null;
        }
    }
}
