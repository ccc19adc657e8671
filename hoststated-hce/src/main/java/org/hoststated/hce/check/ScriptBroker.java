package org.hoststated.hce.check;

import io.netty.channel.EventLoop;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.hoststated.core.msg.ScriptRequest;
import org.hoststated.core.msg.ScriptResult;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Asks the parent to run {@code check script} programs (hce never runs processes) and matches
 * its SCRIPT_RESULT answers to the waiting checks. Runs in hce on the event loop; one broker
 * per configuration generation, so answers to an older generation are dropped.
 */
public final class ScriptBroker {
    private static final Logger log = LoggerFactory.getLogger(ScriptBroker.class);
    /** How long past the check's deadline the parent may take to report a killed script. */
    static final long GRACE_NANOS = TimeUnit.SECONDS.toNanos(1);

    private final EventLoop loop;
    private final int generation;
    private final Consumer<ScriptRequest> send;
    private final Map<Integer, Waiting> waiting = new HashMap<>();

    private record Waiting(Consumer<ScriptResult> done, ScheduledFuture<?> timer) {
    }

    public ScriptBroker(EventLoop loop, int generation, Consumer<ScriptRequest> send) {
        this.loop = loop;
        this.generation = generation;
        this.send = send;
    }

    /**
     * Runs {@code path <host>}; {@code done} gets the parent's answer, or null when none came by
     * the deadline plus a grace second.
     */
    void run(CheckTarget target, String path, int timeoutMs, long deadlineNanos, Consumer<ScriptResult> done) {
        Waiting old = waiting.remove(target.hostId());
        if (old != null) {
            old.timer.cancel(false);
            old.done.accept(null);
        }
        long wait = deadlineNanos + GRACE_NANOS - System.nanoTime();
        ScheduledFuture<?> timer = loop.schedule(() -> expired(target.hostId()), wait, TimeUnit.NANOSECONDS);
        waiting.put(target.hostId(), new Waiting(done, timer));
        send.accept(new ScriptRequest(generation, target.hostId(), path, target.name(), timeoutMs));
    }

    /** A SCRIPT_RESULT arrived. Returns false when nobody waits for it (stale or late). */
    public boolean accept(ScriptResult r) {
        if (r.generation() != generation) {
            log.debug("script result for host {} of generation {} dropped", r.hostId(), r.generation());
            return false;
        }
        Waiting w = waiting.remove(r.hostId());
        if (w == null) {
            log.debug("late script result for host {} dropped", r.hostId());
            return false;
        }
        w.timer.cancel(false);
        w.done.accept(r);
        return true;
    }

    private void expired(int hostId) {
        Waiting w = waiting.remove(hostId);
        if (w != null) {
            w.done.accept(null);
        }
    }
}
