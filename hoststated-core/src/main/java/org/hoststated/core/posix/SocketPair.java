package org.hoststated.core.posix;

import java.io.IOException;

/**
 * Creates the AF_UNIX stream socketpairs that connect the parent to each engine (and the engines
 * to each other). Used by the parent before it spawns a child.
 *
 * <p>Both ends are close-on-exec from the start, so no other child can inherit them by accident;
 * the {@link Spawner}'s dup2 gives the child a copy without close-on-exec on the fd number it
 * expects. The parent closes its copy of the child's end after the spawn, so that the child's
 * death shows up as EOF on the parent's end (and the parent's death as EOF in the child).
 */
public final class SocketPair {
    private SocketPair() {
    }

    /** Opens a connected pair; both ends are blocking and close-on-exec. */
    public static int[] open() throws IOException {
        int[] sv = new int[2];
        if (Native.LIBC.socketpair(Native.AF_UNIX, Native.SOCK_STREAM | Native.SOCK_CLOEXEC, 0, sv) < 0) {
            throw Errno.lastException("socketpair");
        }
        return sv;
    }

    /** Closes one end. */
    public static void close(int fd) throws IOException {
        Fds.closeFd(fd);
    }

    /** Sets O_NONBLOCK on {@code fd}, for handing it to an event loop. */
    public static void setNonBlocking(int fd) throws IOException {
        int flags = Native.LIBC.fcntl(fd, Native.F_GETFL, 0);
        if (flags < 0) {
            throw Errno.lastException("fcntl F_GETFL fd " + fd);
        }
        if (Native.LIBC.fcntl(fd, Native.F_SETFL, flags | Native.O_NONBLOCK) < 0) {
            throw Errno.lastException("fcntl F_SETFL fd " + fd);
        }
    }
}
