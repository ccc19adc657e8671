package org.hoststated.pfe;

import org.hoststated.core.config.ServiceConfig;
import org.hoststated.core.msg.CtlService;
import org.hoststated.core.msg.ServiceStatus;

/**
 * pfe's record of one service (a layer-3 redirection): its main and backup tables and which
 * of them is active. Owned by pfe's event loop.
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

    ServiceEntry(ServiceConfig config, TableEntry main, TableEntry backup) {
        this.config = config;
        this.main = main;
        this.backup = backup;
        this.disabled = config.disabled();
    }

    /** The table whose up hosts receive traffic now, or null when none has a host up. */
    TableEntry activeTable() {
        if (disabled) {
            return null;
        }
        if (!main.disabled && main.upCount > 0) {
            return main;
        }
        if (backup != null && !backup.disabled && backup.upCount > 0) {
            return backup;
        }
        return null;
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
