package org.hoststated.relay.udp;

import io.netty.channel.Channel;
import io.netty.util.collection.IntObjectHashMap;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * One of the relay's UDP sockets towards the backends, with the queries it forwarded that wait
 * for an answer, by the id the relay gave them. Ids are unique per socket, not per relay: an
 * answer is matched by the socket it arrives on, its id and its sender. Confined to the relay's
 * loop.
 */
final class UpstreamSocket {
    /**
     * At most half of the id space waits at once, so drawing a free random id takes two tries
     * on average.
     */
    static final int MAX_PENDING = 32_768;

    final Channel channel;
    private final IntObjectHashMap<PendingQuery> pending = new IntObjectHashMap<>();
    private int forwarded;
    /** When its first query left ({@link System#nanoTime}): a socket serves a second at most. */
    private long firstQueryNanos;
    private boolean retired;

    UpstreamSocket(Channel channel) {
        this.channel = channel;
    }

    /** Whether it can take another query now. */
    boolean ready() {
        return channel.isActive() && !retired && pending.size() < MAX_PENDING;
    }

    /** Queries forwarded through this socket so far. */
    int forwarded() {
        return forwarded;
    }

    /**
     * Registers {@code q} under an id drawn from {@code ids} that no waiting query of this
     * socket has; returns that id. Call only when {@link #ready()}.
     */
    int add(PendingQuery q, QueryIds ids) {
        int id;
        do {
            id = ids.next();
        } while (pending.containsKey(id));
        pending.put(id, q);
        if (forwarded++ == 0) {
            firstQueryNanos = System.nanoTime();
        }
        return id;
    }

    /** Whether its first query left more than {@code nanos} before {@code now}. */
    boolean servedLongerThan(long nanos, long now) {
        return forwarded > 0 && now - firstQueryNanos > nanos;
    }

    PendingQuery get(int id) {
        return pending.get(id);
    }

    PendingQuery remove(int id) {
        return pending.remove(id);
    }

    int waiting() {
        return pending.size();
    }

    /** Takes no new queries; closed once the last waiting one ends. */
    void retire() {
        retired = true;
        closeIfIdle();
    }

    /** Closes the socket of a retired socket without waiting queries. */
    void closeIfIdle() {
        if (retired && pending.isEmpty()) {
            channel.close();
        }
    }

    /** Takes no new queries and closes now; returns the queries that were still waiting. */
    Collection<PendingQuery> close() {
        retired = true;
        channel.close();
        List<PendingQuery> left = new ArrayList<>(pending.values());
        pending.clear();
        return left;
    }
}
