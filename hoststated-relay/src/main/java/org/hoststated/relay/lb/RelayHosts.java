package org.hoststated.relay.lb;

import java.util.List;
import java.util.function.Predicate;

/**
 * The hosts of one relay target in configuration order, with which of them may take new
 * sessions. Immutable: the relay engine's loop builds a new snapshot when host state changes
 * and swaps it into the {@link HostSelector} by reference; the worker loops only read it.
 */
public final class RelayHosts {
    private final TargetHost[] hosts;
    private final boolean[] usable;

    private RelayHosts(TargetHost[] hosts, boolean[] usable) {
        this.hosts = hosts;
        this.usable = usable;
    }

    /** A snapshot of {@code hosts} where {@code usable} says which may get new sessions. */
    public static RelayHosts of(List<TargetHost> hosts, Predicate<TargetHost> usable) {
        TargetHost[] h = hosts.toArray(new TargetHost[0]);
        boolean[] u = new boolean[h.length];
        for (int i = 0; i < h.length; i++) {
            u[i] = usable.test(h[i]);
        }
        return new RelayHosts(h, u);
    }

    /** A snapshot where every host is usable. */
    public static RelayHosts allUsable(List<TargetHost> hosts) {
        return of(hosts, h -> true);
    }

    /** The same hosts with usability recomputed. */
    public RelayHosts with(Predicate<TargetHost> isUsable) {
        return of(List.of(hosts), isUsable);
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
