package org.hoststated.core.config;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * TCP service names from /etc/services (getservbyname(3) for "tcp"), with a small built-in
 * table when that file is missing. Read once per JVM; immutable afterwards.
 */
final class ServicePorts {
    private static final Map<String, Integer> FALLBACK = Map.ofEntries(
            Map.entry("ftp", 21), Map.entry("ssh", 22), Map.entry("telnet", 23),
            Map.entry("smtp", 25), Map.entry("domain", 53), Map.entry("http", 80),
            Map.entry("www", 80), Map.entry("pop3", 110), Map.entry("imap", 143),
            Map.entry("ldap", 389), Map.entry("https", 443), Map.entry("submission", 587),
            Map.entry("ldaps", 636), Map.entry("imaps", 993), Map.entry("pop3s", 995),
            Map.entry("mysql", 3306), Map.entry("postgresql", 5432));

    private static volatile Map<String, Integer> table;

    private ServicePorts() {
    }

    /** The port of a TCP service name, or -1. */
    static int lookup(String name) {
        Map<String, Integer> t = table;
        if (t == null) {
            t = load(Path.of("/etc/services"));
            table = t;
        }
        return t.getOrDefault(name, -1);
    }

    static Map<String, Integer> load(Path file) {
        Map<String, Integer> m = new HashMap<>();
        try {
            for (String raw : Files.readAllLines(file, StandardCharsets.ISO_8859_1)) {
                int hash = raw.indexOf('#');
                String[] f = (hash >= 0 ? raw.substring(0, hash) : raw).trim().split("\\s+");
                if (f.length < 2 || !f[1].endsWith("/tcp")) {
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
            return FALLBACK;
        }
        return m.isEmpty() ? FALLBACK : Map.copyOf(m);
    }
}
