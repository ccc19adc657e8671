package org.hoststated.core.config;

import java.util.List;

/**
 * A layer-3 redirection; used by pfe. Table names are the derived names when a template is
 * referenced. Immutable.
 *
 * @param backupTable backup table name, or null for the built-in empty table
 * @param tag pf tag, or null
 * @param killStates cut the established flows to a host that goes down or is removed
 *        ({@code kill states})
 */
public record ServiceConfig(int id, String name, List<VirtualHost> virtualHosts, String table,
        String backupTable, boolean stickyAddress, String tag, boolean killStates, boolean disabled) {
    public ServiceConfig {
        virtualHosts = List.copyOf(virtualHosts);
    }

    /** The service port: the port of the first virtual host. */
    public int port() {
        return virtualHosts.isEmpty() ? 0 : virtualHosts.get(0).port();
    }
}
