package org.hoststated.relay;

import io.netty.channel.Channel;
import java.util.Collection;
import java.util.concurrent.TimeUnit;
import org.hoststated.relay.handler.HeldSession;
import org.hoststated.relay.handler.RelaySession;
import org.hoststated.relay.handler.SessionInfo;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps clients that read nothing from taking the relay engine's memory from everyone else.
 * Back-pressure bounds what one session holds for a slow peer (its water mark plus one read),
 * but a few hundred sessions whose clients read nothing fill the engine's direct memory: then
 * reads fail in every relay, for every client, until those sessions end. So once per
 * {@link #PERIOD_MS}, on the engine loop, when more than {@link #SHORT_PERCENT} % of the direct
 * memory is in use, the sessions that hold bytes for a peer and saw no traffic for
 * {@link #STALLED_NANOS} are closed, each with a close line that says what it held. Sessions
 * that move, however slowly, are left alone, and nothing happens while memory is plentiful.
 */
public final class MemoryGuard {
    private static final Logger log = LoggerFactory.getLogger(MemoryGuard.class);
    static final long PERIOD_MS = 1000;
    static final long SHORT_PERCENT = 75;
    /** How long a session that holds bytes must have seen no traffic before it may be closed. */
    static final long STALLED_NANOS = TimeUnit.SECONDS.toNanos(1);

    private final DirectMemory memory;
    private boolean memoryShort;

    MemoryGuard(DirectMemory memory) {
        this.memory = memory;
    }

    /** Sheds the stalled sessions of {@code servers} if memory is short. Engine loop. */
    void check(Collection<RelayServer> servers) {
        long inUse = memory.used();
        long limit = memory.limit();
        boolean nowShort = inUse > limit / 100 * SHORT_PERCENT;
        if (nowShort != memoryShort) {
            memoryShort = nowShort;
            if (nowShort) {
                log.warn("direct memory short ({} of {} MiB in use): closing sessions whose peers take nothing",
                        inUse >> 20, limit >> 20);
            } else {
                log.info("direct memory no longer short ({} of {} MiB in use)", inUse >> 20, limit >> 20);
            }
        }
        if (!nowShort) {
            return;
        }
        long now = System.nanoTime();
        for (RelayServer s : servers) {
            for (Channel client : s.context().sessions()) {
                RelaySession.runOn(client.eventLoop(), () -> shedIfStalled(client, now));
            }
        }
    }

    /** Closes the session of {@code client} if it holds bytes and saw no traffic for a while. Its loop. */
    static boolean shedIfStalled(Channel client, long now) {
        SessionInfo info = SessionInfo.of(client);
        if (info == null || !client.isActive() || !(client.pipeline().last() instanceof HeldSession s)) {
            return false;
        }
        long idle = now - info.lastActivityNanos();
        long held = s.heldBytes();
        if (held == 0 || idle < STALLED_NANOS) {
            return false;
        }
        s.shed("memory short: " + (held + 1023 >> 10) + " KiB waited for a peer that took nothing for "
                + TimeUnit.NANOSECONDS.toSeconds(idle) + " s");
        return true;
    }
}
