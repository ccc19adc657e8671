package org.hoststated.core.config;

import java.util.List;
import java.util.Optional;

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

    /**
     * Where a relay with this service as its target connects: the first virtual host of the
     * relay's transport (a service may have a tcp and a udp one), else the first; empty when
     * the service has none.
     */
    public Optional<VirtualHost> relayTarget(IpProtocol transport) {
        return virtualHosts.stream().filter(v -> v.protocol() == transport).findFirst()
                .or(() -> virtualHosts.stream().findFirst());
    }
}
