package org.hoststated.relay.lb;

/**
 * One session's way on after its connect to {@code first} failed: each other host that may
 * get sessions once, in configuration order, starting at a place that moves on with every
 * session that fails over ({@link HostSelector#failover}). Walking on from the failed host
 * itself, as relay.c did, gave all the sessions of a host that fails before its checks say so
 * to the one host after it: twice its share (probe D: 1/3 and 2/3 of three hosts' traffic for
 * 13 s), a cascade waiting to happen on a table run near its capacity. On the session's loop.
 */
public final class Failover {
    /** The wait before the first try again on the host whose connect failed, doubled for each next one. */
    static final long FIRST_TURNAROUND_MS = 250;
    /** The longest wait before a try on the same host, HAProxy's turn-around. */
    static final long MAX_TURNAROUND_MS = 1000;

    private final HostSelector selector;
    private final TargetHost first;
    private final int start;
    private int hops;
    private int left;
    private int sameHostTries;

    Failover(HostSelector selector, TargetHost first, int start, int tries) {
        this.selector = selector;
        this.first = first;
        this.start = start;
        this.left = tries;
    }

    /**
     * The host to try next, or null when the session has no try left or no host may take it.
     * The original destination of a redirected client ({@code nat lookup}) has no alternative:
     * it is tried again, {@code retry} times.
     */
    public TargetHost next() {
        if (left <= 0) {
            return null;
        }
        left--;
        return first.natLookup() ? first : selector.hop(first, start + hops++);
    }

    /**
     * {@link #next} after a connect to {@code failed} ended with {@code cause}; null as well
     * when that would be {@code failed} itself again after a connect that timed out: a
     * {@code retry} is for a connect that fails at once, and a destination that drops
     * connection attempts made a client of {@code forward to ... retry 2} wait three connect
     * timeouts, 90 s (probe N).
     */
    public TargetHost next(TargetHost failed, Throwable cause) {
        TargetHost next = next();
        return next != null && next.equals(failed) && cause instanceof io.netty.channel.ConnectTimeoutException ? null : next;
    }

    /**
     * How long to wait before the try on {@code next} after a connect to {@code failed} failed:
     * at once on another host; on the same one (a {@code forward to} target, the original
     * destination of a {@code nat lookup}, a table's only host that may take sessions) 250 ms,
     * doubled for each further try up to 1 s. All tries in the same millisecond met a server
     * being restarted as one: {@code retry 3} rode over no restart at all (probe AU: 64-98
     * 502s per restart of 0.3 s, HAProxy's {@code retries 3} with its 1 s turn-around none).
     */
    public long waitMillis(TargetHost next, TargetHost failed) {
        if (!next.equals(failed)) {
            return 0;
        }
        long wait = Math.min(MAX_TURNAROUND_MS, FIRST_TURNAROUND_MS << Math.min(sameHostTries, 8));
        sameHostTries++;
        return wait;
    }
}
