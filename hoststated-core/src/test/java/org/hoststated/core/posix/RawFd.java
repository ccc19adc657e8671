package org.hoststated.core.posix;

/** Tests outside this package: raw writes to a descriptor and its file status flags. */
public final class RawFd {
    private RawFd() {
    }

    /** Writes {@code b} whole to {@code fd} (a blocking socket), or throws. */
    public static void writeAll(int fd, byte[] b) throws java.io.IOException {
        long n = Native.LIBC.write(fd, b, b.length);
        if (n != b.length) {
            throw new java.io.IOException("write to fd " + fd + ": " + n + " of " + b.length + " bytes");
        }
    }

    /** Whether O_NONBLOCK is set on {@code fd}. */
    public static boolean nonBlocking(int fd) throws java.io.IOException {
        int flags = Native.LIBC.fcntl(fd, Native.F_GETFL, 0);
        if (flags < 0) {
            throw Errno.lastException("fcntl F_GETFL fd " + fd);
        }
        return (flags & Native.O_NONBLOCK) != 0;
    }
}
