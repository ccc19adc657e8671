package org.hoststated.relay.handler;

import io.netty.channel.Channel;
import io.netty.channel.ChannelException;
import io.netty.channel.unix.RawUnixChannelOption;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * {@code nat lookup} on Linux: where a client meant to connect before a netfilter
 * {@code redirect}/{@code dnat} rule sent it to the relay, read from conntrack with
 * {@code getsockopt(SO_ORIGINAL_DST)} (the counterpart of pf's {@code DIOCNATLOOK}). Called on
 * the session's worker loop when the client channel becomes active. Stateless.
 */
public final class OriginalDestination {
    /** {@code SO_ORIGINAL_DST} at {@code SOL_IP}; {@code IP6T_SO_ORIGINAL_DST} has the same number. */
    private static final int SO_ORIGINAL_DST = 80;
    private static final RawUnixChannelOption V4 = new RawUnixChannelOption("SO_ORIGINAL_DST", 0, SO_ORIGINAL_DST, 16);
    private static final RawUnixChannelOption V6 = new RawUnixChannelOption("IP6T_SO_ORIGINAL_DST", 41, SO_ORIGINAL_DST, 28);
    private static final int AF_INET = 2;
    private static final int AF_INET6 = 10;

    private OriginalDestination() {
    }

    /**
     * The destination the client connected to before it was redirected to the relay, or null
     * when the connection was not redirected (no conntrack entry, or one without address
     * translation) or the transport cannot tell.
     */
    public static InetSocketAddress of(Channel client) {
        InetSocketAddress local = (InetSocketAddress) client.localAddress();
        // The connection's own family first: asked for IPv4 on an IPv6 connection, the kernel
        // looks up a placeholder IPv4 tuple (127.0.0.6 and the ports), which another flow
        // could match. An IPv4 client of a :: listener is an IPv4 flow to conntrack.
        boolean ipv6 = plain(local.getAddress()).length == 16;
        InetSocketAddress orig = read(client, ipv6 ? V6 : V4);
        if (orig == null) {
            orig = read(client, ipv6 ? V4 : V6);
        }
        if (orig == null || sameEndpoint(orig, local)) {
            return null;
        }
        return orig;
    }

    private static InetSocketAddress read(Channel client, RawUnixChannelOption opt) {
        ByteBuffer b;
        try {
            // A failing getsockopt (ENOENT: no conntrack entry) throws; other transports say null.
            b = client.config().getOption(opt);
        } catch (ChannelException e) {
            return null;
        }
        return b == null ? null : decode(b);
    }

    /** A {@code sockaddr_in} or {@code sockaddr_in6} as the kernel wrote it. */
    static InetSocketAddress decode(ByteBuffer b) {
        if (b.remaining() < 8) {
            return null;
        }
        int family = b.order(ByteOrder.nativeOrder()).getShort(b.position()) & 0xffff;
        int port = b.order(ByteOrder.BIG_ENDIAN).getShort(b.position() + 2) & 0xffff;
        byte[] addr;
        if (family == AF_INET) {
            addr = new byte[4];
            b.get(b.position() + 4, addr);
        } else if (family == AF_INET6 && b.remaining() >= 24) {
            addr = new byte[16];
            b.get(b.position() + 8, addr);
        } else {
            return null;
        }
        try {
            return new InetSocketAddress(InetAddress.getByAddress(addr), port);
        } catch (UnknownHostException e) {
            return null;
        }
    }

    private static boolean sameEndpoint(InetSocketAddress a, InetSocketAddress b) {
        if (a.getPort() != b.getPort()) {
            return false;
        }
        return java.util.Arrays.equals(plain(a.getAddress()), plain(b.getAddress()));
    }

    /** The IPv4 address of an IPv4-mapped IPv6 address, else the address's own bytes. */
    private static byte[] plain(InetAddress a) {
        byte[] x = a.getAddress();
        if (x.length == 16) {
            boolean mapped = x[10] == (byte) 0xff && x[11] == (byte) 0xff;
            for (int i = 0; i < 10 && mapped; i++) {
                mapped = x[i] == 0;
            }
            if (mapped) {
                return java.util.Arrays.copyOfRange(x, 12, 16);
            }
        }
        return x;
    }
}
