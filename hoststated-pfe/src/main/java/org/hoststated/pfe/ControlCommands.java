package org.hoststated.pfe;

import java.util.ArrayList;
import java.util.List;
import org.hoststated.core.msg.CtlId;
import org.hoststated.core.msg.HostState;
import org.hoststated.core.msg.MessageType;
import org.hoststated.core.msg.ObjId;

/**
 * The enable and disable commands of the control socket, with the semantics of SPEC 2.1
 * (pfe.c): a disabled table's hosts become unknown and stop being checked; a disabled host
 * becomes unknown with cleared counters; disabling a service also disables its main table,
 * unless a relay forwards to that table too, and enabling it enables the main and backup
 * tables. Each command yields the notices to send to hce and the relay engine, or a reason
 * for refusing it. Runs on pfe's event loop.
 */
final class ControlCommands {
    /** A notice for a peer engine. */
    record Notice(MessageType type, ObjId id) {
    }

    /** The outcome: null failure means success. */
    record Outcome(String failure, List<Notice> notices) {
        static Outcome fail(String why) {
            return new Outcome(why, List.of());
        }
    }

    private ControlCommands() {
    }

    static Outcome run(PfeState s, MessageType type, CtlId id) {
        return switch (type) {
            case CTL_SERVICE_ENABLE -> service(s, id, false);
            case CTL_SERVICE_DISABLE -> service(s, id, true);
            case CTL_TABLE_ENABLE -> table(s, id, false);
            case CTL_TABLE_DISABLE -> table(s, id, true);
            case CTL_HOST_ENABLE -> host(s, id, false);
            case CTL_HOST_DISABLE -> host(s, id, true);
            default -> throw new IllegalArgumentException("not a control command: " + type);
        };
    }

    private static Outcome service(PfeState s, CtlId id, boolean disable) {
        ServiceEntry svc = null;
        for (ServiceEntry e : s.services) {
            if (id.matches(e.config.id(), e.config.name())) {
                svc = e;
            }
        }
        if (svc == null) {
            return Outcome.fail("no such service: " + id);
        }
        if (svc.disabled == disable) {
            return Outcome.fail("service " + svc.config.name() + " is already " + (disable ? "disabled" : "enabled"));
        }
        svc.disabled = disable;
        List<Notice> n = new ArrayList<>();
        n.add(new Notice(disable ? MessageType.SERVICE_DISABLE : MessageType.SERVICE_ENABLE,
                new ObjId(s.generation, svc.config.id())));
        if (!disable || !relayed(s, svc.main)) {
            setTable(s, svc.main, disable, n);
        }
        if (!disable && svc.backup != null) {
            setTable(s, svc.backup, false, n);
        }
        return new Outcome(null, n);
    }

    /**
     * Whether a relay forwards to {@code t}. relayd marked a disabled service's table disabled
     * in pfe's copy only, so the checks and the relays sharing it carried on; here a table
     * disable reaches hce and the relay engine, and a relay on the table would answer 503
     * because an operator pulled a layer-3 rule.
     */
    private static boolean relayed(PfeState s, TableEntry t) {
        return s.relays.stream().anyMatch(r -> r.table == t);
    }

    private static Outcome table(PfeState s, CtlId id, boolean disable) {
        TableEntry t = null;
        for (TableEntry e : s.tables.values()) {
            if (id.matches(e.config.id(), e.config.name())) {
                t = e;
            }
        }
        if (t == null) {
            return Outcome.fail("no such table: " + id + templateCopies(s, id));
        }
        if (t.disabled == disable) {
            return Outcome.fail("table " + t.config.name() + " is already " + (disable ? "disabled" : "enabled"));
        }
        List<Notice> n = new ArrayList<>();
        setTable(s, t, disable, n);
        return new Outcome(null, n);
    }

    /**
     * For the name of a template (a table without real port), the copies the relays and
     * services use, which show summary lists as name:port: the template itself has no hosts.
     */
    private static String templateCopies(PfeState s, CtlId id) {
        if (id.name() == null) {
            return "";
        }
        List<String> copies = new ArrayList<>();
        for (TableEntry e : s.tables.values()) {
            if (id.name().equals(e.config.templateName())) {
                copies.add(e.config.name());
            }
        }
        copies.sort(null);
        return copies.isEmpty() ? "" : " (a template; its copies: " + String.join(", ", copies) + ")";
    }

    private static void setTable(PfeState s, TableEntry t, boolean disable, List<Notice> out) {
        if (t.disabled == disable) {
            return;
        }
        t.disabled = disable;
        if (disable) {
            for (HostEntry h : t.hosts) {
                h.state = HostState.UNKNOWN;
            }
            t.upCount = 0;
        }
        out.add(new Notice(disable ? MessageType.TABLE_DISABLE : MessageType.TABLE_ENABLE,
                new ObjId(s.generation, t.config.id())));
    }

    private static Outcome host(PfeState s, CtlId id, boolean disable) {
        HostEntry h = null;
        for (HostEntry e : s.hosts.values()) {
            if (id.matches(e.config.id(), e.config.name())) {
                if (h != null && id.name() != null) {
                    return Outcome.fail("host name " + id.name() + " is ambiguous; use its id");
                }
                h = e;
            }
        }
        if (h == null) {
            return Outcome.fail("no such host: " + id);
        }
        if (h.disabled == disable) {
            return Outcome.fail("host " + h.config.name() + " is already " + (disable ? "disabled" : "enabled"));
        }
        if (disable && h.state == HostState.UP) {
            h.table.upCount--;
        }
        h.disabled = disable;
        h.reset();
        return new Outcome(null, List.of(new Notice(disable ? MessageType.HOST_DISABLE : MessageType.HOST_ENABLE,
                new ObjId(s.generation, h.config.id()))));
    }
}
