package org.hoststated.relay.lb;

import java.util.List;
import java.util.function.Predicate;

/**
 * The hosts of one relay target in configuration order, with which of them may take new
 * sessions and which of them their checks found down. Immutable: the relay engine's loop builds a new snapshot when host state changes
 * and swaps it into the {@link HostSelector} by reference; the worker loops only read it.
 */
public final class RelayHosts {
    private final TargetHost[] hosts;
    private final boolean[] usable;
    /**
     * The host's check found it down: unlike a host disabled by the operator (drained, still
     * answering), its requests waiting for an answer are given up ({@link HostSelector#failed}).
     */
    private final boolean[] failed;
    /**
     * The operator disabled the host or its table: it gets no new session even from a relay
     * with {@code no check}, which ignores only what the checks say ({@link HostSelector}).
     */
    private final boolean[] disabled;

    private RelayHosts(TargetHost[] hosts, boolean[] usable, boolean[] failed, boolean[] disabled) {
        this.hosts = hosts;
        this.usable = usable;
        this.failed = failed;
        this.disabled = disabled;
    }

    /** A snapshot of {@code hosts} where {@code usable} says which may get new sessions, none failed. */
    public static RelayHosts of(List<TargetHost> hosts, Predicate<TargetHost> usable) {
        return of(hosts, usable, h -> false);
    }

    /**
     * A snapshot of {@code hosts} where {@code usable} says which may get new sessions and
     * {@code failed} which their checks found down.
     */
    public static RelayHosts of(List<TargetHost> hosts, Predicate<TargetHost> usable, Predicate<TargetHost> failed) {
        return of(hosts, usable, failed, h -> false);
    }

    /**
     * A snapshot of {@code hosts} where {@code usable} says which may get new sessions,
     * {@code failed} which their checks found down and {@code disabled} which the operator
     * disabled (the host or its table).
     */
    public static RelayHosts of(List<TargetHost> hosts, Predicate<TargetHost> usable, Predicate<TargetHost> failed,
            Predicate<TargetHost> disabled) {
        return of(hosts.toArray(new TargetHost[0]), usable, failed, disabled);
    }

    /** As {@link #of(List, Predicate, Predicate, Predicate)}, on {@code h} itself, which is never changed. */
    private static RelayHosts of(TargetHost[] h, Predicate<TargetHost> usable, Predicate<TargetHost> failed,
            Predicate<TargetHost> disabled) {
        boolean[] u = new boolean[h.length];
        boolean[] f = new boolean[h.length];
        boolean[] d = new boolean[h.length];
        for (int i = 0; i < h.length; i++) {
            u[i] = usable.test(h[i]);
            f[i] = failed.test(h[i]);
            d[i] = disabled.test(h[i]);
        }
        return new RelayHosts(h, u, f, d);
    }

    /** A snapshot where every host is usable. */
    public static RelayHosts allUsable(List<TargetHost> hosts) {
        return of(hosts, h -> true);
    }

    /** The same hosts with usability recomputed, none failed. */
    public RelayHosts with(Predicate<TargetHost> isUsable) {
        return of(List.of(hosts), isUsable);
    }

    /** The same hosts with usability and failure recomputed, none disabled. */
    public RelayHosts with(Predicate<TargetHost> isUsable, Predicate<TargetHost> isFailed) {
        return of(List.of(hosts), isUsable, isFailed);
    }

    /** The same hosts with usability, failure and the operator's disables recomputed. */
    public RelayHosts with(Predicate<TargetHost> isUsable, Predicate<TargetHost> isFailed,
            Predicate<TargetHost> isDisabled) {
        return of(hosts, isUsable, isFailed, isDisabled); // the hosts shared, not copied
    }

    /**
     * The same hosts, recomputed where {@code known} holds and kept as in this snapshot
     * elsewhere: a server of an older generation follows the states of the hosts that stayed
     * in the configuration and picks the ones that left as it last did.
     */
    public RelayHosts with(Predicate<TargetHost> known, Predicate<TargetHost> isUsable, Predicate<TargetHost> isFailed,
            Predicate<TargetHost> isDisabled) {
        boolean[] u = usable.clone();
        boolean[] f = failed.clone();
        boolean[] d = disabled.clone();
        for (int i = 0; i < hosts.length; i++) {
            if (known.test(hosts[i])) {
                u[i] = isUsable.test(hosts[i]);
                f[i] = isFailed.test(hosts[i]);
                d[i] = isDisabled.test(hosts[i]);
            }
        }
        return new RelayHosts(hosts, u, f, d);
    }

    public int size() {
        return hosts.length;
    }

    public TargetHost host(int i) {
        return hosts[i];
    }

    public boolean usable(int i) {
        return usable[i];
    }

    public boolean failed(int i) {
        return failed[i];
    }

    public boolean disabled(int i) {
        return disabled[i];
    }

    public List<TargetHost> hosts() {
        return List.of(hosts);
    }

    public int usableCount() {
        int n = 0;
        for (boolean b : usable) {
            n += b ? 1 : 0;
        }
        return n;
    }
}
