package org.hoststated.pfe.backend;

import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;

/**
 * Finds the connection tracking entries that a service's DNAT rules made towards a host, and
 * deletes them ({@code kill states} with nftables). One listing serves every kill of a write;
 * the matching is done here, so it works on every kernel (ctnetlink's own filters need 5.8 or
 * later and cannot match the reply direction). Runs on the {@code l3-writer} thread only.
 */
final class ConntrackStates implements NftBackend.StateKiller {
    private final Conntrack conntrack;

    ConntrackStates(Conntrack conntrack) {
        this.conntrack = conntrack;
    }

    @Override
    public int[] kill(List<L3Backend.StateKill> kills, BooleanSupplier stopping) throws L3Exception {
        List<ConntrackEntry> all = conntrack.list(e -> kills.stream().anyMatch(k -> belongs(e, k)), stopping);
        int[] killed = new int[kills.size()];
        for (int i = 0; i < kills.size(); i++) {
            L3Backend.StateKill k = kills.get(i);
            // A kill of every state counts the connections it cut: the entries of closed ones
            // (a burst of short connections leaves dozens in TIME_WAIT) go uncounted, or "51
            // states killed" was logged with no connection open (probe I of session 57).
            List<ConntrackEntry> counted = new ArrayList<>();
            List<ConntrackEntry> uncounted = new ArrayList<>();
            for (ConntrackEntry e : all) {
                if (belongs(e, k)) {
                    (k.closedOnly() || !e.closedOrUnanswered() ? counted : uncounted).add(e);
                }
            }
            killed[i] = counted.isEmpty() ? 0 : conntrack.delete(counted, stopping);
            if (!uncounted.isEmpty()) {
                conntrack.delete(uncounted, stopping);
            }
        }
        return killed;
    }

    /**
     * Whether the service's rule made {@code e} towards one of the kill's hosts: the client sent
     * it to one of the virtual addresses and ports with that virtual host's protocol, and the
     * host answers it from its real port. A UDP client sending from one port keeps one entry for
     * as long as it sends, so without this its datagrams would go to a dead host for ever. The
     * balancer's own connections to the host (a relay's, a check's) were sent to the host's
     * address, not to a virtual one, and stay.
     */
    static boolean belongs(ConntrackEntry e, L3Backend.StateKill k) {
        if (k.closedOnly() && !e.closedOrUnanswered()) {
            return false;
        }
        ConntrackEntry.Tuple o = e.original();
        ConntrackEntry.Tuple r = e.reply();
        if (!k.takes(r.source(), r.sourcePort())) {
            return false;
        }
        if (r.source().equals(o.destination()) && r.sourcePort() == o.destinationPort()) {
            return false; // not redirected: answered by the address it was sent to
        }
        for (L3Backend.Virtual v : k.virtuals()) {
            if (o.protocol() == v.protocol().number() && o.destination().equals(v.address())
                    && o.destinationPort() == v.port()) {
                return true;
            }
        }
        return false;
    }
}
