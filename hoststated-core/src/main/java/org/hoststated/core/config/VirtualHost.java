package org.hoststated.core.config;

import java.net.InetAddress;
import java.util.Objects;

/**
 * One virtual address of a service (an rdr rule destination); used by pfe. Immutable.
 *
 * @param name the address as the user wrote it
 * @param protocol the transport redirected ({@code tcp} unless the user wrote {@code udp})
 * @param iface interface name, or null
 */
public record VirtualHost(String name, InetAddress address, IpProtocol protocol, int port, String iface) {
    public VirtualHost {
        Objects.requireNonNull(protocol, "protocol");
    }
}
