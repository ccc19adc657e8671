package org.hoststated.core.config;

import java.net.InetAddress;

/**
 * One virtual address of a service (an rdr rule destination); used by pfe. Immutable.
 *
 * @param name the address as the user wrote it
 * @param iface interface name, or null
 */
public record VirtualHost(String name, InetAddress address, int port, String iface) {
}
