package org.hoststated.core.posix;

import java.io.Closeable;
import java.io.IOException;

/**
 * A name in Linux's abstract AF_UNIX namespace, bound by this process and held as a lock: one
 * process at a time can hold a name, the kernel frees it when the process ends, however it ends
 * (no stale lock file after a SIGKILL), and the namespace is that of the network namespace, as
 * the nftables tables are. {@code ss -xap} shows the holder as {@code @name} with its pid.
 */
public final class AbstractSocketName implements Closeable {
    private final int fd;

    private AbstractSocketName(int fd) {
        this.fd = fd;
    }

    /**
     * Binds {@code name} (without the leading NUL) on a close-on-exec datagram socket.
     *
     * @return null when another process (or this one) holds the name
     * @throws IOException for any other failure
     */
    public static AbstractSocketName tryBind(String name) throws IOException {
        byte[] addr = SockaddrUn.abstractName(name);
        int fd = Native.LIBC.socket(Native.AF_UNIX, Native.SOCK_DGRAM | Native.SOCK_CLOEXEC, 0);
        if (fd < 0) {
            throw Errno.lastException("socket AF_UNIX SOCK_DGRAM");
        }
        if (Native.LIBC.bind(fd, addr, addr.length) < 0) {
            int errno = Native.errno();
            Native.LIBC.close(fd);
            if (errno == Native.EADDRINUSE) {
                return null;
            }
            throw Errno.exception("bind @" + name, errno);
        }
        return new AbstractSocketName(fd);
    }

    /** Lets the name go. */
    @Override
    public void close() throws IOException {
        Fds.closeFd(fd);
    }
}
