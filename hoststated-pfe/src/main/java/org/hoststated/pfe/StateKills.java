package org.hoststated.pfe;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.hoststated.core.msg.HostState;
import org.hoststated.pfe.backend.L3Backend;

/**
 * Which established flows pfe has the backend cut ({@code kill states}): those a service's
 * rules sent to a host that went from up to down, or that a reload removed from the service's
 * tables. Never for a disabled host, table or service: disabling drains, and the flows go on.
 * Runs on pfe's event loop.
 */
final class StateKills {
    private StateKills() {
    }

    /** The flows to cut now that {@code h} went from up to down. */
    static List<L3Backend.StateKill> down(PfeState state, HostEntry h) {
        List<L3Backend.StateKill> out = new ArrayList<>();
        for (ServiceEntry s : state.services) {
            if (s.config.killStates() && (s.main == h.table || s.backup == h.table)) {
                out.add(new L3Backend.StateKill(s.config.name(), PfeState.virtuals(s), h.config.address(),
                        s.main.config.port(), "down"));
            }
        }
        return out;
    }

    /**
     * The flows to cut after a reload from {@code previous} to {@code now}: per service of
     * {@code now} with {@code kill states}, each host that was up in its tables before and is in
     * none of them now, with the virtual addresses and port its flows were redirected by.
     */
    static List<L3Backend.StateKill> removed(PfeState previous, PfeState now) {
        List<L3Backend.StateKill> out = new ArrayList<>();
        if (previous == null) {
            return out;
        }
        for (ServiceEntry s : now.services) {
            ServiceEntry was = previous.services.stream()
                    .filter(p -> p.config.name().equals(s.config.name())).findFirst().orElse(null);
            if (!s.config.killStates() || was == null) {
                continue;
            }
            Set<InetAddress> kept = addresses(s, false);
            for (InetAddress a : addresses(was, true)) {
                if (!kept.contains(a)) {
                    out.add(new L3Backend.StateKill(s.config.name(), PfeState.virtuals(was), a,
                            was.main.config.port(), "removed"));
                }
            }
        }
        return out;
    }

    /** The addresses of a service's tables; with {@code upOnly}, of the enabled hosts that are up. */
    private static Set<InetAddress> addresses(ServiceEntry s, boolean upOnly) {
        Set<InetAddress> out = new LinkedHashSet<>();
        for (TableEntry t : new TableEntry[] {s.main, s.backup}) {
            if (t == null || (upOnly && t.disabled)) {
                continue;
            }
            for (HostEntry h : t.hosts) {
                if (!upOnly || (h.state == HostState.UP && !h.disabled)) {
                    out.add(h.config.address());
                }
            }
        }
        return out;
    }

    /**
     * {@code kills} without duplicates and without those whose host is a target of its service
     * again in {@code redirects} (up in the active table, or listed twice and up elsewhere):
     * its flows are fine where they are.
     */
    static List<L3Backend.StateKill> stillGone(List<L3Backend.StateKill> kills, List<L3Backend.Redirect> redirects) {
        List<L3Backend.StateKill> out = new ArrayList<>();
        for (L3Backend.StateKill k : new LinkedHashSet<>(kills)) {
            boolean target = redirects.stream()
                    .anyMatch(r -> r.service().equals(k.service()) && r.hosts().contains(k.host()));
            if (!target) {
                out.add(k);
            }
        }
        return out;
    }
}
