package org.hoststated.core.config;

import java.util.Locale;

/**
 * The transport a service's virtual host redirects ({@code virtual host ADDR [tcp|udp] port P}),
 * as relayd's {@code listen on ... udp port}: TCP by default, UDP for DNS, syslog, NTP or
 * RADIUS balanced at layer 3.
 */
public enum IpProtocol {
    TCP(6),
    UDP(17);

    private final int number;

    IpProtocol(int number) {
        this.number = number;
    }

    /** The IP protocol number (IPPROTO_TCP, IPPROTO_UDP), as conntrack and pf report it. */
    public int number() {
        return number;
    }

    /** The word of the configuration language, of nftables' and of pf's rules: "tcp", "udp". */
    public String word() {
        return name().toLowerCase(Locale.ROOT);
    }
}
