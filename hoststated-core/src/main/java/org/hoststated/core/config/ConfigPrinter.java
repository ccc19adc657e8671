package org.hoststated.core.config;

import java.util.List;
import java.util.Objects;

/**
 * Writes a {@link Config} back as hoststated.conf text: macros expanded, defaults written out,
 * host names as the user wrote them, every string quoted. Parsing the output yields an equal
 * Config. Derived tables are not written: the references that created them (template name
 * plus port) are, so they are derived again with the same ids. Stateless.
 */
public final class ConfigPrinter {
    private ConfigPrinter() {
    }

    public static String print(Config c) {
        StringBuilder b = new StringBuilder();
        globals(b, c.globals(), !c.relays().isEmpty());
        for (TableConfig t : c.tables()) {
            if (!t.derived()) {
                table(b, t);
            }
        }
        for (ProtocolConfig p : c.protocols()) {
            if (!p.isBuiltinDefault()) {
                ProtocolPrinter.print(b, p);
            }
        }
        for (ServiceConfig s : c.services()) {
            service(b, c, s);
        }
        for (RelayConfig r : c.relays()) {
            relay(b, c, r);
        }
        return b.toString();
    }

    private static void globals(StringBuilder b, Globals g, boolean relays) {
        b.append("interval ").append(g.intervalSec()).append('\n');
        b.append("timeout ").append(g.timeoutMs()).append('\n');
        if (g.log() != LogMode.NONE) {
            b.append("log ").append(g.log() == LogMode.ALL ? "all" : "updates").append('\n');
        }
        if (relays) {
            b.append("prefork ").append(g.prefork()).append('\n');
        }
        if (g.demote() != null) {
            b.append("demote ").append(q(g.demote())).append('\n');
        }
        b.append("user ").append(q(g.user())).append('\n');
        b.append("chroot ").append(q(g.chroot())).append('\n');
        b.append("socket ").append(q(g.socket())).append('\n');
        if (g.l3Backend() != null) {
            b.append("l3 backend ").append(g.l3Backend()).append('\n');
        }
        if (g.l3KeepRules()) {
            b.append("l3 keep rules\n");
        }
    }

    private static void table(StringBuilder b, TableConfig t) {
        b.append("\ntable ").append(q(t.name())).append(" {\n");
        if (!t.template()) {
            b.append("\treal port ").append(t.port()).append('\n');
        }
        b.append("\ttimeout ").append(t.timeoutMs()).append('\n');
        b.append("\tinterval ").append(t.intervalSec()).append('\n');
        b.append('\t').append(check(t.check())).append('\n');
        if (t.demote() != null) {
            b.append("\tdemote ").append(q(t.demote())).append('\n');
        }
        if (t.disabled()) {
            b.append("\tdisable\n");
        }
        for (HostConfig h : t.hosts()) {
            b.append("\thost ").append(q(h.name()));
            retry(b, h.retry());
            b.append('\n');
        }
        b.append("}\n");
    }

    static String check(CheckConfig c) {
        String http = c.ssl() ? "https" : "http";
        String host = c.host() == null ? "" : " host " + q(c.host());
        return switch (c.type()) {
            case ICMP -> "check icmp";
            case TCP -> "check tcp";
            case SSL -> "check ssl";
            case HTTP_CODE -> "check " + http + " " + q(c.path()) + host + " code " + c.code();
            case HTTP_DIGEST -> "check " + http + " " + q(c.path()) + host + " digest " + q(c.digest());
            case SEND_EXPECT -> "check send " + (c.send() == null ? "nothing" : q(c.send()))
                    + " expect " + q(c.expect()) + (c.ssl() ? " ssl" : "");
            case SCRIPT -> "check script " + q(c.script());
            case NONE -> "# no check";
        };
    }

    private static void service(StringBuilder b, Config c, ServiceConfig s) {
        b.append("\nservice ").append(q(s.name())).append(" {\n");
        VirtualHost prev = null;
        for (VirtualHost v : s.virtualHosts()) {
            // One DNS name yields several addresses: write the name once per run.
            boolean sameRun = prev != null && ParseContext.literal(v.name()) == null
                    && prev.name().equals(v.name()) && prev.protocol() == v.protocol() && prev.port() == v.port()
                    && Objects.equals(prev.iface(), v.iface());
            prev = v;
            if (sameRun) {
                continue;
            }
            // tcp, the default, is left out: the text of TCP services stays as it always was.
            b.append("\tvirtual host ").append(q(v.name()));
            if (v.protocol() == IpProtocol.UDP) {
                b.append(" udp");
            }
            b.append(" port ").append(v.port());
            if (v.iface() != null) {
                b.append(" interface ").append(q(v.iface()));
            }
            b.append('\n');
        }
        b.append("\ttable ").append(tableRef(c, s.table())).append('\n');
        if (s.backupTable() != null) {
            b.append("\tbackup table ").append(tableRef(c, s.backupTable())).append('\n');
        }
        if (s.stickyAddress()) {
            b.append("\tsticky-address\n");
        }
        if (s.tag() != null) {
            b.append("\ttag ").append(q(s.tag())).append('\n');
        }
        if (s.killStates()) {
            b.append("\tkill states\n");
        }
        if (s.disabled()) {
            b.append("\tdisable\n");
        }
        b.append("}\n");
    }

    /** A derived table is written as its template and port, so it is derived again. */
    private static String tableRef(Config c, String name) {
        TableConfig t = c.table(name).orElse(null);
        if (t != null && t.derived()) {
            return q(t.templateName()) + " port " + t.port();
        }
        return q(name);
    }

    private static void relay(StringBuilder b, Config c, RelayConfig r) {
        b.append("\nrelay ").append(q(r.name())).append(" {\n");
        if (r.listen() != null) {
            b.append("\tlisten on ").append(q(Messages.address(r.listen().address())))
                    .append(" port ").append(r.listen().port());
            b.append(r.listen().ssl() ? " ssl\n" : "\n");
        }
        if (r.target() instanceof ForwardTarget f) {
            b.append("\tforward to ").append(q(f.name())).append(" port ").append(f.port());
            retry(b, f.retry());
            b.append('\n');
        } else if (r.target() instanceof ServiceTarget s) {
            b.append("\tservice ").append(q(s.service()));
            retry(b, s.retry());
            b.append('\n');
        } else if (r.target() instanceof TableTarget t) {
            b.append("\ttable ").append(tableRef(c, t.table())).append(' ')
                    .append(t.mode().name().toLowerCase(java.util.Locale.ROOT));
            b.append(t.noCheck() ? " no check\n" : "\n");
        }
        if (r.natLookup()) {
            b.append("\tnat lookup");
            retry(b, r.natLookupRetry());
            b.append('\n');
        }
        if (!ProtocolConfig.DEFAULT_NAME.equals(r.protocol())) {
            b.append("\tprotocol ").append(q(r.protocol())).append('\n');
        }
        b.append("\ttimeout ").append(r.timeoutSec()).append('\n');
        if (r.disabled()) {
            b.append("\tdisable\n");
        }
        b.append("}\n");
    }

    private static void retry(StringBuilder b, int retry) {
        if (retry > 0) {
            b.append(" retry ").append(retry);
        }
    }

    /** Quotes a string so the lexer gives it back unchanged and never as a keyword. */
    static String q(String s) {
        StringBuilder b = new StringBuilder(s.length() + 2).append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"', '\\' -> b.append('\\').append(c);
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                default -> b.append(c);
            }
        }
        return b.append('"').toString();
    }

    static String join(List<String> parts) {
        return String.join(", ", parts);
    }
}
