package org.hoststated.pfe.backend;

import io.netty.util.NetUtil;
import java.net.InetAddress;
import java.util.List;
import org.hoststated.core.config.IpProtocol;

/**
 * The kernel's layer-3 redirection rules, kept equal to pfe's state. pfe calls {@link #apply}
 * with the whole desired state after every burst of changes; an implementation makes the
 * kernel match it, atomically where the kernel allows, on a writer thread of its own: apply
 * never blocks pfe's event loop. One implementation per kernel interface (nftables, pf, none);
 * it is the only class that knows that interface's syntax.
 */
public interface L3Backend extends AutoCloseable {
    /** "nftables", "pf" or "none". */
    String name();

    /**
     * Reads what a previous run left in the kernel; it stays until the first {@link #apply}
     * replaces it. Called once, before the first apply.
     *
     * @return whether a previous run left redirection rules (pfe then holds its first write
     *         until every host is checked, however long that takes)
     */
    boolean start();

    /**
     * Makes the kernel redirect exactly {@code services}, soon, and then cuts the flows of
     * {@code kills}: only once no rule sends new flows to those hosts, or the next packet of
     * a cut flow would be sent to the same host again.
     *
     * @param kills flows to cut ({@code kill states}); kills of applies that a newer one
     *        replaced before they were written are kept and cut after the newer one
     * @param changedAt {@link System#nanoTime()} of the first state change this apply
     *        carries, for the "applied N ms after the change" debug line
     */
    void apply(List<Redirect> services, List<StateKill> kills, long changedAt);

    /**
     * Waits until everything given to {@link #apply} so far has been tried once.
     *
     * @return false if that took longer than {@code timeoutMs}
     */
    boolean awaitApplied(long timeoutMs) throws InterruptedException;

    /**
     * Why the last write to the kernel failed, while it is being retried; null once a write
     * succeeds, and before the first. {@code show summary} says so rather than "active" for
     * rules the kernel does not have. Any thread.
     */
    default String failure() {
        return null;
    }

    /** Whether {@link #close} leaves the rules in place ({@code l3 keep rules}); a reload may change it. */
    void keepRules(boolean keep);

    /**
     * Writes what is pending, then removes the rules unless configured to keep them. Cuts no
     * flow from the call on: kills still pending are dropped and one under way ends at its
     * next step (pfe closes its backend as it exits, and a stop must do no more than remove
     * the rules). To cut flows first, {@link #awaitApplied} their apply.
     */
    @Override
    void close();

    /**
     * pfe's stop: {@link #close}, except that the flows the rules redirected go on after it
     * where the kernel needs rules for that (nftables keeps its table, empty of
     * redirections, {@code NftScript#KEEP_TRACKING}), as pf's states outlive its rules.
     */
    default void closeAtStop() {
        close();
    }

    /**
     * What one service should redirect: each virtual address and port to the up hosts of its
     * active table on {@code realPort}; an empty {@code hosts} list means no rule.
     *
     * @param service the service's name
     * @param hosts the hosts of the active table that are up, in configuration order
     * @param tag pf tag (a packet mark with nftables), or null
     * @param pool every host of the active table, up or not: the sticky slots are dealt to them
     *        ({@code NftScript.stickySlots})
     */
    record Redirect(String service, List<Virtual> virtuals, List<InetAddress> hosts, int realPort, boolean sticky,
                    String tag, List<InetAddress> pool) {
        public Redirect {
            virtuals = List.copyOf(virtuals);
            hosts = List.copyOf(hosts);
            pool = List.copyOf(pool);
        }

        /** A redirect whose pool is its hosts up. */
        public Redirect(String service, List<Virtual> virtuals, List<InetAddress> hosts, int realPort, boolean sticky,
                        String tag) {
            this(service, virtuals, hosts, realPort, sticky, tag, hosts);
        }
    }

    /**
     * The flows that one service's rules sent to hosts that are no longer its targets, or by a
     * virtual host it no longer has ({@code kill states}): original destination one of
     * {@code virtuals} (address, port and protocol), answered by one of {@code hosts} from
     * {@code realPort}. A kill names one host (with the service's virtual hosts: a host down or
     * removed) or one virtual host (with the hosts that were up: a virtual host or a service
     * removed), so that {@link #outside} can leave out exactly the flows still redirected.
     *
     * @param what what happened, for the log line: {@code host 10.0.0.2 down},
     *        {@code virtual host 10.0.0.1:53/udp removed}
     * @param closedOnly only the flows that carry no live connection any more, for a service
     *        without {@code kill states} ({@link #closedTo})
     * @param allBut the flows answered by any host but {@code hosts} on {@code realPort}
     *        ({@link #strays}), rather than by one of them
     */
    record StateKill(String service, List<Virtual> virtuals, List<InetAddress> hosts, int realPort, String what,
            boolean closedOnly, boolean allBut) {
        public StateKill {
            virtuals = List.copyOf(virtuals);
            hosts = List.copyOf(hosts);
            if (hosts.size() != 1 && virtuals.size() != 1) {
                throw new IllegalArgumentException("a state kill names one host or one virtual host");
            }
        }

        public StateKill(String service, List<Virtual> virtuals, List<InetAddress> hosts, int realPort, String what,
                boolean closedOnly) {
            this(service, virtuals, hosts, realPort, what, closedOnly, false);
        }

        public StateKill(String service, List<Virtual> virtuals, List<InetAddress> hosts, int realPort, String what) {
            this(service, virtuals, hosts, realPort, what, false);
        }

        /** The flows of {@code host} through the service's {@code virtuals}; {@code why}: "down", "removed". */
        public StateKill(String service, List<Virtual> virtuals, InetAddress host, int realPort, String why) {
            this(service, virtuals, List.of(host), realPort, "host " + NetUtil.toAddressString(host) + " " + why);
        }

        /**
         * The flows of {@code host}, down, through the service's {@code virtuals} that carry no
         * live connection: TCP connections it refused or reset, closed ones, unanswered
         * handshakes. Without {@code kill states} they are still cut: a client that makes a new
         * connection from the same port meets such an entry and goes to the host its rule no
         * longer names (refused for up to the kernel's 10 s for a closed entry), where the
         * manual promises the hosts that are up. No connection that can move data is cut.
         */
        public static StateKill closedTo(String service, List<Virtual> virtuals, InetAddress host, int realPort) {
            return new StateKill(service, virtuals, List.of(host), realPort,
                    "host " + NetUtil.toAddressString(host) + " down", true);
        }

        /** The flows through {@code virtual} to any of {@code hosts}; {@code why}: "removed". */
        public static StateKill ofVirtual(String service, Virtual virtual, List<InetAddress> hosts, int realPort,
                String why) {
            return new StateKill(service, List.of(virtual), hosts, realPort,
                    "virtual host " + virtual.label() + " " + why);
        }

        /**
         * The flows through {@code virtual} that a host other than {@code keep} answers, or one of
         * them from another port than {@code realPort}: at pfe's first write, those that rules
         * pfe never saw sent (a previous run's, of the daemon or of a pfe that died) to a host that
         * is down now, or that this configuration no longer has, which pfe cannot name. The hosts
         * the rules send {@code virtual} to are left out as the rules are written ({@link #outside}).
         */
        public static StateKill strays(String service, Virtual virtual, List<InetAddress> keep, int realPort,
                boolean closedOnly) {
            return new StateKill(service, List.of(virtual), keep, realPort,
                    "virtual host " + virtual.label() + ": flows of a previous run to hosts its rule leaves out",
                    closedOnly, true);
        }

        /** Whether this kill takes a flow that {@code host} answers from {@code port}. */
        public boolean takes(InetAddress host, int port) {
            boolean named = hosts.contains(host) && port == realPort;
            return named != allBut;
        }

        /**
         * This kill without the flows that {@code redirects} still send where they went (the
         * same virtual address, protocol and port to the same host and port, whichever service
         * now has them): those are fine where they are. Null when none is left.
         */
        public StateKill outside(List<Redirect> redirects) {
            if (allBut) {
                java.util.Set<InetAddress> keep = new java.util.LinkedHashSet<>(hosts);
                for (Redirect r : redirects) {
                    if (r.realPort() == realPort && r.virtuals().stream().anyMatch(virtuals.get(0)::sameFlows)) {
                        keep.addAll(r.hosts());
                    }
                }
                return keep.size() == hosts.size() ? this
                        : new StateKill(service, virtuals, List.copyOf(keep), realPort, what, closedOnly, true);
            }
            if (hosts.size() == 1) {
                List<Virtual> left = virtuals.stream().filter(v -> !redirected(redirects, v, hosts.get(0))).toList();
                return left.isEmpty() ? null : left.size() == virtuals.size() ? this
                        : new StateKill(service, left, hosts, realPort, what, closedOnly);
            }
            List<InetAddress> left = hosts.stream().filter(h -> !redirected(redirects, virtuals.get(0), h)).toList();
            return left.isEmpty() ? null : left.size() == hosts.size() ? this
                    : new StateKill(service, virtuals, left, realPort, what, closedOnly);
        }

        private boolean redirected(List<Redirect> redirects, Virtual v, InetAddress host) {
            return redirects.stream().anyMatch(r -> r.realPort() == realPort && r.hosts().contains(host)
                    && r.virtuals().stream().anyMatch(v::sameFlows));
        }
    }

    /**
     * A virtual address, protocol and port of a service, optionally limited to an input
     * interface.
     */
    record Virtual(InetAddress address, IpProtocol protocol, int port, String iface) {
        public Virtual {
            java.util.Objects.requireNonNull(protocol, "protocol");
        }

        /**
         * Whether the two take the same flows: address, protocol and port. The interface is left
         * out: neither a conntrack entry nor a pf state records it, and a flow moved to another
         * interface's rule is still redirected to its host.
         */
        public boolean sameFlows(Virtual o) {
            return address.equals(o.address) && protocol == o.protocol && port == o.port;
        }

        /** {@code 10.0.0.1:53/udp}, {@code [fd00::1]:53/udp}, as log lines name it. */
        public String label() {
            String a = NetUtil.toAddressString(address);
            return (address instanceof java.net.Inet6Address ? "[" + a + "]" : a) + ":" + port + "/" + protocol.word();
        }
    }
}
