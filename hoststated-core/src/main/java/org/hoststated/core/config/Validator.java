package org.hoststated.core.config;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * The checks that need the whole configuration (references, timeouts against intervals,
 * unused objects), and the assembly of the immutable {@link Config}. Runs in the loading
 * thread after parsing.
 */
final class Validator {
    private final Draft draft;
    private final Diagnostics diag;
    private final Pos end;

    Validator(Draft draft, Diagnostics diag, Pos end) {
        this.draft = draft;
        this.diag = diag;
        this.end = end;
    }

    /** Returns the configuration, or null when there are errors (reported to diagnostics). */
    Config validate() {
        int interval = draft.intervalSec != null ? draft.intervalSec : Globals.DEFAULT_INTERVAL_SEC;
        int timeout = draft.timeoutMs != null ? draft.timeoutMs : Globals.DEFAULT_TIMEOUT_MS;
        if ((long) timeout >= interval * 1000L) {
            Pos at = draft.timeoutPos != null ? draft.timeoutPos
                    : draft.intervalPos != null ? draft.intervalPos : end;
            // relayd says "exceeds", also when the two are equal (probe AC 6).
            diag.error(at, "global timeout " + timeout + " ms is not less than the interval of " + interval + " s");
        }
        List<TableConfig> tables = new TemplateExpander(draft, diag, timeout, interval).expand();
        Map<String, TableConfig> byName = tables.stream()
                .collect(Collectors.toMap(TableConfig::name, Function.identity()));
        checkTables(interval, timeout, byName);
        List<ServiceConfig> services = services(byName);
        new L3Capabilities(draft.l3Backend, diag).check(draft.services, byName);
        List<ProtocolConfig> protocols = protocols();
        List<RelayConfig> relays = relays(byName, protocols);
        warnUnusedSslOptions(relays);
        if (!diag.hasErrors()) {
            // After another error a table or relay may hold a stand-in for what its broken line
            // said (a table's port out of range took the relay's own), and a loop found then
            // would send the operator after one that does not exist.
            reportLoops(relays, byName, services, protocols);
        }
        if (!draft.servicesWritten) {
            // Not after a service or relay lost to an error: that error says what to mend.
            diag.error(end.file(), 0, "no services, nothing to do"); // of the whole file, at no line (probe AC)
        }
        if (diag.hasErrors()) {
            return null;
        }
        int prefork = relays.isEmpty() ? 0 : draft.prefork != null ? draft.prefork : Globals.DEFAULT_PREFORK;
        Globals g = new Globals(interval, timeout, draft.log, prefork, draft.demote, draft.user,
                draft.chroot, draft.socket, draft.l3Backend, draft.l3KeepRules);
        return new Config(g, tables, services, relays, protocols);
    }

    private void checkTables(int globalInterval, int globalTimeout, Map<String, TableConfig> byName) {
        Set<String> used = new HashSet<>();
        for (Draft.ServiceDraft s : draft.services) {
            markUsed(used, s.table);
            markUsed(used, s.backup);
        }
        for (Draft.RelayDraft r : draft.relays) {
            markUsed(used, r.table);
        }
        for (Draft.TableDraft t : draft.tables) {
            TableConfig tc = byName.get(t.name);
            if (tc == null) {
                continue;
            }
            // A timeout the table takes from the global one is reported once, as the global's.
            boolean inherited = t.timeoutPos == null && tc.timeoutMs() == globalTimeout;
            if (tc.timeoutMs() >= globalInterval * 1000L && !inherited) {
                diag.error(t.timeoutPos != null ? t.timeoutPos : t.pos,
                        "table " + t.name + ": timeout " + tc.timeoutMs()
                                + " ms is not less than the global interval of " + globalInterval + " s");
            }
            if (tc.intervalSec() < globalInterval || tc.intervalSec() % globalInterval != 0) {
                diag.error(t.intervalPos != null ? t.intervalPos : t.pos, "table " + t.name
                        + " interval must be a multiple of the global interval");
            }
            // With errors, the statement that used it may be one of them (a relay's misspelt
            // "table t roundrobbin"): a warning then sent the operator after the wrong line.
            if (!used.contains(t.name) && !diag.hasErrors()) {
                // Unused tables are checked (listed after the relays); a template has no port to
                // check and no copy to list, and was dropped in silence.
                diag.warning(t.pos, "unused table: " + t.name
                        + (tc.template() ? " (a template, without real port: not checked)" : ""));
            }
        }
    }

    private static void markUsed(Set<String> used, Draft.TableRef ref) {
        if (ref != null) {
            used.add(ref.name);
            if (ref.resolved != null) {
                used.add(ref.resolved);
            }
        }
    }

    private List<ServiceConfig> services(Map<String, TableConfig> byName) {
        List<ServiceConfig> out = new ArrayList<>();
        // The kernel takes the first rule that matches: a virtual host another service has
        // already given (on the same interface, or either on any) gets that service's hosts.
        // A warning, not an error: two services on one address, one kept disabled and switched
        // with hoststatectl, is a way to move traffic at once.
        Map<List<Object>, List<Draft.ServiceDraft>> vips = new java.util.HashMap<>();
        for (Draft.ServiceDraft s : draft.services) {
            Set<VirtualHost> seen = new HashSet<>();
            for (VirtualHost v : s.virtualHosts) {
                if (!seen.add(v)) {
                    diag.warning(s.pos, "service " + s.name + ": virtual host " + v.name() + udp(v.protocol())
                            + " port " + v.port() + " is listed twice");
                }
                List<Draft.ServiceDraft> before = vips.computeIfAbsent(List.of(v.address(), v.protocol(), v.port()),
                        k -> new ArrayList<>());
                for (Draft.ServiceDraft first : before) {
                    if (first != s && first.virtualHosts.stream().anyMatch(o -> overlap(o, v))) {
                        diag.warning(s.pos, "service " + s.name + ": virtual host " + v.name() + udp(v.protocol())
                                + " port " + v.port() + " is also service " + first.name + "'s, which gets its"
                                + " connections while it is enabled and has a host up");
                        break;
                    }
                }
                if (!before.contains(s)) {
                    before.add(s);
                }
            }
        }
        for (Draft.ServiceDraft s : draft.services) {
            String table = s.table == null ? null : s.table.resolved;
            String backup = s.backup == null ? null : s.backup.resolved;
            if (table != null && backup != null
                    && byName.get(table).port() != byName.get(backup).port()) {
                diag.error(s.pos, "service " + s.name + " uses two different ports for its table and backup table: "
                        + table + " port " + byName.get(table).port() + ", " + backup + " port "
                        + byName.get(backup).port());
            }
            if (table != null && table.equals(backup)) {
                diag.warning(s.backup.pos, "service " + s.name + ": backup table " + table
                        + " is its table too, so it never takes over from it");
            }
            out.add(new ServiceConfig(out.size(), s.name, s.virtualHosts, table, backup, s.sticky,
                    s.tag, s.killStates, s.disabled));
        }
        return out;
    }

    /**
     * Whether two virtual hosts match the same packets: same address, protocol and port, and
     * interface (a tcp and a udp virtual host on one address and port, as relayd's DNS example
     * has, do not).
     */
    private static boolean overlap(VirtualHost a, VirtualHost b) {
        return a.address().equals(b.address()) && a.protocol() == b.protocol() && a.port() == b.port()
                && (a.iface() == null || b.iface() == null || a.iface().equals(b.iface()));
    }

    /** " udp" for a UDP virtual host in a message; nothing for TCP, whose texts stay as they were. */
    private static String udp(IpProtocol protocol) {
        return protocol == IpProtocol.UDP ? " udp" : "";
    }

    /**
     * A protocol given {@code ssl} options whose relays all listen without {@code ssl}: the
     * options were meant for TLS, and the relays serve in clear (probe AA).
     */
    private void warnUnusedSslOptions(List<RelayConfig> relays) {
        for (Draft.ProtocolDraft p : draft.protocols) {
            Pos at = p.given.get("ssl ciphers");
            at = at != null ? at : p.given.get("ssl session cache");
            at = at != null ? at : p.tlsPos;
            if (at == null) {
                continue;
            }
            boolean used = false;
            boolean tls = false;
            for (RelayConfig r : relays) {
                if (p.name.equals(r.protocol())) {
                    used = true;
                    tls |= r.listen() != null && r.listen().ssl();
                }
            }
            if (used && !tls) {
                diag.warning(at, "protocol " + Messages.clip(p.name) + ": ssl options, but no relay that uses it"
                        + " listens with ssl (its clients are served in clear)");
            }
        }
    }

    private List<ProtocolConfig> protocols() {
        List<ProtocolConfig> out = new ArrayList<>();
        Set<String> used = new HashSet<>();
        for (Draft.RelayDraft r : draft.relays) {
            if (r.protocol != null) {
                used.add(r.protocol);
            }
        }
        for (Draft.ProtocolDraft p : draft.protocols) {
            if (!used.contains(p.name)) {
                diag.warning(p.pos, "unused protocol: " + p.name);
            }
            TcpOptions tcp = new TcpOptions(p.backlog, p.nodelay, p.sack, p.socketBuffer, p.ipTtl,
                    p.ipMinTtl);
            SslOptions ssl = new SslOptions(p.ciphers, p.sessionCache, p.tls);
            out.add(new ProtocolConfig(out.size(), p.name, p.type, tcp, ssl, p.nodes, p.returnError,
                    p.errorStyle));
        }
        out.add(ProtocolConfig.builtinDefault(out.size()));
        return out;
    }

    /**
     * A service's rule rewrites the destination of packets to its virtual host before the
     * kernel delivers them, so a relay listening there gets only what the rule lets through
     * (nothing while the service has a host up). A warning: a relay kept as the fallback for a
     * service whose hosts are all down is a way to serve a sorry page. Only a virtual host of
     * the relay's own transport takes its clients: UDP for {@code protocol dns}, TCP otherwise.
     */
    private void warnIfRedirected(Draft.RelayDraft r, IpProtocol protocol) {
        for (Draft.ServiceDraft s : draft.services) {
            for (VirtualHost v : s.virtualHosts) {
                boolean same = v.protocol() == protocol && v.port() == r.listen.port()
                        && (v.address().equals(r.listen.address()) || r.listen.address().isAnyLocalAddress());
                if (same && !s.disabled) {
                    diag.warning(r.pos, "relay " + Messages.clip(r.name) + ": service " + s.name
                            + " redirects " + Messages.address(v.address()) + udp(protocol) + " port " + v.port()
                            + ", so its connections do not reach the relay while the service has a host up");
                    return;
                }
            }
        }
    }

    /**
     * A UDP socket bound to a wildcard address sends each answer from the address of the route
     * to its client (the relay keeps no IP_PKTINFO), not from the address the query was sent
     * to: on a machine with several addresses, a client that asked another one and whose
     * socket is connected, as dig's and the C library resolver's are, drops the answer.
     */
    private void warnIfWildcard(Draft.RelayDraft r) {
        InetAddress a = r.listen.address();
        if (a.isAnyLocalAddress()) {
            diag.warning(r.pos, "relay " + Messages.clip(r.name) + ": protocol dns on "
                    + (a instanceof Inet6Address ? "::" : "0.0.0.0") + " port " + r.listen.port()
                    + " answers each query from the address of the route to its client, which a client that"
                    + " asked another address of this machine drops; listen on each address instead");
        }
    }

    /** The transport of a relay of {@code protocol}; TCP for a protocol not (yet) known. */
    static IpProtocol transport(String protocol, List<ProtocolConfig> protocols) {
        return protocols.stream().filter(p -> p.name().equals(protocol)).findFirst()
                .map(ProtocolConfig::transport).orElse(IpProtocol.TCP);
    }

    /**
     * A relay whose connections come back to it, directly or through other relays, would open
     * connections until sockets or memory run out ({@link RelayLoops}); reported at the first
     * relay of each loop.
     */
    private void reportLoops(List<RelayConfig> relays, Map<String, TableConfig> tables,
            List<ServiceConfig> services, List<ProtocolConfig> protocols) {
        List<RelayLoops.Node> nodes = relays.stream()
                .map(r -> new RelayLoops.Node(r, transport(r.protocol(), protocols)))
                .toList();
        for (RelayLoops.Loop loop : new RelayLoops(nodes, tables, services).find()) {
            diag.error(draft.relays.get(loop.first()).pos, loop.message());
        }
    }

    private List<RelayConfig> relays(Map<String, TableConfig> tables, List<ProtocolConfig> protocols) {
        Set<String> services = draft.services.stream().map(s -> s.name).collect(Collectors.toSet());
        Set<String> protos = protocols.stream().map(ProtocolConfig::name).collect(Collectors.toSet());
        List<RelayConfig> out = new ArrayList<>();
        // Relays on one address and port would share one socket, and which relay serves a
        // client would be up to the kernel; TCP and UDP (protocol dns) listeners do not clash.
        Map<List<Object>, String> listeners = new java.util.HashMap<>();
        for (Draft.RelayDraft r : draft.relays) {
            RelayTarget target = null;
            if (r.forward != null) {
                target = r.forward;
            } else if (r.service != null) {
                if (!services.contains(r.service) && !draft.refusedNames.contains("service " + r.service)) {
                    diag.error(r.servicePos, "no such service: " + Messages.clip(r.service));
                }
                target = new ServiceTarget(r.service, r.serviceRetry);
            } else if (r.table != null && r.table.resolved != null) {
                TableConfig t = tables.get(r.table.resolved);
                target = new TableTarget(t.name(), t.port(), r.mode, r.noCheck);
            }
            String proto = r.protocol != null ? r.protocol : ProtocolConfig.DEFAULT_NAME;
            if (r.mode == Mode.HASH && target instanceof TableTarget && !feedsHash(proto, protocols)) {
                // As relayd: the hash is of the listener and the hash actions' values alone.
                diag.warning(r.table.pos, "relay " + Messages.clip(r.name) + ": table " + Messages.clip(r.table.name)
                        + " hash, but protocol " + Messages.clip(proto) + " has no request hash action: every"
                        + " session goes to one host (loadbalance also hashes the client's address)");
            }
            if (!protos.contains(proto) && !draft.refusedNames.contains("protocol " + proto)) {
                boolean type = proto.equals("http") || proto.equals("tcp") || proto.equals("dns");
                // "protocol http" in a relay, the first guess for an HTTP relay (probe AL).
                diag.error(r.protocolPos, "no such protocol: " + Messages.clip(proto) + (type ? " (a relay names a"
                        + " protocol block; the type goes in it: protocol web { protocol " + proto + " })" : ""));
            }
            IpProtocol transport = transport(proto, protocols);
            boolean dns = transport == IpProtocol.UDP;
            if (dns && r.listen != null && r.listen.ssl()) {
                // As relayd: UDP has no TLS, and serving it in clear would hide the mistake.
                diag.error(r.pos, "relay " + Messages.clip(r.name) + ": ssl is not supported with protocol dns");
            }
            Pos timeoutAt = r.given.get("timeout");
            if (dns && timeoutAt != null && r.timeoutSec > RelayConfig.DNS_MAX_WAIT_SEC) {
                // Capped where the relay runs; said here, where the operator reads (probe Z).
                diag.warning(timeoutAt, "relay " + Messages.clip(r.name) + ": timeout " + r.timeoutSec + ": a query of a"
                        + " dns relay waits at most " + RelayConfig.DNS_MAX_WAIT_SEC + " seconds for its answer"
                        + " (a resolver asks again by then)");
            }
            if (dns && r.natLookup) {
                diag.error(r.pos, "relay " + Messages.clip(r.name) + ": nat lookup does not apply to protocol dns");
            }
            if (r.listen != null) {
                warnIfRedirected(r, transport);
                if (dns) {
                    warnIfWildcard(r);
                }
                String other = listeners.putIfAbsent(List.of(r.listen.address(), r.listen.port(), transport), r.name);
                if (other != null) {
                    diag.error(r.pos, "relay " + Messages.clip(r.name) + ": " + Messages.address(r.listen.address())
                            + " port " + r.listen.port() + " is the listener of relay " + Messages.clip(other));
                } else {
                    reportOverlap(r, transport, out, protocols);
                }
            }
            out.add(new RelayConfig(out.size(), r.name, r.listen, target, r.natLookup, r.natRetry,
                    proto, r.timeoutSec, r.disabled));
        }
        return out;
    }

    /** Whether protocol {@code name} is an HTTP one with a request {@code hash} action (review CJ). */
    private static boolean feedsHash(String name, List<ProtocolConfig> protocols) {
        return protocols.stream().anyMatch(p -> p.name().equals(name) && p.type() == ProtocolType.HTTP
                && p.nodes().stream().anyMatch(n -> n.action() == Action.HASH && n.dir() == Direction.REQUEST));
    }

    /**
     * The first earlier relay of {@code transport} whose listener could not be bound beside
     * {@code r}'s, or would take its traffic ({@link ListenerOverlap}).
     */
    private void reportOverlap(Draft.RelayDraft r, IpProtocol transport, List<RelayConfig> earlier,
            List<ProtocolConfig> protocols) {
        InetAddress a = r.listen.address();
        for (RelayConfig e : earlier) {
            ListenConfig l = e.listen();
            if (l == null || l.port() != r.listen.port() || transport(e.protocol(), protocols) != transport
                    || l.address().equals(a)) {
                continue;
            }
            if (transport == IpProtocol.TCP ? ListenerOverlap.clash(l.address(), a) : ListenerOverlap.wildcards(l.address(), a)) {
                diag.error(r.pos, "relay " + Messages.clip(r.name) + ": " + Messages.address(a)
                        + " port " + r.listen.port() + " overlaps the listener of relay " + Messages.clip(e.name())
                        + " on " + Messages.address(l.address()) + " port " + l.port()
                        + (transport == IpProtocol.TCP
                                ? ": a wildcard address and another of its addresses cannot both listen on one port"
                                : ": the IPv4 wildcard would take every query, and the other relay none"));
                return;
            }
        }
    }
}
