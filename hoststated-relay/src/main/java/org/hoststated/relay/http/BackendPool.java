package org.hoststated.relay.http;

import io.netty.channel.EventLoop;
import io.netty.util.concurrent.EventExecutor;
import java.util.concurrent.ConcurrentHashMap;
import org.hoststated.relay.IdleDescriptors;
import org.hoststated.relay.SessionLimit;
import org.hoststated.relay.handler.RelaySession;
import org.hoststated.relay.lb.HostSelector;
import org.hoststated.relay.lb.TargetHost;

/**
 * The idle backend connections of one HTTP relay (one generation of it), kept for reuse by its
 * next sessions: one {@link IdleBackends} per worker loop, so a session only ever takes a
 * connection registered on its own loop and the pools need no lock. A connection is parked when
 * its session ends (or moves to another host) with the connection idle and persistent; a new
 * session that picks that host takes it instead of connecting. So a client that sends
 * {@code Connection: close} costs an accept and a close, not also a connect and a close towards
 * the server (HAProxy's {@code http-reuse always}).
 *
 * <p>Made by {@link HttpRelayInitializer}; {@link #close} when the relay stops (a reload
 * replaced or removed it: a new generation starts with empty pools, so a removed host is never
 * reused), {@link #hostsChanged} when host state changed (a host that is no longer usable loses
 * its parked connections). Both may be called from any thread.
 *
 * <p>The parked connections count against the engine's descriptors with its sessions
 * ({@link IdleDescriptors}): a connection is parked only while the open sessions leave room,
 * and given back, longest idle first, when a new session needs the room.
 *
 * @param limits the bounds; {@link Limits#perHost} 0 switches reuse off
 */
public final class BackendPool {
    /**
     * @param perHost most idle connections per host and worker loop
     * @param total most idle connections per worker loop
     * @param idleMs how long a connection may sit idle (counted from its last traffic) before it
     *        is closed: shorter than the usual server keep-alive timeouts (5 s for Apache httpd
     *        and Node.js), so the server rarely closes one just as it is reused
     */
    public record Limits(int perHost, int total, long idleMs) {
        public static final Limits DEFAULTS = new Limits(64, 512, 3000);
        public static final Limits NONE = new Limits(0, 0, 0);
    }

    private final HostSelector selector;
    private final Limits limits;
    private final ConcurrentHashMap<EventExecutor, IdleBackends> loops = new ConcurrentHashMap<>();
    private volatile IdleDescriptors descriptors = SessionLimit.engine().idle();
    /**
     * Why the pool was closed ("relay reloaded", "daemon stopping"), for its sessions' close
     * lines; null while open. Volatile, and written before {@link #close} walks {@link #loops}:
     * a worker that parks adds its loop's entry first and reads this after, so either the close
     * walks its entry or the worker sees the pool closed; no connection is parked in a closed
     * pool and left open (review CN).
     */
    private volatile String closedWhy;

    BackendPool(HostSelector selector, Limits limits, int relayTimeoutSec) {
        this.selector = selector;
        long idle = relayTimeoutSec > 0 ? Math.min(limits.idleMs(), relayTimeoutSec * 1000L) : limits.idleMs();
        this.limits = new Limits(limits.perHost(), limits.total(), idle);
    }

    /** Whether connections are kept at all. */
    boolean enabled() {
        return limits.perHost() > 0 && limits.total() > 0;
    }

    Limits limits() {
        return limits;
    }

    /**
     * Parked connections take their descriptors from {@code d} (the session bound's share,
     * {@link SessionLimit#idle}) instead of the engine's; before the first session.
     */
    public void descriptors(IdleDescriptors d) {
        descriptors = d;
    }

    IdleDescriptors descriptors() {
        return descriptors;
    }

    boolean closed() {
        return closedWhy != null;
    }

    /** Why the pool was {@link #close closed}; null while it is open. */
    String closedWhy() {
        return closedWhy;
    }

    /** Whether {@code h} may still get sessions (it is up and in the current configuration). */
    boolean usable(TargetHost h) {
        return selector.accepts(h);
    }

    /** The idle connections of {@code loop}; call on that loop. */
    IdleBackends of(EventLoop loop) {
        IdleBackends idle = loops.get(loop);
        return idle != null ? idle : loops.computeIfAbsent(loop, l -> new IdleBackends(this, loop));
    }

    /** Idle connections on all loops (tests); a moment old. */
    int idleCount() {
        int n = 0;
        for (IdleBackends i : loops.values()) {
            n += i.size();
        }
        return n;
    }

    /** Closes every idle connection and keeps no more (the relay stopped, for {@code why}). */
    public void close(String why) {
        closedWhy = why;
        each(IdleBackends::closeAll);
    }

    /** Host state changed: closes the idle connections of hosts that may no longer get sessions. */
    public void hostsChanged() {
        each(IdleBackends::expire);
    }

    private void each(java.util.function.Consumer<IdleBackends> action) {
        for (IdleBackends i : loops.values()) {
            RelaySession.runOn(i.loop(), () -> action.accept(i));
        }
    }
}
