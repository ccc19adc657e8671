package org.hoststated.core.posix;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * A netlink socket to the kernel (AF_NETLINK, SOCK_RAW), e.g. {@link #NETLINK_NETFILTER} for
 * connection tracking: requests go to the kernel (port 0), answers are whole netlink
 * datagrams. The JDK has no netlink channel. Blocking, with a receive timeout, for a writer
 * thread of its own (pfe's {@code l3-writer}); not thread-safe.
 */
public final class NetlinkSocket implements Closeable {
    /** nfnetlink: conntrack, nftables, queues and logs. */
    public static final int NETLINK_NETFILTER = 12;

    private final int fd;
    private final String what;

    private NetlinkSocket(int fd, String what) {
        this.fd = fd;
        this.what = what;
    }

    /**
     * Opens and binds a close-on-exec netlink socket of {@code protocol} (the kernel picks its
     * port id); {@link #receive} waits at most {@code timeoutMs} for an answer.
     */
    public static NetlinkSocket open(int protocol, int timeoutMs) throws IOException {
        String what = "netlink socket (protocol " + protocol + ")";
        int fd = Native.LIBC.socket(Native.AF_NETLINK, Native.SOCK_RAW | Native.SOCK_CLOEXEC, protocol);
        if (fd < 0) {
            throw Errno.lastException("socket " + what);
        }
        // struct sockaddr_nl: nl_family, nl_pad, nl_pid (0: the kernel assigns one), nl_groups.
        byte[] addr = ByteBuffer.allocate(12).order(ByteOrder.nativeOrder())
                .putShort((short) Native.AF_NETLINK).putShort((short) 0).putInt(0).putInt(0).array();
        // struct timeval: two longs (time_t, suseconds_t) on the 64-bit systems hoststated runs on.
        byte[] tv = ByteBuffer.allocate(16).order(ByteOrder.nativeOrder())
                .putLong(timeoutMs / 1000).putLong((timeoutMs % 1000) * 1000L).array();
        String failed = Native.LIBC.bind(fd, addr, addr.length) < 0 ? "bind "
                : Native.LIBC.setsockopt(fd, Native.SOL_SOCKET, Native.SO_RCVTIMEO, tv, tv.length) < 0 ? "SO_RCVTIMEO on "
                : null;
        if (failed != null) {
            IOException e = Errno.lastException(failed + what);
            Native.LIBC.close(fd);
            throw e;
        }
        return new NetlinkSocket(fd, what);
    }

    /** Sends {@code len} bytes of {@code message} (one or more netlink messages) to the kernel. */
    public void send(byte[] message, int len) throws IOException {
        while (Native.LIBC.send(fd, message, len, Native.MSG_NOSIGNAL) < 0) {
            if (Native.errno() != Native.EINTR) {
                throw Errno.lastException("send on " + what);
            }
        }
    }

    /**
     * Receives one datagram into {@code buf}.
     *
     * @return its length
     * @throws IOException on the timeout ({@code Resource temporarily unavailable}), on any
     *         other failure (ENOBUFS: the kernel dropped answers this socket had no room for),
     *         or when the datagram was longer than {@code buf}
     */
    public int receive(byte[] buf) throws IOException {
        while (true) {
            long n = Native.LIBC.recv(fd, buf, buf.length, Native.MSG_TRUNC);
            if (n > buf.length) {
                throw new IOException("receive on " + what + ": a datagram of " + n + " bytes, longer than "
                        + buf.length);
            }
            if (n >= 0) {
                return (int) n;
            }
            if (Native.errno() != Native.EINTR) {
                throw Errno.lastException("receive on " + what);
            }
        }
    }

    @Override
    public void close() throws IOException {
        Fds.closeFd(fd);
    }
}
