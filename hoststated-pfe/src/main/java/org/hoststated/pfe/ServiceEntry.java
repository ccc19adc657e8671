package org.hoststated.pfe;

import java.net.Inet6Address;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.hoststated.core.config.ServiceConfig;
import org.hoststated.core.config.VirtualHost;
import org.hoststated.core.msg.CtlService;
import org.hoststated.core.msg.ServiceStatus;

/**
 * pfe's record of one service (a layer-3 redirection): its main and backup tables and which
 * of them serves each address family of its virtual hosts. Owned by pfe's event loop.
 */
final class ServiceEntry {
    final ServiceConfig config;
    final TableEntry main;
    /** Null for the built-in empty backup table. */
    final TableEntry backup;
    boolean disabled;
    /**
     * Disabled at run time with {@code service disable}, whose rule for the main table
     * (it goes along unless something else uses it) applies again at each reload; a
     * {@code table enable} or {@code table disable} of that table since overrides it.
     */
    boolean tableFollows;

    /** The address families of the virtual hosts, IPv4 ({@code false}) first. */
    final List<Boolean> families;

    ServiceEntry(ServiceConfig config, TableEntry main, TableEntry backup) {
        this.config = config;
        this.main = main;
        this.backup = backup;
        this.disabled = config.disabled();
        Set<Boolean> f = new TreeSet<>();
        for (VirtualHost v : config.virtualHosts()) {
            f.add(v.address() instanceof Inet6Address);
        }
        this.families = List.copyOf(f);
    }

    /**
     * The table whose up hosts of one family receive that family's flows now, or null when
     * neither has one up. Each family falls back on its own: with one switch for the whole
     * service, a main table with only its IPv6 hosts up left the IPv4 virtual hosts without a
     * rule while the backup table had an IPv4 host up (probe I of session 57).
     */
    TableEntry servingTable(boolean ipv6) {
        if (disabled) {
            return null;
        }
        if (!main.disabled && hasServing(main, ipv6)) {
            return main;
        }
        if (backup != null && !backup.disabled && hasServing(backup, ipv6)) {
            return backup;
        }
        return null;
    }

    private static boolean hasServing(TableEntry t, boolean ipv6) {
        if (t.upCount == 0) {
            return false;
        }
        for (HostEntry h : t.hosts) {
            if (h.serving() && h.ipv6() == ipv6) {
                return true;
            }
        }
        return false;
    }

    /**
     * The table that serves, for the status and the monitors: the backup table when it serves
     * any family, else the main table when it serves one, else null.
     */
    TableEntry activeTable() {
        TableEntry active = null;
        for (boolean ipv6 : families) {
            TableEntry t = servingTable(ipv6);
            if (t != null && t == backup) {
                return t;
            }
            active = t != null ? t : active;
        }
        return active;
    }

    ServiceStatus status() {
        if (disabled) {
            return ServiceStatus.DISABLED;
        }
        TableEntry t = activeTable();
        if (t == null) {
            return ServiceStatus.DOWN;
        }
        return t == main ? ServiceStatus.ACTIVE : ServiceStatus.ACTIVE_BACKUP;
    }

    /**
     * @param previousRules the kernel still serves a previous run's rules: whatever pfe knows
     *        of the hosts so far, that is what clients of an enabled service get
     * @param unwritten the backend's last write failed (it retries): the kernel has neither
     *        the service's current rules nor, for a disabled one, their removal
     */
    CtlService row(boolean previousRules, boolean unwritten) {
        ServiceStatus st = status();
        if (unwritten) {
            st = ServiceStatus.UNWRITTEN;
        } else if (previousRules && st != ServiceStatus.DISABLED) {
            st = ServiceStatus.KEPT;
        }
        return new CtlService(config.id(), config.name(), st);
    }
}
