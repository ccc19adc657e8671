package org.hoststated.core.posix;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * An AF_UNIX datagram socket, connected or bound to a path. Used by the logger for syslog: it
 * connects to /dev/log once at start-up, so sending keeps working after chroot (the JDK has no
 * Unix datagram channel on Java 17). Also binds a test's stand-in for /dev/log.
 */
public final class UnixDatagramSocket implements Closeable {
    private static final int SUN_PATH_MAX = 107; // sizeof(sun_path) - 1 for the NUL

    private final int fd;

    private UnixDatagramSocket(int fd) {
        this.fd = fd;
    }

    /** Opens a close-on-exec datagram socket connected to {@code path}. */
    public static UnixDatagramSocket connect(Path path) throws IOException {
        byte[] addr = sockaddr(path);
        int fd = open();
        if (Native.LIBC.connect(fd, addr, addr.length) < 0) {
            IOException e = Errno.lastException("connect " + path);
            Native.LIBC.close(fd);
            throw e;
        }
        return new UnixDatagramSocket(fd);
    }

    /** Opens a close-on-exec datagram socket bound to {@code path}, which must not exist. */
    public static UnixDatagramSocket bind(Path path) throws IOException {
        byte[] addr = sockaddr(path);
        int fd = open();
        if (Native.LIBC.bind(fd, addr, addr.length) < 0) {
            IOException e = Errno.lastException("bind " + path);
            Native.LIBC.close(fd);
            throw e;
        }
        return new UnixDatagramSocket(fd);
    }

    /** Takes over {@code fd}, a datagram socket already connected (one passed by another process). */
    public static UnixDatagramSocket adopt(int fd) {
        return new UnixDatagramSocket(fd);
    }

    public int fd() {
        return fd;
    }

    /**
     * Sends one datagram without ever blocking.
     *
     * @return false if the receiver's queue is full (EAGAIN), so the datagram was dropped
     * @throws IOException for any other failure, e.g. ECONNREFUSED once the receiver is gone
     */
    public boolean trySend(byte[] datagram) throws IOException {
        while (true) {
            long n = Native.LIBC.send(fd, datagram, datagram.length, Native.MSG_DONTWAIT | Native.MSG_NOSIGNAL);
            if (n >= 0) {
                return true;
            }
            int errno = Native.errno();
            if (errno == Native.EAGAIN) {
                return false;
            }
            if (errno != Native.EINTR) {
                throw Errno.exception("send on unix datagram socket", errno);
            }
        }
    }

    /**
     * Blocks until a datagram arrives.
     *
     * @return its length; bytes beyond {@code buf.length} are lost
     */
    public int receive(byte[] buf) throws IOException {
        while (true) {
            long n = Native.LIBC.recv(fd, buf, buf.length, 0);
            if (n >= 0) {
                return (int) n;
            }
            if (Native.errno() != Native.EINTR) {
                throw Errno.lastException("recv on unix datagram socket");
            }
        }
    }

    @Override
    public void close() throws IOException {
        Fds.closeFd(fd);
    }

    private static int open() throws IOException {
        int fd = Native.LIBC.socket(Native.AF_UNIX, Native.SOCK_DGRAM | Native.SOCK_CLOEXEC, 0);
        if (fd < 0) {
            throw Errno.lastException("socket AF_UNIX SOCK_DGRAM");
        }
        return fd;
    }

    /** struct sockaddr_un: sa_family_t (native short), then the NUL-terminated path. */
    private static byte[] sockaddr(Path path) {
        byte[] p = path.toString().getBytes(StandardCharsets.UTF_8);
        if (p.length > SUN_PATH_MAX) {
            throw new IllegalArgumentException("unix socket path longer than " + SUN_PATH_MAX + " bytes: " + path);
        }
        ByteBuffer addr = ByteBuffer.allocate(2 + p.length + 1).order(ByteOrder.nativeOrder());
        addr.putShort((short) Native.AF_UNIX).put(p).put((byte) 0);
        return addr.array();
    }
}
