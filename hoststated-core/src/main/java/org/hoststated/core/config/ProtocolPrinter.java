package org.hoststated.core.config;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/** Writes one protocol block for {@link ConfigPrinter}. Stateless. */
final class ProtocolPrinter {
    private ProtocolPrinter() {
    }

    static void print(StringBuilder b, ProtocolConfig p) {
        b.append("\nprotocol ").append(ConfigPrinter.q(p.name())).append(" {\n");
        b.append("\tprotocol ").append(p.type().name().toLowerCase(Locale.ROOT)).append('\n');
        b.append("\ttcp { ").append(ConfigPrinter.join(tcp(p.tcp()))).append(" }\n");
        // Only when not the defaults: written out, they are "ssl options" whose protocol no ssl
        // listener uses, and the printed file warned of them where the file it came from did not
        // (probe AH).
        if (!p.ssl().equals(SslOptions.defaults())) {
            b.append("\tssl { ").append(ConfigPrinter.join(ssl(p.ssl()))).append(" }\n");
        }
        if (p.returnError()) {
            b.append("\treturn error");
            if (p.errorStyle() != null) {
                b.append(" style ").append(ConfigPrinter.q(p.errorStyle()));
            }
            b.append('\n');
        }
        String label = null;
        for (ProtocolNode n : p.nodes()) {
            if (!Objects.equals(label, n.label())) {
                label = n.label();
                b.append(label == null ? "\tno label\n" : "\tlabel " + ConfigPrinter.q(label) + "\n");
            }
            b.append('\t').append(node(n)).append('\n');
        }
        b.append("}\n");
    }

    private static List<String> tcp(TcpOptions t) {
        List<String> o = new ArrayList<>();
        o.add("backlog " + t.backlog());
        if (t.nodelay() != null) {
            o.add(t.nodelay() ? "nodelay" : "no nodelay");
        }
        if (t.sack() != null) {
            o.add(t.sack() ? "sack" : "no sack");
        }
        if (t.socketBuffer() > 0) {
            o.add("socket buffer " + t.socketBuffer());
        }
        if (t.ipTtl() > 0) {
            o.add("ip ttl " + t.ipTtl());
        }
        if (t.ipMinTtl() > 0) {
            o.add("ip minttl " + t.ipMinTtl());
        }
        return o;
    }

    private static List<String> ssl(SslOptions s) {
        List<String> o = new ArrayList<>();
        o.add("ciphers " + ConfigPrinter.q(s.ciphers()));
        if (s.sessionCache() == SslOptions.CACHE_DISABLED) {
            o.add("session cache disable");
        } else if (s.sessionCache() > 0) {
            o.add("session cache " + s.sessionCache());
        }
        o.add(s.tls() ? "tlsv1" : "no tlsv1");
        return o;
    }

    private static String node(ProtocolNode n) {
        StringBuilder b = new StringBuilder();
        b.append(n.dir().name().toLowerCase(Locale.ROOT)).append(' ')
                .append(n.type().name().toLowerCase(Locale.ROOT)).append(' ')
                .append(n.action().name().toLowerCase(Locale.ROOT)).append(' ');
        String k = ConfigPrinter.q(n.key());
        switch (n.action()) {
            case APPEND -> b.append(ConfigPrinter.q(n.value())).append(" to ").append(k);
            case CHANGE -> b.append(k).append(" to ").append(ConfigPrinter.q(n.value()));
            case EXPECT, FILTER -> b.append(ConfigPrinter.q(n.value())).append(" from ").append(k);
            default -> b.append(k);
        }
        if (n.mark()) {
            b.append(" mark");
        }
        if (n.marked()) {
            b.append(" marked");
        }
        if (n.log() && n.action() != Action.LOG) {
            b.append(" log");
        }
        return b.toString();
    }
}
