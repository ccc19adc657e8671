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
        int fd = SockaddrUn.boundDatagram(SockaddrUn.abstractName(name));
        if (fd == -Native.EADDRINUSE) {
            return null;
        }
        if (fd < 0) {
            throw Errno.exception("bind @" + name, -fd);
        }
        return new AbstractSocketName(fd);
    }

    /** Lets the name go. */
    @Override
    public void close() throws IOException {
        Fds.closeFd(fd);
    }
}
