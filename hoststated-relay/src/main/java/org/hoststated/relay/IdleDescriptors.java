package org.hoststated.relay;

import io.netty.util.concurrent.EventExecutor;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntSupplier;

/**
 * The descriptors the relay engine's idle backend connections (the HTTP relays' pools) may
 * hold: what the open sessions leave of the engine's descriptor budget, two per session. The
 * session bound alone fills the budget, so the pools live on what sessions do not use now:
 * a connection is parked only while the sessions leave room for it ({@link #take}), and a new
 * session over that room makes the pools give back their longest idle connections
 * ({@link #makeRoom}), first on its own worker loop, at once, then on the others, posted
 * there. Without this the pools (up to 512 connections per loop and relay) ran an engine
 * with a low descriptor limit out of descriptors: accepts and backend connects failed.
 *
 * <p>Shared by every worker loop: an atomic count, and a set of pools per loop. A pool is
 * used only on its own loop ({@link Pool#giveBackOldest} is called there).
 */
public final class IdleDescriptors {
    /** The idle connections of one relay on one worker loop. */
    public interface Pool {
        /** Closes the connection idle longest; false when none is parked. Called on the pool's loop. */
        boolean giveBackOldest();
    }

    /** Written under the session limit's lock as the bound changes, read by every worker loop without it. */
    private volatile long budget;
    private final IntSupplier sessions;
    private final AtomicInteger held = new AtomicInteger();
    private final ConcurrentHashMap<EventExecutor, LoopPools> loops = new ConcurrentHashMap<>();

    private record LoopPools(Set<Pool> pools, AtomicBoolean asked) {
        LoopPools() {
            this(ConcurrentHashMap.newKeySet(), new AtomicBoolean());
        }
    }

    /**
     * @param budget the descriptors sessions (two each) and idle connections (one each) share
     * @param sessions how many sessions are open now
     */
    IdleDescriptors(long budget, IntSupplier sessions) {
        this.budget = budget;
        this.sessions = sessions;
    }

    long budget() {
        return budget;
    }

    /** A new budget: the engine's listening sockets took some of the descriptors, or gave them back. */
    void budget(long descriptors) {
        budget = descriptors;
    }

    /** Idle connections held now, on all loops. */
    public int held() {
        return held.get();
    }

    /** Descriptors over the budget now; 0 or less when within it. */
    private long excess() {
        return 2L * sessions.getAsInt() + held.get() - budget;
    }

    /**
     * Takes room for one more idle connection: true when the open sessions leave it (the
     * caller parks the connection and calls {@link #release} when it leaves the pool), else
     * false (the caller closes it).
     */
    public boolean take() {
        for (int h = held.get(); ; h = held.get()) {
            if (2L * sessions.getAsInt() + h + 1 > budget) {
                return false;
            }
            if (held.compareAndSet(h, h + 1)) {
                return true;
            }
        }
    }

    /** A connection {@link #take} counted left its pool (taken by a session, or closed). */
    public void release() {
        held.decrementAndGet();
    }

    /** {@code pool} parks connections on {@code loop} from now on, until {@link #unregister}. */
    public void register(EventExecutor loop, Pool pool) {
        loops.computeIfAbsent(loop, l -> new LoopPools()).pools().add(pool);
    }

    /** {@code pool} holds no connection and parks no more (its relay stopped). */
    public void unregister(EventExecutor loop, Pool pool) {
        LoopPools p = loops.get(loop);
        if (p != null) {
            p.pools().remove(pool);
        }
    }

    /**
     * A session was admitted on {@code loop}: when sessions and idle connections together are
     * over the budget, closes idle connections until they are not, on {@code loop} at once and,
     * if that was not enough, on the other loops (one task per loop at a time).
     */
    void makeRoom(EventExecutor loop) {
        if (excess() <= 0) {
            return;
        }
        LoopPools own = loops.get(loop);
        if (own != null && giveBack(own)) {
            return;
        }
        for (var e : loops.entrySet()) {
            LoopPools other = e.getValue();
            if (e.getKey() != loop && !other.pools().isEmpty() && other.asked().compareAndSet(false, true)) {
                try {
                    e.getKey().execute(() -> {
                        other.asked().set(false);
                        giveBack(other);
                    });
                } catch (RejectedExecutionException gone) {
                    // A loop of an older prefork that shut down: its pools closed with it.
                    other.asked().set(false);
                }
            }
        }
    }

    /** Closes idle connections of {@code p}'s pools, longest idle first in each, while over the budget; true when within it. */
    private boolean giveBack(LoopPools p) {
        boolean any = true;
        while (excess() > 0 && any) {
            any = false;
            for (Pool pool : p.pools()) {
                if (excess() <= 0) {
                    return true;
                }
                any |= pool.giveBackOldest();
            }
        }
        return excess() <= 0;
    }
}
