package org.hoststated.core.posix;

import java.io.IOException;

/**
 * Turns an errno value into text and exceptions, so that every failure of a native call names the
 * call, its object and the system's reason ({@code chroot /var/empty: No such file or directory}).
 * Used by every class of this package, in every process that loads native code.
 */
public final class Errno {
    private Errno() {
    }

    /** strerror(3) of {@code errno}, e.g. "Bad file descriptor". */
    public static String strerror(int errno) {
        String text = Native.LIBC.strerror(errno);
        return text != null ? text : "error " + errno;
    }

    /** The errno saved by the last failing native call of this package on this thread. */
    public static int last() {
        return Native.errno();
    }

    /** An IOException "{@code what}: strerror(errno)". */
    public static IOException exception(String what, int errno) {
        return new ErrnoException(what, errno);
    }

    /** An IOException for the errno saved by the last native call on this thread. */
    public static IOException lastException(String what) {
        return new ErrnoException(what, Native.errno());
    }

    /** An IOException that also keeps the errno, so a caller can tell EAGAIN from EBADF. */
    public static final class ErrnoException extends IOException {
        private static final long serialVersionUID = 1L;
        private final int errno;

        ErrnoException(String what, int errno) {
            super(what + ": " + strerror(errno));
            this.errno = errno;
        }

        public int errno() {
            return errno;
        }
    }
}
