package org.hoststated.hce.check;

import java.net.InetAddress;

/**
 * The host a check probes: its id (for the answer), its name as configured (for scripts and
 * logs), its address and the table's real port (0 for checks without a port).
 */
public record CheckTarget(int hostId, String name, InetAddress address, int port) {
    /** "host NAME (ADDRESS port PORT)", as the check's log lines name it. */
    @Override
    public String toString() {
        // IPv6 in its short form, as the configuration and show hosts write it (probe AK).
        String at = io.netty.util.NetUtil.toAddressString(address) + (port == 0 ? "" : " port " + port);
        return "host " + name + " (" + at + ")";
    }
}
