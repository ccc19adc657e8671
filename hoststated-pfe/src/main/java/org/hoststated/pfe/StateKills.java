package org.hoststated.pfe;

import io.netty.util.NetUtil;
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
 * tables (or whose real port it changed), and those a reload leaves without their rule: a
 * service or virtual host removed; those a backup table's hosts took while the main table was
 * down, once it hands them back; and at pfe's first write, those a previous run's rules sent to
 * hosts this run's leave out. Never for a host, table or service disabled and still configured:
 * disabling drains, and the flows go on. Runs on pfe's event loop.
 */
final class StateKills {
    private StateKills() {
    }

    /**
     * The flows to cut now that {@code h} went from up to down: all of them with {@code kill
     * states}, else those without a live connection ({@link L3Backend.StateKill#closedTo}).
     */
    static List<L3Backend.StateKill> down(PfeState state, HostEntry h) {
        List<L3Backend.StateKill> out = new ArrayList<>();
        for (ServiceEntry s : state.services) {
            if (s.main != h.table && s.backup != h.table) {
                continue;
            }
            out.add(s.config.killStates()
                    ? new L3Backend.StateKill(s.config.name(), PfeState.virtuals(s), h.config.address(),
                            s.main.config.port(), "down")
                    : L3Backend.StateKill.closedTo(s.config.name(), PfeState.virtuals(s), h.config.address(),
                            s.main.config.port()));
        }
        return out;
    }

    /**
     * The flows to cut at pfe's first write to the kernel: per virtual host of each enabled
     * service, every flow some rule sent to a host but those the rules written send it to
     * ({@link L3Backend.StateKill#outside} adds them), the disabled hosts (draining) and the
     * hosts not checked yet. pfe cannot know
     * where a previous run's rules sent flows (the daemon's, kept or left by a kill, or a pfe
     * that died; a reload meanwhile may have removed hosts): as it would have cut them when a
     * host went down, had it seen that, so now. All of them with {@code kill states}, else those
     * without a live connection ({@link L3Backend.StateKill#closedTo}).
     */
    static List<L3Backend.StateKill> leftBehind(PfeState state) {
        List<L3Backend.StateKill> out = new ArrayList<>();
        for (ServiceEntry s : state.services) {
            if (s.disabled) {
                continue;
            }
            List<InetAddress> keep = new ArrayList<>();
            for (TableEntry t : new TableEntry[] {s.main, s.backup}) {
                for (HostEntry h : t == null ? List.<HostEntry>of() : t.hosts) {
                    if (t.disabled || h.disabled || h.state == HostState.UNKNOWN) {
                        keep.add(h.config.address());
                    }
                }
            }
            for (L3Backend.Virtual v : PfeState.virtuals(s)) {
                out.add(L3Backend.StateKill.strays(s.config.name(), v, keep, s.main.config.port(),
                        !s.config.killStates()));
            }
        }
        return out;
    }

    /**
     * The flows of one address family to cut now that {@code s}'s main table takes them back
     * from its backup table ({@code kill states}): a UDP client that keeps its port would stay
     * with a backup host for as long as it sends.
     */
    static List<L3Backend.StateKill> handedBack(ServiceEntry s, boolean ipv6) {
        List<L3Backend.StateKill> out = new ArrayList<>();
        if (s.backup == null || !s.config.killStates()) {
            return out;
        }
        for (HostEntry h : s.backup.hosts) {
            if (h.ipv6() != ipv6) {
                continue;
            }
            out.add(new L3Backend.StateKill(s.config.name(), PfeState.virtuals(s), List.of(h.config.address()),
                    s.main.config.port(), "host " + NetUtil.toAddressString(h.config.address())
                            + " of backup table " + s.backup.config.name() + ", main table up again"));
        }
        return out;
    }

    /**
     * The flows to cut after a reload from {@code previous} to {@code now}.
     * <ul>
     * <li>Per service of {@code now} with {@code kill states}: each host that was in its tables
     * before (up, down or disabled: a drained host that the reload removes loses what it has
     * left) and is in none of them now, or all of them when the reload changes the real port,
     * with the virtual hosts and port its flows were redirected by.
     * <li>Per service of {@code previous} with {@code kill states} (the setting its flows were
     * made under): each virtual host it loses (the reload removes the service, renames it, or
     * changes or drops that virtual host's address, port or protocol), with the hosts that were
     * up in its tables, less those a service of {@code now} redirects that virtual host to
     * (in its tables, whatever their state: a renamed service keeps its clients).
     * </ul>
     * Disabled services, tables and hosts lose nothing: disabling drains.
     */
    static List<L3Backend.StateKill> removed(PfeState previous, PfeState now) {
        List<L3Backend.StateKill> out = new ArrayList<>();
        if (previous == null) {
            return out;
        }
        for (ServiceEntry was : previous.services) {
            ServiceEntry s = now.services.stream()
                    .filter(n -> n.config.name().equals(was.config.name())).findFirst().orElse(null);
            Set<InetAddress> hostKilled = new LinkedHashSet<>();
            if (s != null && s.config.killStates()) {
                boolean samePort = s.main.config.port() == was.main.config.port();
                Set<InetAddress> kept = samePort ? addresses(s, false) : Set.of();
                for (InetAddress a : addresses(was, false)) {
                    if (!kept.contains(a)) {
                        hostKilled.add(a);
                        out.add(new L3Backend.StateKill(s.config.name(), PfeState.virtuals(was), a,
                                was.main.config.port(), samePort ? "removed"
                                        : "port " + was.main.config.port() + " replaced by " + s.main.config.port()));
                    }
                }
            }
            if (was.config.killStates() && !was.disabled) {
                out.addAll(lostVirtuals(was, s, now, hostKilled));
            }
        }
        return out;
    }

    /**
     * The kills of the virtual hosts {@code was} loses in {@code now} ({@code s} is its
     * successor of the same name, or null), without the hosts {@code hostKilled} already cuts.
     */
    private static List<L3Backend.StateKill> lostVirtuals(ServiceEntry was, ServiceEntry s, PfeState now,
            Set<InetAddress> hostKilled) {
        List<L3Backend.StateKill> out = new ArrayList<>();
        List<L3Backend.Virtual> keeps = s == null ? List.of() : PfeState.virtuals(s);
        int port = was.main.config.port();
        for (L3Backend.Virtual v : PfeState.virtuals(was)) {
            if (keeps.stream().anyMatch(v::sameFlows)) {
                continue;
            }
            List<InetAddress> hosts = new ArrayList<>();
            for (InetAddress a : addresses(was, true)) {
                if (!hostKilled.contains(a) && !stillSent(now, v, a, port)) {
                    hosts.add(a);
                }
            }
            if (!hosts.isEmpty()) {
                out.add(L3Backend.StateKill.ofVirtual(was.config.name(), v, hosts, port,
                        s == null ? "removed with its service" : "removed"));
            }
        }
        return out;
    }

    /** Whether a service of {@code now} has virtual host {@code v} and host {@code a} on {@code port}. */
    private static boolean stillSent(PfeState now, L3Backend.Virtual v, InetAddress a, int port) {
        for (ServiceEntry n : now.services) {
            if (n.main.config.port() == port && addresses(n, false).contains(a)
                    && PfeState.virtuals(n).stream().anyMatch(v::sameFlows)) {
                return true;
            }
        }
        return false;
    }

    /** The addresses of a service's tables; with {@code upOnly}, of the enabled hosts that are up. */
    private static Set<InetAddress> addresses(ServiceEntry s, boolean upOnly) {
        Set<InetAddress> out = new LinkedHashSet<>();
        for (TableEntry t : new TableEntry[] {s.main, s.backup}) {
            if (t == null || (upOnly && t.disabled)) {
                continue;
            }
            for (HostEntry h : t.hosts) {
                if (!upOnly || h.serving()) {
                    out.add(h.config.address());
                }
            }
        }
        return out;
    }

    /**
     * {@code kills} without duplicates and without the flows that {@code redirects} still send
     * where they went ({@link L3Backend.StateKill#outside}): a host that is up in the active
     * table again, or a virtual host another service took over with the same host.
     */
    static List<L3Backend.StateKill> stillGone(List<L3Backend.StateKill> kills, List<L3Backend.Redirect> redirects) {
        List<L3Backend.StateKill> out = new ArrayList<>();
        for (L3Backend.StateKill k : new LinkedHashSet<>(kills)) {
            L3Backend.StateKill left = k.outside(redirects);
            if (left != null) {
                out.add(left);
            }
        }
        return out;
    }
}
