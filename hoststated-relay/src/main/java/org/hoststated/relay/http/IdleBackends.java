package org.hoststated.relay.http;

import io.netty.channel.EventLoop;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import org.hoststated.relay.IdleDescriptors;
import org.hoststated.relay.lb.TargetHost;

/**
 * The parked backend connections of one HTTP relay on one worker loop, by host: used only on
 * that loop, so without locks. Newest first: {@link #take} gives the connection that was used
 * last (the least likely to have been closed by its server), and the oldest ones expire. A
 * parked connection keeps reading, so a server that closes it, resets it or sends anything is
 * noticed at once and the connection removed ({@link HttpBackendHandler} calls {@link #remove}).
 * One timer per loop and relay, running only while connections are parked, closes those idle
 * longer than the pool's limit and those of hosts no longer usable.
 *
 * <p>Each parked connection holds a descriptor of the engine's budget ({@link IdleDescriptors}):
 * a connection is parked only while the open sessions leave room for it, and the longest idle
 * one is given back ({@link #giveBackOldest}) when a new session needs the room.
 */
final class IdleBackends implements IdleDescriptors.Pool {
    private final BackendPool pool;
    private final EventLoop loop;
    private final IdleDescriptors descriptors;
    /** Whether {@link #descriptors} knows this pool (from its first park until {@link #closeAll}). */
    private boolean registered;
    private final long idleNanos;
    private final long sweepMs;
    /**
     * The hosts with parked connections and their connections, in parallel arrays: a relay has
     * few hosts, and the selector hands out the same {@link TargetHost} instances, so a scan
     * comparing references first is cheaper than hashing the host on every take and park.
     */
    private TargetHost[] hosts = new TargetHost[2];
    @SuppressWarnings("unchecked")
    private ArrayDeque<HttpBackendHandler>[] queues = new ArrayDeque[2];
    private int hostCount;
    private int size;
    private ScheduledFuture<?> sweeper;

    IdleBackends(BackendPool pool, EventLoop loop) {
        this.pool = pool;
        this.loop = loop;
        this.descriptors = pool.descriptors();
        this.idleNanos = TimeUnit.MILLISECONDS.toNanos(pool.limits().idleMs());
        this.sweepMs = Math.max(20, Math.min(1000, pool.limits().idleMs() / 3));
    }

    EventLoop loop() {
        return loop;
    }

    int size() {
        return size;
    }

    /**
     * Parks {@code conn}, an idle persistent connection to {@code host} whose last traffic was
     * at {@code lastActiveNanos}. False when it cannot be kept (the pool is full or closed, the
     * host unusable, the connection idle too long already): the caller closes it.
     */
    boolean park(TargetHost host, HttpBackendHandler conn, long lastActiveNanos) {
        if (pool.closed() || size >= pool.limits().total() || System.nanoTime() - lastActiveNanos >= idleNanos
                || !pool.usable(host)) {
            return false;
        }
        ArrayDeque<HttpBackendHandler> q = queue(host);
        if ((q != null && q.size() >= pool.limits().perHost()) || !descriptors.take()) {
            return false;
        }
        if (q == null) {
            q = addHost(host);
        }
        if (!registered) {
            descriptors.register(loop, this);
            registered = true;
        }
        conn.parkIn(this, host, lastActiveNanos);
        q.push(conn);
        size++;
        if (sweeper == null) {
            sweeper = loop.schedule(this::sweep, sweepMs, TimeUnit.MILLISECONDS);
        }
        return true;
    }

    /** An idle connection to {@code host}, unparked, or null when there is none. */
    HttpBackendHandler take(TargetHost host) {
        ArrayDeque<HttpBackendHandler> q = queue(host);
        if (q == null) {
            return null;
        }
        for (HttpBackendHandler c; (c = q.poll()) != null; ) {
            left();
            c.unpark();
            if (c.channel().isActive()) {
                return c;
            }
            c.channel().close();
        }
        return null;
    }

    /** {@code conn} closed while parked (its server closed it, or it expired). */
    void remove(HttpBackendHandler conn, TargetHost host) {
        ArrayDeque<HttpBackendHandler> q = queue(host);
        if (q != null && q.remove(conn)) {
            left();
        }
    }

    /** A parked connection left the pool: its descriptor goes back to the sessions. */
    private void left() {
        size--;
        descriptors.release();
    }

    /**
     * Closes the connection parked longest, of any host (a new session needs its descriptor);
     * false when none is parked.
     */
    @Override
    public boolean giveBackOldest() {
        ArrayDeque<HttpBackendHandler> oldest = null;
        for (int i = 0; i < hostCount; i++) {
            HttpBackendHandler c = queues[i].peekLast();
            if (c != null && (oldest == null || c.parkedSince() - oldest.peekLast().parkedSince() < 0)) {
                oldest = queues[i];
            }
        }
        if (oldest == null) {
            return false;
        }
        HttpBackendHandler c = oldest.pollLast();
        left();
        c.unpark();
        c.channel().close();
        return true;
    }

    private void sweep() {
        sweeper = null;
        expire();
        if (size > 0) {
            sweeper = loop.schedule(this::sweep, sweepMs, TimeUnit.MILLISECONDS);
        }
    }

    /** Closes the connections idle too long and those of hosts that may no longer get sessions. */
    void expire() {
        if (size == 0) {
            return;
        }
        long now = System.nanoTime();
        for (int i = 0; i < hostCount; i++) {
            ArrayDeque<HttpBackendHandler> q = queues[i];
            boolean usable = !pool.closed() && pool.usable(hosts[i]);
            for (HttpBackendHandler c; (c = q.peekLast()) != null && (!usable || now - c.parkedSince() >= idleNanos); ) {
                q.pollLast();
                left();
                c.unpark();
                c.channel().close();
            }
        }
    }

    private ArrayDeque<HttpBackendHandler> queue(TargetHost host) {
        for (int i = 0; i < hostCount; i++) {
            if (hosts[i] == host) {
                return queues[i];
            }
        }
        for (int i = 0; i < hostCount; i++) {
            if (hosts[i].equals(host)) {
                return queues[i];
            }
        }
        return null;
    }

    private ArrayDeque<HttpBackendHandler> addHost(TargetHost host) {
        if (hostCount == hosts.length) {
            hosts = Arrays.copyOf(hosts, hostCount * 2);
            queues = Arrays.copyOf(queues, hostCount * 2);
        }
        ArrayDeque<HttpBackendHandler> q = new ArrayDeque<>();
        hosts[hostCount] = host;
        queues[hostCount++] = q;
        return q;
    }

    void closeAll() {
        for (int i = 0; i < hostCount; i++) {
            for (HttpBackendHandler c; (c = queues[i].poll()) != null; ) {
                left();
                c.unpark();
                c.channel().close();
            }
        }
        if (registered) {
            descriptors.unregister(loop, this);
            registered = false;
        }
    }
}
