package org.hoststated.core.posix;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * {@code struct sockaddr_un} bytes for bind and connect (a file path or an abstract name), and
 * the close-on-exec datagram sockets bound or connected to them.
 */
final class SockaddrUn {
    /** sizeof(sun_path). */
    static final int PATH_MAX = 108;

    private SockaddrUn() {
    }

    /**
     * An abstract name (without its leading NUL): the length passed to bind or connect ends
     * the name, which has no terminating NUL (one would be part of it).
     */
    static byte[] abstractName(String name) {
        byte[] n = name.getBytes(StandardCharsets.UTF_8);
        if (n.length > PATH_MAX - 1) {
            throw new IllegalArgumentException("abstract socket name longer than " + (PATH_MAX - 1) + " bytes: " + name);
        }
        return ByteBuffer.allocate(2 + 1 + n.length).order(ByteOrder.nativeOrder())
                .putShort((short) Native.AF_UNIX).put((byte) 0).put(n).array();
    }

    /** A file path, NUL-terminated. */
    static byte[] path(String path) {
        byte[] p = path.getBytes(StandardCharsets.UTF_8);
        if (p.length > PATH_MAX - 1) {
            throw new IllegalArgumentException("socket path longer than " + (PATH_MAX - 1) + " bytes: " + path);
        }
        return ByteBuffer.allocate(2 + p.length + 1).order(ByteOrder.nativeOrder())
                .putShort((short) Native.AF_UNIX).put(p).put((byte) 0).array();
    }

    /** A datagram socket bound to {@code addr}, or minus the errno of a failed bind (the socket closed). */
    static int boundDatagram(byte[] addr) throws IOException {
        return datagram(addr, true);
    }

    /** A datagram socket connected to {@code addr}, or minus the errno of a failed connect (the socket closed). */
    static int connectedDatagram(byte[] addr) throws IOException {
        return datagram(addr, false);
    }

    private static int datagram(byte[] addr, boolean bind) throws IOException {
        int fd = Native.LIBC.socket(Native.AF_UNIX, Native.SOCK_DGRAM | Native.SOCK_CLOEXEC, 0);
        if (fd < 0) {
            throw Errno.lastException("socket AF_UNIX SOCK_DGRAM");
        }
        int r = bind ? Native.LIBC.bind(fd, addr, addr.length) : Native.LIBC.connect(fd, addr, addr.length);
        if (r < 0) {
            int errno = Native.errno();
            Native.LIBC.close(fd);
            return -errno;
        }
        return fd;
    }
}
