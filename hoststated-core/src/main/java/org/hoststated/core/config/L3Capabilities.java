package org.hoststated.core.config;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * What each layer-3 backend can do, and the load-time check that a configuration asks its
 * backend for nothing it cannot do (so the daemon refuses it at {@code -n} and at reload
 * instead of failing later in the kernel). Runs in the loading thread.
 */
public final class L3Capabilities {
    /** pf table names hold 31 characters (PF_TABLE_NAME_SIZE); the table is named after the service. */
    static final int PF_TABLE_NAME_MAX = 31;
    /** Interface names hold 15 characters on Linux and OpenBSD (IFNAMSIZ). */
    static final int IFNAME_MAX = 15;
    private static final Pattern IFNAME = Pattern.compile("[A-Za-z0-9_.:-]+");
    /** Characters pf accepts in an anchor and table name without quoting. */
    private static final Pattern PF_NAME = Pattern.compile("[A-Za-z0-9_.-]+");

    private final String backend;
    private final Diagnostics diag;

    L3Capabilities(String configured, Diagnostics diag) {
        this.backend = effectiveBackend(configured);
        this.diag = diag;
    }

    /**
     * The backend pfe uses: the configured one, else {@code pf} on OpenBSD, {@code nftables}
     * on Linux and {@code none} elsewhere.
     */
    public static String effectiveBackend(String configured) {
        if (configured != null) {
            return configured;
        }
        String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
        return os.contains("openbsd") ? "pf" : os.contains("linux") ? "nftables" : "none";
    }

    /**
     * The backend pfe runs for {@code config}: {@link #effectiveBackend(String)}, or {@code none}
     * when the configuration has no service, so that a daemon with relays only never touches the
     * kernel's rules (a second daemon for relays would otherwise replace a first one's nftables
     * table with an empty one). The parent decides by it whether it must hold the nftables lock.
     */
    public static String backendFor(Config config) {
        return config.services().isEmpty() ? "none" : effectiveBackend(config.globals().l3Backend());
    }

    /** Reports every service that asks more of the backend than it can do. */
    void check(List<Draft.ServiceDraft> services, Map<String, TableConfig> tables) {
        if (backend.equals("none")) {
            return;
        }
        for (Draft.ServiceDraft s : services) {
            if (backend.equals("pf") && (s.name.length() > PF_TABLE_NAME_MAX || !PF_NAME.matcher(s.name).matches())) {
                diag.error(s.pos, "service " + Messages.clip(s.name) + ": pf needs a service name of at most "
                        + PF_TABLE_NAME_MAX + " letters, digits, '_', '.' or '-' (it names the pf table)");
            }
            if (backend.equals("pf") && s.tag != null && s.tag.indexOf('"') >= 0) {
                diag.error(s.pos, "service " + Messages.clip(s.name) + ": a pf tag cannot contain '\"'");
            }
            for (VirtualHost v : s.virtualHosts) {
                checkVirtual(s, v, tables);
            }
        }
    }

    private void checkVirtual(Draft.ServiceDraft s, VirtualHost v, Map<String, TableConfig> tables) {
        if (v.iface() != null && (v.iface().length() > IFNAME_MAX || !IFNAME.matcher(v.iface()).matches())) {
            diag.error(s.pos, "service " + Messages.clip(s.name) + ": invalid interface name for " + backend
                    + ": " + Messages.clip(v.iface()));
        }
        boolean v6 = v.address() instanceof Inet6Address;
        for (Draft.TableRef ref : new Draft.TableRef[] {s.table, s.backup}) {
            TableConfig t = ref == null || ref.resolved == null ? null : tables.get(ref.resolved);
            HostConfig away = t == null || !v.address().isLoopbackAddress() ? null
                    : t.hosts().stream().filter(h -> !h.address().isLoopbackAddress()).findFirst().orElse(null);
            if (away != null) {
                // Only this machine's clients reach a loopback address, and the kernel drops
                // their connections redirected to another machine, whose source stays a loopback
                // address: they hang (probe I of session 57). To a local host they work (probe AC).
                diag.warning(s.pos, "service " + Messages.clip(s.name) + ": virtual host " + v.name()
                        + " is a loopback address: only clients on this machine reach it, and their connections"
                        + " to host " + away.name() + " of table " + t.name() + " keep a loopback source and are dropped");
            }
            if (t == null || t.hosts().isEmpty() || t.hosts().stream().anyMatch(h -> family(h.address(), v6))) {
                continue;
            }
            String text = "service " + Messages.clip(s.name) + ": virtual host " + v.name() + " is "
                    + (v6 ? "IPv6" : "IPv4") + " but table " + t.name() + " has no " + (v6 ? "IPv6" : "IPv4")
                    + " host; " + backend + " cannot redirect across address families";
            // A service with another virtual host the table can serve still works (the
            // original's own example does this): that address just gets no rule.
            boolean served = s.virtualHosts.stream()
                    .anyMatch(o -> t.hosts().stream().anyMatch(h -> family(h.address(), o.address() instanceof Inet6Address)));
            if (served) {
                diag.warning(s.pos, text + ", so that address gets no rule");
            } else {
                diag.error(s.pos, text);
            }
        }
    }

    private static boolean family(InetAddress a, boolean v6) {
        return (a instanceof Inet6Address) == v6;
    }
}
