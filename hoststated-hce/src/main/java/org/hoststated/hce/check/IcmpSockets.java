package org.hoststated.hce.check;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The raw ICMP sockets (IPv4 and IPv6) hce opens as root before dropping privileges
 * ({@code Engine.acquirePrivileged}). A family whose socket cannot be opened is -1; its checks
 * then report a socket error. Blocking sockets with a receive timeout: a reader thread reads
 * them (see {@link IcmpCheck}).
 */
public record IcmpSockets(int v4, int v6) {
    /** Opens both sockets; throws only when neither can be opened. */
    public static IcmpSockets open() throws IOException {
        IcmpLibC c = IcmpLibC.INSTANCE;
        int v4 = c.socket(IcmpLibC.AF_INET, IcmpLibC.SOCK_RAW, IcmpLibC.IPPROTO_ICMP);
        int v6 = c.socket(IcmpLibC.AF_INET6, IcmpLibC.SOCK_RAW, IcmpLibC.IPPROTO_ICMPV6);
        if (v4 < 0 && v6 < 0) {
            throw new IOException("cannot open raw icmp sockets (not root?)");
        }
        for (int fd : new int[] {v4, v6}) {
            if (fd >= 0) {
                // A round sends thousands of echoes: keep the replies (HCE-SCALE.md).
                c.setsockopt(fd, IcmpLibC.SOL_SOCKET, IcmpLibC.SO_RCVBUF, intValue(1 << 20), 4);
                c.setsockopt(fd, IcmpLibC.SOL_SOCKET, IcmpLibC.SO_RCVTIMEO, timeval(200_000), 16);
            }
        }
        if (v4 >= 0) {
            // Let only echo replies (type 0) reach us.
            c.setsockopt(v4, IcmpLibC.SOL_RAW, IcmpLibC.ICMP_FILTER, intValue(~1), 4);
        }
        return new IcmpSockets(v4, v6);
    }

    public void close() {
        if (v4 >= 0) {
            IcmpLibC.INSTANCE.close(v4);
        }
        if (v6 >= 0) {
            IcmpLibC.INSTANCE.close(v6);
        }
    }

    private static byte[] intValue(int v) {
        return ByteBuffer.allocate(4).order(ByteOrder.nativeOrder()).putInt(v).array();
    }

    private static byte[] timeval(long micros) {
        return ByteBuffer.allocate(16).order(ByteOrder.nativeOrder()).putLong(micros / 1_000_000)
                .putLong(micros % 1_000_000).array();
    }
}
