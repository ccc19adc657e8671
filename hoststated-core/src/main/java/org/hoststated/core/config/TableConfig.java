package org.hoststated.core.config;

import java.util.List;

/**
 * A table: hosts checked with one method. Used by hce, pfe and relay; engines skip templates.
 * Immutable.
 *
 * @param port the real port; 0 for a template
 * @param timeoutMs effective check timeout (the global one unless the table sets its own)
 * @param intervalSec effective check interval (a multiple of the global one)
 * @param demote carp demote group, or null
 * @param template true for a table without {@code real port}
 * @param templateName for a table derived from a template, the template's name; else null
 */
public record TableConfig(int id, String name, int port, CheckConfig check, int timeoutMs,
        int intervalSec, boolean disabled, String demote, List<HostConfig> hosts,
        boolean template, String templateName) {
    public TableConfig {
        hosts = List.copyOf(hosts);
    }

    /**
     * Whether a verdict on a host of {@code older} is one on the same host of this table: the
     * same check, on the same port where the check uses it. A reload carries a host's state
     * over ({@link HostKey}) only then: a check of another port or page has told nothing yet
     * (it kept a host up that nobody had checked on its new port, review CD).
     */
    public boolean checksAlike(TableConfig older) {
        if (!check.equals(older.check)) {
            return false;
        }
        return switch (check.type()) {
            case NONE, ICMP, SCRIPT -> true;
            default -> port == older.port;
        };
    }

    /** True for a table generated from a template by a reference with a port. */
    public boolean derived() {
        return templateName != null;
    }
}
