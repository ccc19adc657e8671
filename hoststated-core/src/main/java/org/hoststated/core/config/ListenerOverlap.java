package org.hoststated.core.config;

import java.net.Inet4Address;
import java.net.InetAddress;

/**
 * Whether two relays' TCP listeners on one port could not both be bound. The parent binds
 * sockets of the address's family ({@code ::} dual-stack) with {@code SO_REUSEADDR}, and Linux
 * still refuses a listener whose address overlaps a listening one's on the same port: {@code
 * ::} holds the port on every address, {@code 0.0.0.0} on every IPv4 one. A configuration with
 * both would pass the check and then fail at start or reload with "Address already in use".
 * UDP sockets may overlap (the more specific one gets the datagrams sent to its address), so
 * for DNS relays only two wildcards clash ({@link #wildcards}): both bind, and one of them
 * gets every query.
 * Used by the config check, and by the parent to explain a reload that moves a relay between
 * such addresses (the running listener holds the port until the new configuration runs).
 */
public final class ListenerOverlap {
    private ListenerOverlap() {
    }

    /** Whether distinct addresses {@code a} and {@code b} clash as TCP listeners on one port. */
    public static boolean clash(InetAddress a, InetAddress b) {
        return covers(a, b) || covers(b, a);
    }

    /**
     * Whether distinct addresses {@code a} and {@code b} are {@code ::} and {@code 0.0.0.0}:
     * as UDP listeners on one port both bind, and the IPv4 one took every query, IPv6 ones
     * included, while the other never got one (probe D).
     */
    public static boolean wildcards(InetAddress a, InetAddress b) {
        return a.isAnyLocalAddress() && b.isAnyLocalAddress();
    }

    private static boolean covers(InetAddress wildcard, InetAddress other) {
        if (!wildcard.isAnyLocalAddress()) {
            return false;
        }
        // "::" is every address; "0.0.0.0" is every IPv4 address, and part of "::".
        return !(wildcard instanceof Inet4Address) || other instanceof Inet4Address || other.isAnyLocalAddress();
    }
}
