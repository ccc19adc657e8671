package org.hoststated.core.config;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Turns table drafts into tables and resolves every table reference of services and relays.
 * A reference to a template (a table without {@code real port}) with a port yields a table
 * named {@code name:port} with copies of the template's hosts.
 *
 * <p>Ids are deterministic and independent of where statements stand in the file: the tables
 * the user wrote get 0.. in file order, their hosts likewise; derived tables and their hosts
 * get the next ids, in the order of the references (services, main table before backup, then
 * relays). So a printed configuration parses back to the same ids. Runs in the loading thread.
 */
final class TemplateExpander {
    private final Draft draft;
    private final Diagnostics diag;
    private final int globalTimeoutMs;
    private final int globalIntervalSec;
    private final Map<String, TableConfig> byName = new LinkedHashMap<>();
    private int nextHostId;

    TemplateExpander(Draft draft, Diagnostics diag, int globalTimeoutMs, int globalIntervalSec) {
        this.draft = draft;
        this.diag = diag;
        this.globalTimeoutMs = globalTimeoutMs;
        this.globalIntervalSec = globalIntervalSec;
    }

    /** Returns all tables, the user's first, then the derived ones. */
    List<TableConfig> expand() {
        for (Draft.TableDraft t : draft.tables) {
            int id = byName.size();
            List<HostConfig> hosts = new ArrayList<>();
            for (Draft.HostDraft h : t.hosts) {
                hosts.add(new HostConfig(nextHostId++, id, h.name(), h.address(), h.retry()));
            }
            int timeout = t.timeoutMs != null ? t.timeoutMs : globalTimeoutMs;
            int interval = t.intervalSec != null ? t.intervalSec : globalIntervalSec;
            byName.put(t.name, new TableConfig(id, t.name, t.port, t.check, timeout, interval,
                    t.disabled, t.demote, hosts, t.port == 0, null));
        }
        // A port of 0: the block has no virtual host or listener, an error of its own.
        for (Draft.ServiceDraft s : draft.services) {
            resolve(s.table, s.port(), !s.virtualHosts.isEmpty());
            resolve(s.backup, s.port(), !s.virtualHosts.isEmpty());
        }
        for (Draft.RelayDraft r : draft.relays) {
            resolve(r.table, r.listen == null ? 0 : r.listen.port(), r.listen != null);
        }
        return List.copyOf(byName.values());
    }

    /** Whether the {@code real port} line of the table named {@code name} failed. */
    private boolean portLineBroken(String name) {
        return draft.tables.stream().anyMatch(d -> d.name.equals(name) && d.portLineBroken);
    }

    /**
     * @param portKnown whether {@code defaultPort} is the block's (a block without one is
     *     told so already, and a template it names is not also said to need a port: probe AL)
     */
    private void resolve(Draft.TableRef ref, int defaultPort, boolean portKnown) {
        if (ref == null) {
            return;
        }
        TableConfig t = byName.get(ref.name);
        if (t == null) {
            if (!draft.refusedNames.contains("table " + ref.name)) {
                diag.error(ref.pos, "no such table: " + Messages.clip(ref.name));
            }
            return;
        }
        if (!t.template()) {
            if (ref.port != 0 && ref.port != t.port()) {
                // As in the original, the port only picks a copy of a template; said, since the
                // relay or service then connects to the table's own port, not the one written.
                diag.warning(ref.pos, "table " + t.name() + " has real port " + t.port() + ": port " + ref.port
                        + " is ignored");
            }
            ref.resolved = t.name();
            return;
        }
        int port = ref.port != 0 ? ref.port : defaultPort;
        if (port == 0) {
            if (portKnown && !portLineBroken(t.name())) {
                diag.error(ref.pos, "table " + t.name() + " is a template and needs a port");
            }
            return;
        }
        String name = t.name() + ":" + port;
        TableConfig existing = byName.get(name);
        if (existing != null) {
            if (existing.template()) {
                diag.error(ref.pos, "invalid table " + name + ": it is a template");
                return;
            }
            ref.resolved = name;
            return;
        }
        byName.put(name, derive(t, name, port));
        ref.resolved = name;
    }

    private TableConfig derive(TableConfig template, String name, int port) {
        int id = byName.size();
        List<HostConfig> hosts = new ArrayList<>();
        for (HostConfig h : template.hosts()) {
            hosts.add(new HostConfig(nextHostId++, id, h.name(), h.address(), h.retry()));
        }
        return new TableConfig(id, name, port, template.check(), template.timeoutMs(),
                template.intervalSec(), template.disabled(), template.demote(), hosts, false,
                template.name());
    }
}
