package org.hoststated.core.posix;

import jnr.ffi.LibraryLoader;
import jnr.ffi.Runtime;

/**
 * Holds the one jnr-ffi binding of {@link LibC} and the Linux constants this package uses. Loaded
 * on first use by any class of this package, in every process but hoststatectl; {@link Preloader}
 * touches it so that the binding exists before chroot (dlopen of libc fails inside an empty
 * chroot).
 *
 * <p>The constants are Linux (x86_64 and aarch64 share them); hoststated targets Linux first.
 */
final class Native {
    static final LibC LIBC = LibraryLoader.create(LibC.class).load("c");
    static final Runtime RUNTIME = Runtime.getRuntime(LIBC);

    static final int AF_UNIX = 1;
    static final int AF_NETLINK = 16;
    static final int SOCK_STREAM = 1;
    static final int SOCK_DGRAM = 2;
    static final int SOCK_RAW = 3;
    static final int SOCK_CLOEXEC = 0x80000;
    static final int SOL_SOCKET = 1;
    static final int SO_RCVBUFFORCE = 33;
    static final int SO_RCVTIMEO = 20;
    static final int MSG_PEEK = 0x2;
    static final int MSG_TRUNC = 0x20;
    static final int SCM_RIGHTS = 1;
    static final int MSG_CTRUNC = 0x8;
    static final int MSG_DONTWAIT = 0x40;
    static final int MSG_NOSIGNAL = 0x4000;
    static final int MSG_CMSG_CLOEXEC = 0x40000000;

    static final int O_RDONLY = 0;
    static final int O_RDWR = 2;
    static final int O_NONBLOCK = 0x800;
    static final int O_CLOEXEC = 0x80000;
    static final int O_NOFOLLOW = 0x20000;
    static final int O_PATH = 0x200000;
    static final int F_GETFD = 1;
    static final int F_SETFD = 2;
    static final int F_DUPFD_CLOEXEC = 1030;
    static final int F_GETFL = 3;
    static final int F_SETFL = 4;
    static final int FD_CLOEXEC = 1;

    static final int WNOHANG = 1;
    static final short POSIX_SPAWN_SETSIGMASK = 0x08;
    static final short POSIX_SPAWN_SETSID = 0x80;

    static final int EINTR = 4;
    static final int EAGAIN = 11;
    static final int ECHILD = 10;
    static final int ERANGE = 34;
    static final int EINVAL = 22;
    static final int EADDRINUSE = 98;

    private Native() {
    }

    /** The errno saved by the last {@code @SaveError} call on this thread. */
    static int errno() {
        return RUNTIME.getLastError();
    }
}
