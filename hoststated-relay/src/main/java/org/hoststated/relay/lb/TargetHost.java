package org.hoststated.relay.lb;

import io.netty.util.NetUtil;
import java.net.Inet6Address;
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
    /** The id of a {@code nat lookup} destination, which belongs to no table. */
    public static final int NAT_LOOKUP_ID = -2;

    /**
     * The original destination of a client that the packet filter redirected to a relay with
     * {@code nat lookup}: a host of its own, which is neither in a table nor ever down.
     *
     * @param retry the {@code nat lookup}'s retry: a failed connect has no other host to go to
     */
    public static TargetHost natLookup(InetSocketAddress original, int retry) {
        String host = original.getAddress() instanceof Inet6Address
                ? "[" + NetUtil.toAddressString(original.getAddress()) + "]" : original.getAddress().getHostAddress();
        return new TargetHost(NAT_LOOKUP_ID, "nat lookup " + host, original, retry);
    }

    /** Whether this is a {@code nat lookup} destination (see {@link #natLookup}). */
    public boolean natLookup() {
        return id == NAT_LOOKUP_ID;
    }

    /** The name and port, an IPv6 address in brackets ({@code [2001:db8::7]:53}). */
    @Override
    public String toString() {
        return (NetUtil.isValidIpV6Address(name) ? "[" + name + "]" : name) + ":" + address.getPort();
    }
}
