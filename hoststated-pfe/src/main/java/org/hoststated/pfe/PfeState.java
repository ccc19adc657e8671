package org.hoststated.pfe;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;
import org.hoststated.core.config.Config;
import org.hoststated.core.config.HostConfig;
import org.hoststated.core.config.HostKey;
import org.hoststated.core.config.RelayConfig;
import org.hoststated.core.config.ServiceConfig;
import org.hoststated.core.config.TableConfig;
import org.hoststated.core.config.TableTarget;
import org.hoststated.core.config.VirtualHost;
import org.hoststated.core.msg.HostState;
import org.hoststated.core.msg.HostStatus;
import org.hoststated.core.msg.Imsg;
import org.hoststated.core.msg.MessageType;
import org.hoststated.core.msg.ObjId;
import org.hoststated.core.msg.RelayStatistics;
import org.hoststated.core.msg.SummaryRequest;
import org.hoststated.pfe.backend.L3Backend;

/**
 * The authoritative state of services, tables and hosts for one configuration generation
 * (SPEC sections 2.1 and 4, pfe.c). Owned by pfe's event loop; not thread-safe.
 */
final class PfeState {
    final int generation;
    final Config config;
    final Map<Integer, TableEntry> tables = new LinkedHashMap<>();
    final Map<Integer, HostEntry> hosts = new HashMap<>();
    final List<ServiceEntry> services = new ArrayList<>();
    final List<RelayEntry> relays = new ArrayList<>();

    private PfeState(int generation, Config config) {
        this.generation = generation;
        this.config = config;
    }

    /** A relay's statistics of this generation: they replace its last ones. */
    void statistics(RelayStatistics s) {
        for (RelayEntry r : relays) {
            if (r.config.id() == s.relayId()) {
                r.statistics = s;
            }
        }
    }

    /**
     * Builds the state of a new generation, keeping the state of hosts that stay and what
     * {@code hoststatectl} disabled: a host that stays stays disabled, and so does a table or
     * service (by name) that was disabled at run time; the configuration's own {@code disable}
     * keywords apply afresh, and a service's takes its main table along by the same rule as
     * {@code service disable}. So a reload for another change does not put a host under
     * maintenance back into service. A table that went with its service's disable is not kept
     * by name: the service's disable applies again to the new configuration, which takes the
     * service's main table along unless another enabled service or a relay uses it, or the
     * operator enabled or disabled that table by name since. Kept by
     * name, a reload that gave the table a relay left that relay without a host (and a new
     * service on it down), where the same relay there before the disable kept it serving.
     * hce's {@code CheckScheduler.adopt} keeps what it can by the same rule, and pfe answers
     * its request for the tables' state once both run the generation.
     */
    static PfeState build(int generation, Config config, PfeState previous) {
        PfeState s = new PfeState(generation, config);
        Map<HostKey, HostEntry> old = new HashMap<>();
        Map<String, TableEntry> oldTables = new HashMap<>();
        Map<String, ServiceEntry> oldServices = new HashMap<>();
        Map<String, RelayStatistics> oldStatistics = new HashMap<>();
        if (previous != null) {
            for (HostEntry h : previous.hosts.values()) {
                old.put(h.key(), h);
            }
            previous.tables.values().forEach(t -> oldTables.put(t.config.name(), t));
            previous.services.forEach(v -> oldServices.put(v.config.name(), v));
            previous.relays.stream().filter(r -> r.statistics != null)
                    .forEach(r -> oldStatistics.put(r.config.name(), r.statistics));
        }
        Map<String, TableEntry> byName = new HashMap<>();
        for (TableConfig tc : config.activeTables()) {
            TableEntry t = new TableEntry(tc);
            TableEntry prevTable = oldTables.get(tc.name());
            t.disabled |= prevTable != null && prevTable.disabled && !prevTable.withService
                    && !prevTable.config.disabled();
            List<HostKey> keys = HostKey.of(tc);
            for (int i = 0; i < tc.hosts().size(); i++) {
                HostConfig hc = tc.hosts().get(i);
                HostEntry h = new HostEntry(hc, keys.get(i), t);
                HostEntry prev = old.get(h.key());
                if (prev != null && !t.disabled && tc.checksAlike(prev.table.config)) {
                    h.copyStateFrom(prev);
                }
                h.disabled = prev != null && prev.disabled;
                t.hosts.add(h);
                s.hosts.put(hc.id(), h);
            }
            t.recount();
            s.tables.put(tc.id(), t);
            byName.put(tc.name(), t);
        }
        for (ServiceConfig sc : config.services()) {
            TableEntry main = byName.get(sc.table());
            TableEntry backup = sc.backupTable() == null ? null : byName.get(sc.backupTable());
            if (main != null) {
                ServiceEntry v = new ServiceEntry(sc, main, backup);
                ServiceEntry prev = oldServices.get(sc.name());
                v.disabled |= prev != null && prev.disabled && !prev.config.disabled();
                // The configuration's disable takes the table along as a service disable does
                // (afresh at each reload, as the configuration's other disable keywords).
                v.tableFollows = sc.disabled() || prev != null && prev.tableFollows && v.disabled;
                s.services.add(v);
            }
        }
        for (RelayConfig rc : config.relays()) {
            TableEntry t = rc.target() instanceof TableTarget tt ? byName.get(tt.table()) : null;
            RelayEntry r = new RelayEntry(rc, t);
            // The relay engine keeps a relay's counters by name across a reload, and reports
            // them for the new generation within 5 s: until then its last ones are shown.
            // Without them, show relays listed every relay without counters for those seconds
            // after each reload (probe X).
            r.statistics = oldStatistics.get(rc.name());
            s.relays.add(r);
        }
        for (ServiceEntry v : s.services) {
            if (v.tableFollows && ControlCommands.otherUser(s, v.main, v) == null
                    && ControlCommands.setTable(s, v.main, true, new ArrayList<>())) {
                v.main.withService = true;
            }
        }
        return s;
    }

    /**
     * What a restarted hce takes over (KEPT_STATE): the state and counters of every enabled
     * host of an enabled table that has a verdict. A disabled one is unknown with its counters
     * reset on both sides already, and one never checked has nothing to take over.
     */
    List<HostStatus> kept() {
        List<HostStatus> out = new ArrayList<>();
        for (TableEntry t : tables.values()) {
            if (t.disabled) {
                continue;
            }
            for (HostEntry h : t.hosts) {
                if (!h.disabled && h.checkCount > 0) {
                    out.add(h.status(generation));
                }
            }
        }
        return out;
    }

    /**
     * What the operator disabled at run time, by name, one object a line: a service (and
     * whether its table follows it), a table disabled by name, a host (its table's name and
     * its address); and what the operator enabled that this configuration may start
     * disabled: a service or a table, after "enabled". {@link #restore} applies it to a restarted pfe's
     * state.
     */
    String disabledSet() {
        StringBuilder b = new StringBuilder();
        for (ServiceEntry v : services) {
            if (v.disabled && !v.config.disabled()) {
                b.append("service\t").append(v.config.name()).append(v.tableFollows ? "\tfollows\n" : "\n");
            } else if (!v.disabled && v.config.disabled()) {
                b.append("enabled\tservice\t").append(v.config.name()).append('\n');
            }
        }
        for (TableEntry t : tables.values()) {
            if (t.disabled && !t.withService && !t.config.disabled()) {
                b.append("table\t").append(t.config.name()).append('\n');
            } else if (!t.disabled && startsDisabled(t)) {
                b.append("enabled\ttable\t").append(t.config.name()).append('\n');
            }
            for (HostEntry h : t.hosts) {
                if (h.disabled) {
                    HostKey k = h.key();
                    b.append("host\t").append(k.table()).append('\t').append(k.address());
                    if (k.occurrence() > 0) {
                        b.append('\t').append(k.occurrence());
                    }
                    b.append('\n');
                }
            }
        }
        return b.toString();
    }

    /**
     * Disables what {@code set} ({@link #disabledSet}) names and this configuration has, by the
     * same rules as a reload's carrying over, and adds the notices for hce and the relay
     * engine to {@code out}. What it names as enabled is enabled again only when the set is of
     * this configuration ({@code generation}): a reload applies the configuration's own
     * {@code disable} keywords afresh, so a pfe that restarted while a reload was under way
     * takes the new configuration's. The notices name this configuration's objects, under its
     * generation, whatever the set's.
     */
    void restore(String set, int generation, List<ControlCommands.Notice> out) {
        Map<String, TableEntry> tablesByName = new HashMap<>();
        tables.values().forEach(t -> tablesByName.put(t.config.name(), t));
        Map<HostKey, HostEntry> hostsByKey = new HashMap<>();
        hosts.values().forEach(h -> hostsByKey.put(h.key(), h));
        for (String line : set.split("\n")) {
            String[] f = line.split("\t");
            if (f[0].equals("enabled") && f.length == 3) {
                if (generation == this.generation) {
                    enable(f[1], f[2], tablesByName, out);
                }
            } else if (f[0].equals("service") && f.length >= 2) {
                for (ServiceEntry v : services) {
                    if (v.config.name().equals(f[1]) && !v.disabled) {
                        v.disabled = true;
                        v.tableFollows = f.length == 3;
                        out.add(new ControlCommands.Notice(MessageType.SERVICE_DISABLE,
                                new ObjId(this.generation, v.config.id())));
                    }
                }
            } else if (f[0].equals("table") && f.length == 2 && tablesByName.containsKey(f[1])) {
                ControlCommands.setTable(this, tablesByName.get(f[1]), true, out);
            } else if (f[0].equals("host") && (f.length == 3 || f.length == 4)) {
                HostEntry h = hostsByKey.get(new HostKey(f[1], f[2], f.length == 4 ? occurrence(f[3]) : 0));
                if (h != null && !h.disabled) {
                    if (h.state == HostState.UP && !h.table.disabled) {
                        h.table.upCount--;
                    }
                    h.disabled = true;
                    h.reset();
                    out.add(new ControlCommands.Notice(MessageType.HOST_DISABLE,
                            new ObjId(this.generation, h.config.id())));
                }
            }
        }
        for (ServiceEntry v : services) {
            if (v.tableFollows && ControlCommands.otherUser(this, v.main, v) == null
                    && ControlCommands.setTable(this, v.main, true, out)) {
                v.main.withService = true;
            }
        }
    }

    /**
     * Whether this configuration may start {@code t} disabled: by its own {@code disable}, or
     * taken along by a service's (unless something else uses it, which {@link #build} decides).
     */
    private boolean startsDisabled(TableEntry t) {
        return t.config.disabled() || services.stream().anyMatch(v -> v.main == t && v.config.disabled());
    }

    /**
     * Enables a service (with its tables, as {@code service enable} does) or a table that
     * this configuration starts disabled and the operator enabled.
     */
    private void enable(String kind, String name, Map<String, TableEntry> tablesByName,
            List<ControlCommands.Notice> out) {
        if (kind.equals("service")) {
            for (ServiceEntry v : services) {
                if (v.config.name().equals(name) && v.disabled) {
                    v.disabled = false;
                    v.tableFollows = false;
                    out.add(new ControlCommands.Notice(MessageType.SERVICE_ENABLE,
                            new ObjId(generation, v.config.id())));
                    ControlCommands.setTable(this, v.main, false, out);
                    if (v.backup != null) {
                        ControlCommands.setTable(this, v.backup, false, out);
                    }
                }
            }
        } else if (kind.equals("table") && tablesByName.containsKey(name)) {
            TableEntry t = tablesByName.get(name);
            ControlCommands.setTable(this, t, false, out);
            // As table enable: the operator decided about this table, a disabled service on it no longer does.
            services.stream().filter(v -> v.main == t).forEach(v -> v.tableFollows = false);
        }
    }

    /**
     * Records a check result.
     *
     * @return true when the host's state changed (the only results pfe passes on)
     */
    boolean applyStatus(HostStatus st, HostEntry h) {
        h.checkCount = st.checkCount();
        h.upCount = st.upCount();
        h.retryCount = st.retryCount();
        h.lastError = st.error();
        if (h.state == st.state()) {
            return false;
        }
        // Only transitions into and out of up move the table's count; unknown <-> down does not.
        if (st.state() == HostState.UP) {
            h.table.upCount++;
        } else if (h.state == HostState.UP) {
            h.table.upCount--;
        }
        h.state = st.state();
        return true;
    }

    /**
     * The rows of {@code show summary}, in the original's order (SPEC 2.2), or those of one of
     * its views: {@code show hosts} gets the services, the tables (each once) and their hosts,
     * {@code show relays} the relays and their statistics. The whole listing repeats a relay's
     * table under it, so {@code show relays} of 1,000 relays on a table of 2,000 hosts was
     * 2,000,000 rows for hoststatectl to pass over (probe U).
     *
     * @param previousRules the kernel still serves the rules of a previous run ({@link L3Hold})
     * @param unwritten the layer-3 backend's last write failed ({@link
     *        org.hoststated.pfe.backend.L3Backend#failure})
     */
    Iterator<Imsg> summary(int peerId, SummaryRequest.View view, boolean previousRules, boolean unwritten) {
        // Made as they are sent ({@link SummaryStream}), a row or a table at a time: 500
        // relays on a table of 1,000 hosts are 500,000 rows, which, made at once, took pfe's
        // heap (probe T).
        boolean tables = view != SummaryRequest.View.RELAYS;
        boolean relayRows = view != SummaryRequest.View.HOSTS;
        Set<TableEntry> listed = new HashSet<>();
        List<Supplier<List<Imsg>>> chunks = new ArrayList<>();
        if (tables) {
            for (ServiceEntry s : reversed(services)) {
                chunks.add(() -> List.of(row(MessageType.CTL_SERVICE, s.row(previousRules, unwritten), peerId)));
                if (s.disabled) {
                    continue;
                }
                chunks.add(() -> tableRows(s.main, peerId));
                listed.add(s.main);
                if (s.backup != null) {
                    chunks.add(() -> tableRows(s.backup, peerId));
                    listed.add(s.backup);
                }
            }
        }
        for (RelayEntry r : reversed(relays)) {
            if (relayRows) {
                chunks.add(() -> r.statistics == null ? List.of(row(MessageType.CTL_RELAY, r.row(), peerId))
                        : List.of(row(MessageType.CTL_RELAY, r.row(), peerId),
                                row(MessageType.CTL_STATISTICS, r.statistics, peerId)));
            }
            // Without its relay's row, a table listed again read as a second table.
            if (tables && r.table != null && (relayRows || listed.add(r.table))) {
                chunks.add(() -> tableRows(r.table, peerId));
            }
        }
        if (tables) {
            for (TableEntry t : unusedTables()) {
                chunks.add(() -> tableRows(t, peerId));
            }
        }
        chunks.add(() -> List.of(row(MessageType.CTL_END, org.hoststated.core.msg.Empty.INSTANCE, peerId)));
        return chunks.stream().flatMap(c -> c.get().stream()).iterator();
    }

    /**
     * The tables no service or relay uses, in the listing's order (reversed). The original
     * refused them ("unused table"); here they are a warning, and hce checks them unless they
     * are disabled, so they are listed last: unlisted, a table that {@code table enable} had
     * put back into service was checked while no {@code show} said so.
     */
    private List<TableEntry> unusedTables() {
        Set<TableEntry> used = new HashSet<>();
        for (ServiceEntry s : services) {
            used.add(s.main);
            used.add(s.backup);
        }
        for (RelayEntry r : relays) {
            used.add(r.table);
        }
        List<TableEntry> out = new ArrayList<>();
        for (TableEntry t : reversed(List.copyOf(tables.values()))) {
            if (!used.contains(t)) {
                out.add(t);
            }
        }
        return out;
    }

    private static List<Imsg> tableRows(TableEntry t, int peerId) {
        List<Imsg> out = new ArrayList<>();
        out.add(row(MessageType.CTL_TABLE, t.row(), peerId));
        if (!t.disabled) {
            for (HostEntry h : reversed(t.hosts)) {
                out.add(row(MessageType.CTL_HOST, h.row(), peerId));
            }
        }
        return out;
    }

    /**
     * What the kernel should redirect now: per service and address family of its virtual
     * hosts, the up hosts of that family in the table that serves it.
     */
    List<L3Backend.Redirect> redirects() {
        List<L3Backend.Redirect> out = new ArrayList<>();
        for (ServiceEntry s : services) {
            List<InetAddress> pool = new ArrayList<>();
            List<InetAddress> up = new ArrayList<>();
            for (boolean ipv6 : s.families) {
                TableEntry serving = s.servingTable(ipv6);
                for (HostEntry h : serving == null ? List.<HostEntry>of() : serving.hosts) {
                    if (h.ipv6() != ipv6) {
                        continue;
                    }
                    pool.add(h.config.address());
                    if (h.serving()) {
                        up.add(h.config.address());
                    }
                }
            }
            out.add(new L3Backend.Redirect(s.config.name(), virtuals(s), up, s.main.config.port(),
                    s.config.stickyAddress(), s.config.tag(), pool));
        }
        return out;
    }

    static List<L3Backend.Virtual> virtuals(ServiceEntry s) {
        List<L3Backend.Virtual> v = new ArrayList<>();
        for (VirtualHost vh : s.config.virtualHosts()) {
            v.add(new L3Backend.Virtual(vh.address(), vh.protocol(), vh.port(), vh.iface()));
        }
        return v;
    }

    /**
     * The enabled hosts of services' tables that have no verdict yet (a host of two services
     * counts once): until there are none, the rules a previous run left (or none) stay, rather
     * than being replaced by a state that only says "not checked yet" ({@link L3Hold}).
     */
    int unchecked() {
        java.util.Set<HostEntry> out = new java.util.HashSet<>();
        for (ServiceEntry s : services) {
            for (TableEntry t : new TableEntry[] {s.main, s.backup}) {
                if (t == null || t.disabled || s.disabled) {
                    continue;
                }
                for (HostEntry h : t.hosts) {
                    if (!h.disabled && h.state == HostState.UNKNOWN && h.checkCount == 0) {
                        out.add(h);
                    }
                }
            }
        }
        return out.size();
    }

    private static Imsg row(MessageType type, Object payload, int peerId) {
        return new Imsg(type, peerId, (int) ProcessHandle.current().pid(), payload);
    }

    private static <T> List<T> reversed(List<T> l) {
        List<T> r = new ArrayList<>(l);
        java.util.Collections.reverse(r);
        return r;
    }

    /** A host's occurrence in a disabled set (pfe wrote it); a malformed one names none. */
    private static int occurrence(String field) {
        try {
            return Integer.parseInt(field);
        } catch (NumberFormatException e) {
            return -1;
        }
    }
}
