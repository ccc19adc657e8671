package org.hoststated.core.proc;

import io.netty.channel.Channel;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/** A channel closed some time from now, unless it closes before. Stateless. */
public final class DelayedClose {
    private DelayedClose() {
    }

    /**
     * Closes {@code ch} in {@code ms} unless it closes before; then the timer goes at once. A
     * timer left to run would keep the closed channel, its pipeline's handlers and all they
     * hold reachable until it fired: at a thousand such closes a second (relay clients answered
     * with an error page) that was seconds' worth of sessions in the heap and a full collection
     * every second or two. Its loop; returns the timer.
     */
    public static ScheduledFuture<?> after(Channel ch, long ms) {
        ScheduledFuture<?> close = ch.eventLoop().schedule((Runnable) ch::close, ms, TimeUnit.MILLISECONDS);
        ch.closeFuture().addListener(f -> close.cancel(false));
        return close;
    }
}
