package org.hoststated.core.config;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * Service names from /etc/services (getservbyname(3) for "tcp" or "udp"), with a small
 * built-in table when that file is missing. Read once per JVM; immutable afterwards.
 */
final class ServicePorts {
    private static final Map<String, Integer> FALLBACK = Map.ofEntries(
            Map.entry("ftp", 21), Map.entry("ssh", 22), Map.entry("telnet", 23),
            Map.entry("smtp", 25), Map.entry("domain", 53), Map.entry("http", 80),
            Map.entry("www", 80), Map.entry("pop3", 110), Map.entry("imap", 143),
            Map.entry("ldap", 389), Map.entry("https", 443), Map.entry("submission", 587),
            Map.entry("ldaps", 636), Map.entry("imaps", 993), Map.entry("pop3s", 995),
            Map.entry("mysql", 3306), Map.entry("postgresql", 5432));

    /** UDP names where the file is missing: {@code ntp} has no TCP port. */
    private static final Map<String, Integer> FALLBACK_UDP = Map.ofEntries(
            Map.entry("domain", 53), Map.entry("bootps", 67), Map.entry("tftp", 69),
            Map.entry("ntp", 123), Map.entry("snmp", 161), Map.entry("syslog", 514),
            Map.entry("radius", 1812), Map.entry("radius-acct", 1813));

    private static volatile Map<String, Integer> table;
    private static volatile Map<String, Integer> udpTable;

    private ServicePorts() {
    }

    /** The port of a TCP service name, or -1. */
    static int lookup(String name) {
        return lookup(name, IpProtocol.TCP);
    }

    /**
     * The port of a service name for {@code protocol}, or -1. The two differ: {@code ntp} is
     * UDP only, and {@code syslog} is 514/udp but an alias of {@code shell} in TCP.
     */
    static int lookup(String name, IpProtocol protocol) {
        if (protocol == IpProtocol.UDP) {
            Map<String, Integer> u = udpTable;
            if (u == null) {
                u = load(Path.of("/etc/services"), IpProtocol.UDP);
                udpTable = u;
            }
            return u.getOrDefault(name, -1);
        }
        Map<String, Integer> t = table;
        if (t == null) {
            t = load(Path.of("/etc/services"), IpProtocol.TCP);
            table = t;
        }
        return t.getOrDefault(name, -1);
    }

    static Map<String, Integer> load(Path file) {
        return load(file, IpProtocol.TCP);
    }

    static Map<String, Integer> load(Path file, IpProtocol protocol) {
        String suffix = "/" + protocol.word();
        Map<String, Integer> fallback = protocol == IpProtocol.UDP ? FALLBACK_UDP : FALLBACK;
        Map<String, Integer> m = new HashMap<>();
        try {
            for (String raw : Files.readAllLines(file, StandardCharsets.ISO_8859_1)) {
                int hash = raw.indexOf('#');
                String[] f = (hash >= 0 ? raw.substring(0, hash) : raw).trim().split("\\s+");
                if (f.length < 2 || !f[1].endsWith(suffix)) {
                    continue;
                }
                int port;
                try {
                    port = Integer.parseInt(f[1].substring(0, f[1].indexOf('/')));
                } catch (NumberFormatException e) {
                    continue;
                }
                for (int i = 0; i < f.length; i++) {
                    if (i != 1) {
                        m.putIfAbsent(f[i], port);
                    }
                }
            }
        } catch (IOException | RuntimeException e) {
            return fallback;
        }
        return m.isEmpty() ? fallback : Map.copyOf(m);
    }
}
