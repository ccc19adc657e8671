package org.hoststated.relay.udp;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Arrays;

/**
 * Whether an answer's sender is the host its query went to. A dual-stack socket may report an
 * IPv4 sender in its IPv4-mapped IPv6 form ({@code ::ffff:a.b.c.d}), so both forms of one
 * address count as the same. Stateless.
 */
final class SameEndpoint {
    private SameEndpoint() {
    }

    static boolean test(InetSocketAddress a, InetSocketAddress b) {
        return a != null && b != null && a.getPort() == b.getPort()
                && Arrays.equals(v4(a.getAddress()), v4(b.getAddress()));
    }

    /** The address's bytes, an IPv4-mapped IPv6 address as its 4 IPv4 bytes. */
    private static byte[] v4(InetAddress a) {
        byte[] b = a.getAddress();
        if (a instanceof Inet6Address && isMapped(b)) {
            return Arrays.copyOfRange(b, 12, 16);
        }
        return b;
    }

    private static boolean isMapped(byte[] b) {
        for (int i = 0; i < 10; i++) {
            if (b[i] != 0) {
                return false;
            }
        }
        return (b[10] & 0xff) == 0xff && (b[11] & 0xff) == 0xff;
    }
}
