package org.hoststated.relay.lb;

import io.netty.channel.ChannelFuture;
import java.net.InetSocketAddress;
import java.util.concurrent.atomic.AtomicInteger;
import org.hoststated.core.hash.Hash32;

/**
 * Picks the host of a new relay session. Shared by every worker loop of one relay: the
 * scheduler keeps its own per-loop state, and the hosts are an immutable {@link RelayHosts}
 * snapshot that the relay engine's loop replaces through {@link #update}, so the hot path takes
 * no lock.
 */
public final class HostSelector {
    /** The most other hosts of a table a failed connect is tried on (unless the host's retry says more). */
    public static final int FAILOVER_TRIES = 3;
    private final Scheduler scheduler;
    private final boolean noCheck;
    private final int hashKey;
    private volatile RelayHosts hosts;
    private final PendingConnects connecting = new PendingConnects();
    /** Sessions that failed over so far: where the next one's way on starts ({@link Failover}). */
    private final AtomicInteger failovers = new AtomicInteger();

    /**
     * @param noCheck {@code no check}: any host is acceptable whatever its checks say, unless
     *     the operator disabled it or its table
     * @param hashKey the relay key ({@link Hash32#relayKey}) that starts each session's hash
     */
    public HostSelector(Scheduler scheduler, boolean noCheck, int hashKey, RelayHosts hosts) {
        this.scheduler = scheduler;
        this.noCheck = noCheck;
        this.hashKey = hashKey;
        this.hosts = hosts;
    }

    /** A selector whose hash key is {@link Hash32#INIT} (tests, fixed targets). */
    public HostSelector(Scheduler scheduler, boolean noCheck, RelayHosts hosts) {
        this(scheduler, noCheck, Hash32.INIT, hosts);
    }

    /** A selector for a single fixed address ({@code forward to}, {@code service}). */
    public static HostSelector fixed(TargetHost host) {
        return new HostSelector(new RoundRobin(), true, RelayHosts.allUsable(java.util.List.of(host)));
    }

    /**
     * Replaces the snapshot; called on the relay engine's loop. Connects in progress to a host
     * that may no longer get sessions are abandoned: their sessions fail over.
     */
    public void update(RelayHosts snapshot) {
        hosts = snapshot;
        connecting.abandonUnless(this::accepts);
    }

    /**
     * A session's connect to {@code host}, one of this selector's, has started: it is
     * abandoned (cancelled) if the host goes down or is disabled before it completes.
     */
    public void connecting(ChannelFuture connect, TargetHost host) {
        connecting.add(connect, host);
        // The host was chosen from a snapshot that an update may have replaced before the add:
        // that update's abandon did not see this connect, which then waited out its timeout
        // (probe AI: a session moved off one host of several going down at once took 15-21 s,
        // then 504). The update writes the snapshot before it looks at the connects, and this
        // reads it after the add, so one of the two sees the other.
        if (!accepts(host)) {
            connect.cancel(false);
        }
    }

    /** Connects in progress (tests). */
    public int connectsInProgress() {
        return connecting.size();
    }

    public RelayHosts hosts() {
        return hosts;
    }

    public boolean noCheck() {
        return noCheck;
    }

    /**
     * The hash key a session starts with: an HTTP session feeds the values its {@code hash}
     * actions name into it ({@code Hash32.str(value, key)}, as relayd's {@code se_hashkey})
     * and passes the result to {@link #select(InetSocketAddress, InetSocketAddress, int)}.
     */
    public int hashKey() {
        return hashKey;
    }

    /**
     * The host for a new session: the scheduler's choice if it is up; else, for a mode that
     * hashes, the up host that ranks first for the session's hash ({@link Scheduler#spreadHash}),
     * for roundrobin the next up host after it, then from the start (relay.c). Returns null
     * when no host is up.
     */
    public TargetHost select(InetSocketAddress client, InetSocketAddress listen) {
        return select(client, listen, hashKey);
    }

    /**
     * Like {@link #select(InetSocketAddress, InetSocketAddress)}, with the session's own hash
     * key (see {@link #hashKey()}) for {@code loadbalance} and {@code hash}.
     */
    public TargetHost select(InetSocketAddress client, InetSocketAddress listen, int sessionHashKey) {
        RelayHosts h = hosts;
        int n = h.size();
        if (n == 0) {
            return null;
        }
        int start = scheduler.start(n, client, listen, sessionHashKey);
        int i = takes(h, start) ? start : instead(h, start, client, listen, sessionHashKey);
        if (i < 0) {
            return null;
        }
        scheduler.chosen(i);
        return h.host(i);
    }

    /**
     * Whether {@code h} may get new sessions now: it is in the current snapshot and usable (with
     * {@code no check}, any host not disabled).
     */
    public boolean accepts(TargetHost h) {
        RelayHosts s = hosts;
        for (int i = 0; i < s.size(); i++) {
            if (s.host(i).equals(h)) {
                return takes(s, i);
            }
        }
        return false;
    }

    /**
     * Whether {@code h}'s check found it down (in the current snapshot, with checks): a
     * request it has not answered may go to another host. A host the operator disabled is not
     * failed: it is drained, its requests finish there.
     */
    public boolean failed(TargetHost h) {
        RelayHosts s = hosts;
        for (int i = 0; i < s.size(); i++) {
            if (s.host(i).equals(h)) {
                return !noCheck && s.failed(i);
            }
        }
        return false;
    }

    /**
     * How many times a session's failed connect to {@code first} is tried again on the next
     * host: the host's own {@code retry} (the target's, for {@code forward to} and
     * {@code service}), and in a table at least once on each other host that may get sessions,
     * up to {@link #FAILOVER_TRIES}. relayd retried only as often as the host's {@code retry}
     * said, so a backend that stopped lost the connections sent to it before its next check;
     * a refused connect sent nothing, so another host can take it whatever the request.
     */
    public int connectRetries(TargetHost first) {
        return Math.max(first.retry(), Math.min(FAILOVER_TRIES, othersTaking(hosts, first)));
    }

    /**
     * The way on of a session whose connect to {@code first} failed: {@link #connectRetries}
     * tries (the host's own {@code retry} for {@code nat lookup}), each on another host from a
     * place that moves on with every session that fails over ({@link Failover}).
     */
    public Failover failover(TargetHost first) {
        int tries = first.natLookup() ? first.retry() : connectRetries(first);
        return new Failover(this, first, failovers.getAndIncrement() & Integer.MAX_VALUE, tries);
    }

    /**
     * Try {@code hop} of a session whose host {@code first} failed: among the other hosts that
     * may get sessions, taken in configuration order after {@code first} and wrapping around,
     * the one at {@code hop}, modulo their number. {@code first} itself when it is the only
     * host that may (a single host is retried itself); null when none may.
     */
    TargetHost hop(TargetHost first, int hop) {
        RelayHosts h = hosts;
        int n = h.size();
        int at = 0;
        for (int k = 0; k < n; k++) {
            if (h.host(k).equals(first)) {
                at = k + 1;
                break;
            }
        }
        int others = othersTaking(h, first);
        if (others == 0) {
            int i = find(h, 0);
            return i < 0 ? null : h.host(i);
        }
        int place = Integer.remainderUnsigned(hop, others);
        for (int k = 0; k < n; k++) {
            int i = (at + k) % n;
            if (takes(h, i) && !h.host(i).equals(first) && place-- == 0) {
                return h.host(i);
            }
        }
        return null;
    }

    /**
     * Whether a host may get new sessions in {@code now} that could not in {@code earlier}
     * (snapshots of this selector's): one came back up or was enabled again. True when the
     * two hold different hosts (a reload) or there is no earlier one.
     */
    public boolean gained(RelayHosts earlier, RelayHosts now) {
        if (earlier == null || earlier.size() != now.size()) {
            return true;
        }
        for (int i = 0; i < now.size(); i++) {
            if (!now.host(i).equals(earlier.host(i)) || takes(now, i) && !takes(earlier, i)) {
                return true;
            }
        }
        return false;
    }

    /** Whether a host other than {@code h} may get new sessions. */
    public boolean othersTake(TargetHost h) {
        return othersTaking(hosts, h) > 0;
    }

    /** How many hosts of {@code h} other than {@code host} may get new sessions. */
    private int othersTaking(RelayHosts h, TargetHost host) {
        int n = 0;
        for (int i = 0; i < h.size(); i++) {
            if (takes(h, i) && !h.host(i).equals(host)) {
                n++;
            }
        }
        return n;
    }

    /**
     * The host a session goes to when the one at {@code start} cannot take it: for the modes
     * that hash, the host that can with the highest rank for the session's hash (rendezvous
     * hashing), so that such a session keeps its host while that one stays up, whatever
     * other hosts do. relay.c scanned forward in every mode, so the next host took over all
     * the sessions of a host that went down, twice its share; and a place among the hosts
     * that could, by a remainder of their count, moved a down host's sessions between hosts
     * that stayed up each time a third host went down or came back (probe B). Else (roundrobin)
     * the next host that can after start.
     */
    private int instead(RelayHosts h, int start, InetSocketAddress client, InetSocketAddress listen, int key) {
        if (!scheduler.spreads()) {
            return find(h, start);
        }
        int spread = scheduler.spreadHash(client, listen, key);
        int best = -1;
        int bestRank = 0;
        for (int i = 0; i < h.size(); i++) {
            if (takes(h, i)) {
                int rank = Hash32.rank(spread, i);
                if (best < 0 || Integer.compareUnsigned(rank, bestRank) > 0) {
                    best = i;
                    bestRank = rank;
                }
            }
        }
        return best;
    }

    private int find(RelayHosts h, int from) {
        int n = h.size();
        for (int k = 0; k < n; k++) {
            int i = (from + k) % n;
            if (takes(h, i)) {
                return i;
            }
        }
        return -1;
    }

    /**
     * Whether host {@code i} of {@code h} may get new sessions: up and enabled, or with
     * {@code no check} enabled whatever its checks say. hoststatectl's host and table disable
     * are the operator's way to take a host out of service; {@code no check} ignored them, and
     * a disabled host went on getting its share of the sessions.
     */
    private boolean takes(RelayHosts h, int i) {
        return noCheck ? !h.disabled(i) : h.usable(i);
    }
}
