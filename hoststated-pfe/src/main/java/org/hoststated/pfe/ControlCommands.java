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
 * unless another enabled service or a relay uses that table too, and enabling it enables the
 * main and backup tables. Each command yields the notices to send to hce and the relay
 * engine and the line to log, or a reason for refusing it. Runs on pfe's event loop.
 */
final class ControlCommands {
    /** A notice for a peer engine. */
    record Notice(MessageType type, ObjId id) {
    }

    /**
     * The outcome: null failure means success. Then {@code done} says what was changed, naming
     * the object by name and id, since the operator may have typed either ({@code host
     * 10.0.0.1 (id 3, table web) disabled}), and {@code also} what came with it or did not
     * (", with table web (id 1)"), or "".
     */
    record Outcome(String failure, List<Notice> notices, String done, String also, String warning) {
        Outcome(String failure, List<Notice> notices, String done, String also) {
            this(failure, notices, done, also, null);
        }

        static Outcome fail(String why) {
            return new Outcome(why, List.of(), null, "");
        }

        static Outcome done(List<Notice> notices, String done) {
            return new Outcome(null, notices, done, "");
        }

        /** The same, with {@code why} the change leaves something without hosts, or null. */
        Outcome warning(String why) {
            return new Outcome(failure, notices, done, also, why);
        }
    }

    /**
     * What is left without a host when {@code t} has none enabled (a disable of its last host,
     * or of the table), as "relay www and service web get no host", or null when nothing uses
     * it. HAProxy logs "backend has no server available!"; the command only said it succeeded
     * (probe BA).
     */
    static String leftWithoutHost(PfeState s, TableEntry t) {
        List<String> users = new ArrayList<>();
        for (RelayEntry r : s.relays) {
            if (r.table == t) {
                users.add("relay " + r.config.name());
            }
        }
        for (ServiceEntry e : s.services) {
            if (!e.disabled && e.main == t) {
                users.add("service " + e.config.name() + (e.backup != null ? " (but for its backup table)" : ""));
            }
        }
        if (users.isEmpty()) {
            return null;
        }
        String last = users.remove(users.size() - 1);
        return (users.isEmpty() ? last : String.join(", ", users) + " and " + last)
                + (users.isEmpty() ? " gets" : " get") + " no host";
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
        svc.tableFollows = disable;
        List<Notice> n = new ArrayList<>();
        n.add(new Notice(disable ? MessageType.SERVICE_DISABLE : MessageType.SERVICE_ENABLE,
                new ObjId(s.generation, svc.config.id())));
        StringBuilder also = new StringBuilder();
        if (disable) {
            String user = svc.main.disabled ? null : otherUser(s, svc.main, svc);
            if (user != null) {
                also.append("; table ").append(named(svc.main)).append(" stays enabled for ").append(user);
            } else if (setTable(s, svc.main, true, n)) {
                svc.main.withService = true;
                also.append(", with table ").append(named(svc.main));
            }
        } else {
            for (TableEntry t : new TableEntry[] {svc.main, svc.backup}) {
                if (t != null && setTable(s, t, false, n)) {
                    also.append(also.length() == 0 ? ", with table " : " and table ").append(named(t));
                }
            }
        }
        String done = "service " + svc.config.name() + " (id " + svc.config.id() + ")"
                + (disable ? " disabled" : " enabled");
        return new Outcome(null, n, done, also.toString());
    }

    /**
     * What else uses {@code t}, as "service NAME" or "relay NAME", or null when nothing does:
     * an enabled service other than {@code svc} (as its main or backup table) or a relay.
     * relayd marked a disabled service's table disabled in pfe's copy only, so that hce went
     * on checking it and every other service and relay on it carried on; here a table disable
     * reaches hce and the relay engine, so disabling a shared table would pull the rules of
     * the other services on it and make its relays answer 503, for one service's disable.
     */
    static String otherUser(PfeState s, TableEntry t, ServiceEntry svc) {
        for (ServiceEntry e : s.services) {
            if (e != svc && !e.disabled && (e.main == t || e.backup == t)) {
                return "service " + e.config.name();
            }
        }
        for (RelayEntry r : s.relays) {
            if (r.table == t) {
                return "relay " + r.config.name();
            }
        }
        return null;
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
        // The operator decided about this table: a disabled service on it no longer does.
        for (ServiceEntry e : s.services) {
            if (e.main == t) {
                e.tableFollows = false;
            }
        }
        Outcome done = Outcome.done(n, "table " + named(t) + (disable ? " disabled" : " enabled"));
        String left = disable ? leftWithoutHost(s, t) : null;
        return left == null ? done : done.warning(left);
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

    /** @return whether the table changed (it may already be as asked) */
    static boolean setTable(PfeState s, TableEntry t, boolean disable, List<Notice> out) {
        if (t.disabled == disable) {
            return false;
        }
        t.disabled = disable;
        t.withService = false;
        if (disable) {
            for (HostEntry h : t.hosts) {
                h.state = HostState.UNKNOWN;
            }
            t.upCount = 0;
        }
        out.add(new Notice(disable ? MessageType.TABLE_DISABLE : MessageType.TABLE_ENABLE,
                new ObjId(s.generation, t.config.id())));
        return true;
    }

    private static Outcome host(PfeState s, CtlId id, boolean disable) {
        List<HostEntry> matches = s.hosts.values().stream()
                .filter(e -> id.matchesHost(e.config.id(), e.config.name(), e.config.address()))
                .sorted(java.util.Comparator.comparingInt(e -> e.config.id())).toList();
        if (matches.isEmpty()) {
            return Outcome.fail("no such host: " + id);
        }
        if (matches.size() > 1) {
            // Each id and its table: show summary lists neither the hosts of a disabled table
            // nor a table that no service or relay uses, where the other id may be.
            StringBuilder b = new StringBuilder("host name ").append(id.name()).append(" is ambiguous (");
            for (HostEntry e : matches) {
                b.append(e == matches.get(0) ? "" : ", ").append("id ").append(e.config.id())
                        .append(" in table ").append(e.table.config.name());
            }
            return Outcome.fail(b.append("); use its id").toString());
        }
        HostEntry h = matches.get(0);
        if (h.disabled == disable) {
            return Outcome.fail("host " + h.config.name() + " is already " + (disable ? "disabled" : "enabled"));
        }
        if (disable && h.state == HostState.UP) {
            h.table.upCount--;
        }
        h.disabled = disable;
        h.reset();
        Outcome done = Outcome.done(List.of(new Notice(disable ? MessageType.HOST_DISABLE : MessageType.HOST_ENABLE,
                new ObjId(s.generation, h.config.id()))),
                "host " + h.config.name() + " (id " + h.config.id() + ", table " + h.table.config.name() + ")"
                        + (disable ? " disabled" : " enabled"));
        String left = disable && !h.table.disabled && h.table.hosts.stream().allMatch(e -> e.disabled)
                ? leftWithoutHost(s, h.table) : null;
        return left == null ? done : done.warning("table " + h.table.config.name() + " has no enabled host left: " + left);
    }

    /** "web (id 2)": a table's name and id, whichever the operator typed. */
    private static String named(TableEntry t) {
        return t.config.name() + " (id " + t.config.id() + ")";
    }
}
