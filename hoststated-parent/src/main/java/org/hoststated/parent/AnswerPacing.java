package org.hoststated.parent;

import io.netty.channel.EventLoop;
import java.util.concurrent.TimeUnit;
import org.hoststated.core.imsg.ImsgChannel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Paces an engine's answer by the reading of the control client it goes to: while the client
 * has more than {@value #PACE_BYTES} bytes queued, the parent stops reading that engine's
 * channel, so the rows wait in the engine (which makes them as they are taken) and not in the
 * parent. A {@code show summary} of 500 relays on a table of 1,000 hosts is 500,000 rows:
 * forwarded as fast as pfe made them, they passed the parent's cap on queued replies, and the
 * client was closed part-way ("daemon closed the connection"; review S, probe T). A client that
 * takes nothing for {@value #MAX_STALL_MS} ms is closed instead: the engine's channel also
 * carries its answers to the watchdog's pings. One client at a time holds the engines'
 * channels. Owned by the parent's loop.
 */
final class AnswerPacing {
    /** Queued for a client, past which its engine's channel waits. */
    static final int PACE_BYTES = 256 << 10;
    /** Queued for a client, under which its engine's channel is read again. */
    static final int RESUME_BYTES = 64 << 10;
    static final long MAX_STALL_MS = 5_000;
    private static final long LOOK_MS = 5;

    private static final Logger log = LoggerFactory.getLogger(AnswerPacing.class);

    private final EventLoop loop;
    private ControlClient holder;
    private ImsgChannel held;
    private long pending;
    private long progressAt;

    AnswerPacing(EventLoop loop) {
        this.loop = loop;
    }

    /** {@code c} was sent a row of {@code from}'s answer: reading {@code from} waits while {@code c} is behind. */
    void forwarded(ControlClient c, ImsgChannel from) {
        if (holder != null || c.pendingBytes() <= PACE_BYTES) {
            return;
        }
        holder = c;
        held = from;
        pending = c.pendingBytes();
        progressAt = System.nanoTime();
        from.setReading(false);
        loop.schedule(this::look, LOOK_MS, TimeUnit.MILLISECONDS);
    }

    private void look() {
        if (holder == null) {
            return;
        }
        long now = System.nanoTime();
        long p = holder.pendingBytes();
        if (!holder.isOpen() || p <= RESUME_BYTES) {
            release();
            return;
        }
        if (p < pending) {
            pending = p;
            progressAt = now;
        } else if (now - progressAt > TimeUnit.MILLISECONDS.toNanos(MAX_STALL_MS)) {
            log.warn("control client {}: has taken nothing of its answer for {} s; closing", holder.id,
                    TimeUnit.MILLISECONDS.toSeconds(MAX_STALL_MS));
            holder.close();
            release();
            return;
        }
        loop.schedule(this::look, LOOK_MS, TimeUnit.MILLISECONDS);
    }

    private void release() {
        held.setReading(true); // a channel closed meanwhile ignores it
        holder = null;
        held = null;
    }
}
