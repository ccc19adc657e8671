package org.hoststated.core.config;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Finds relays whose connections would come back to themselves: a relay whose target is its
 * own listener, or relays whose targets lead from one to the next and back to the first. Each
 * connection such a loop accepts opens another on the same path until sockets or memory run
 * out. The graph's nodes are the enabled relays; an edge goes from a relay to each relay that
 * listens, on the same transport, where one of its target endpoints is (a {@code forward to}
 * address, a table host at the target's port, or the virtual host a {@code service} target
 * uses). Used once per configuration load.
 */
final class RelayLoops {
    /** One relay: its configuration and the transport it listens and connects on. */
    record Node(RelayConfig relay, IpProtocol transport) {
    }

    /**
     * One loop: indexes into the nodes in the order connections travel, the lowest first, and
     * the error message that names each hop.
     */
    record Loop(List<Integer> relays, String message) {
        int first() {
            return relays.get(0);
        }
    }

    private record Endpoint(InetAddress address, int port) {
        @Override
        public String toString() {
            return Messages.address(address) + " port " + port;
        }
    }

    private final List<Node> nodes;
    private final Map<String, TableConfig> tables;
    private final List<ServiceConfig> services;
    /** This machine's interface addresses, read at the first need. */
    private Set<InetAddress> localAddresses;

    RelayLoops(List<Node> nodes, Map<String, TableConfig> tables, List<ServiceConfig> services) {
        this.nodes = nodes;
        this.tables = tables;
        this.services = services;
    }

    /** Listeners by transport and port, and by address too where the address decides. */
    private record PortKey(IpProtocol transport, int port) {
    }

    private record AddressKey(IpProtocol transport, int port, InetAddress address) {
    }

    /** Each loop once. */
    List<Loop> find() {
        // The listeners indexed, so that each target endpoint looks up the few relays it may
        // reach: every endpoint against every relay cost relays squared times hosts, 214 s of
        // `hoststated -n` (and of every start and reload, in each process) for 2,000 relays on
        // a table of 5,000 hosts (probe T).
        Map<AddressKey, List<Integer>> byAddress = new HashMap<>();
        Map<PortKey, List<Integer>> wildcard = new HashMap<>();
        Map<PortKey, List<Integer>> wildcardOrLoopback = new HashMap<>();
        for (int j = 0; j < nodes.size(); j++) {
            Node n = nodes.get(j);
            ListenConfig l = n.relay().listen();
            if (n.relay().disabled() || l == null) {
                continue;
            }
            PortKey k = new PortKey(n.transport(), l.port());
            byAddress.computeIfAbsent(new AddressKey(n.transport(), l.port(), l.address()), x -> new ArrayList<>()).add(j);
            if (l.address().isAnyLocalAddress()) {
                wildcard.computeIfAbsent(k, x -> new ArrayList<>()).add(j);
            }
            if (l.address().isAnyLocalAddress() || l.address().isLoopbackAddress()) {
                wildcardOrLoopback.computeIfAbsent(k, x -> new ArrayList<>()).add(j);
            }
        }
        List<List<Integer>> next = new ArrayList<>();
        for (Node from : nodes) {
            java.util.BitSet to = new java.util.BitSet();
            for (Endpoint e : targets(from)) {
                PortKey k = new PortKey(from.transport(), e.port());
                byAddress.getOrDefault(new AddressKey(from.transport(), e.port(), e.address()), List.of()).forEach(to::set);
                if (e.address().isAnyLocalAddress()) {
                    wildcardOrLoopback.getOrDefault(k, List.of()).stream()
                            .filter(j -> toLoopback(e.address(), listenAddress(j))).forEach(to::set);
                } else if (wildcard.containsKey(k) && isLocal(e.address())) {
                    wildcard.get(k).stream().filter(j -> covers(listenAddress(j), e.address())).forEach(to::set);
                }
            }
            next.add(to.stream().boxed().toList());
        }
        List<Loop> loops = new ArrayList<>();
        for (int start = 0; start < nodes.size(); start++) {
            List<Integer> path = new ArrayList<>();
            path.add(start);
            walk(start, start, next, path, loops);
        }
        return loops;
    }

    /**
     * Depth-first from {@code at}, visiting only relays after {@code start}, so that each loop
     * is found once, from its lowest relay; {@code path} ends with {@code at}.
     */
    private void walk(int start, int at, List<List<Integer>> next, List<Integer> path, List<Loop> loops) {
        for (int j : next.get(at)) {
            if (j == start) {
                loops.add(new Loop(List.copyOf(path), message(path)));
            } else if (j > start && !path.contains(j)) {
                path.add(j);
                walk(start, j, next, path, loops);
                path.remove(path.size() - 1);
            }
        }
    }

    private String message(List<Integer> loop) {
        StringBuilder hops = new StringBuilder();
        for (int i = 0; i < loop.size(); i++) {
            Node from = nodes.get(loop.get(i));
            Node to = nodes.get(loop.get((i + 1) % loop.size()));
            Endpoint at = targets(from).stream().filter(e -> reaches(from, e, to)).findFirst().orElseThrow();
            hops.append(i == 0 ? "" : ", ").append(name(from)).append(" connects to ").append(at)
                    .append(from == to ? " (its own listener)" : " (relay " + name(to) + ")");
        }
        String what = loop.size() == 1 ? "relay " + name(nodes.get(loop.get(0))) + " loops"
                : "relays " + loop.stream().map(i -> name(nodes.get(i))).collect(Collectors.joining(", ")) + " loop";
        return what + ": " + hops + ", so each connection would open another";
    }

    private static String name(Node n) {
        return Messages.clip(n.relay().name());
    }

    /** Where {@code node}'s sessions connect; nothing for a disabled relay or one with only nat lookup. */
    private List<Endpoint> targets(Node node) {
        RelayConfig r = node.relay();
        List<Endpoint> out = new ArrayList<>();
        if (r.disabled() || r.listen() == null) {
            return out;
        }
        if (r.target() instanceof ForwardTarget f) {
            out.add(new Endpoint(f.address(), f.port()));
        } else if (r.target() instanceof TableTarget t) {
            TableConfig table = tables.get(t.table());
            // A disabled table too: hoststatectl table enable brings it back without a check
            // (probe D: one client became 9,882 sessions in 2 s after such an enable).
            if (table != null) {
                int port = t.port() > 0 ? t.port() : table.port();
                table.hosts().forEach(h -> out.add(new Endpoint(h.address(), port)));
            }
        } else if (r.target() instanceof ServiceTarget s) {
            services.stream().filter(svc -> svc.name().equals(s.service())).findFirst()
                    .flatMap(svc -> svc.relayTarget(node.transport()))
                    .ifPresent(v -> out.add(new Endpoint(v.address(), v.port())));
        }
        return out;
    }

    /**
     * Whether a connection of {@code from} to {@code e} reaches the listener of {@code to}: what
     * {@link #find}'s index answers for every endpoint at once, asked here for a loop's message.
     */
    private boolean reaches(Node from, Endpoint e, Node to) {
        ListenConfig l = to.relay().listen();
        if (to.relay().disabled() || l == null || l.port() != e.port() || from.transport() != to.transport()) {
            return false;
        }
        InetAddress a = e.address();
        if (a.equals(l.address())) {
            return true;
        }
        if (a.isAnyLocalAddress()) {
            return toLoopback(a, l.address());
        }
        return l.address().isAnyLocalAddress() && covers(l.address(), a) && isLocal(a);
    }

    private InetAddress listenAddress(int node) {
        return nodes.get(node).relay().listen().address();
    }

    /**
     * Whether a connection to the wildcard {@code any} (which goes to the loopback address of
     * its family: 0.0.0.0 to 127.0.0.1, :: to ::1) reaches a listener on {@code listen}, a
     * wildcard or a loopback address.
     */
    private static boolean toLoopback(InetAddress any, InetAddress listen) {
        return listen.isAnyLocalAddress() ? covers(listen, any)
                : listen.isLoopbackAddress() && (listen instanceof Inet4Address) == (any instanceof Inet4Address);
    }

    /**
     * Whether a listener on the wildcard {@code wildcard} takes connections to {@code a}: :: is
     * a dual-stack socket, every address; 0.0.0.0 an IPv4 one, the IPv4 addresses only (a relay
     * on it forwarding to an IPv6 address of this machine was refused as a loop, probe E).
     */
    private static boolean covers(InetAddress wildcard, InetAddress a) {
        return !(wildcard instanceof Inet4Address) || a instanceof Inet4Address;
    }

    /** Whether {@code a} is an address of this machine: loopback, or on one of its interfaces. */
    private boolean isLocal(InetAddress a) {
        if (a.isLoopbackAddress()) {
            return true;
        }
        if (localAddresses == null) {
            // Once per load: a table of thousands of hosts on a wildcard relay's port asks for each.
            localAddresses = new HashSet<>();
            try {
                NetworkInterface.networkInterfaces()
                        .forEach(i -> i.inetAddresses().forEach(localAddresses::add));
            } catch (SocketException e) {
                // Unknown interfaces: only loopback counts as local.
            }
        }
        return localAddresses.contains(a);
    }
}
