package org.hoststated.relay.lb;

import io.netty.util.NetUtil;
import java.net.InetSocketAddress;

/**
 * One place a relay can forward a session to: a table host, or the single address of a
 * {@code forward to} or {@code service} target. Immutable.
 *
 * @param id the host id in its generation; -1 for a target that is not a table host
 * @param name the host as the configuration names it, for log lines
 * @param retry how many times an immediately failing connect is retried
 */
public record TargetHost(int id, String name, InetSocketAddress address, int retry) {
    /** The name and port, an IPv6 address in brackets ({@code [2001:db8::7]:53}). */
    @Override
    public String toString() {
        return (NetUtil.isValidIpV6Address(name) ? "[" + name + "]" : name) + ":" + address.getPort();
    }
}
