package org.hoststated.core.posix;

import java.io.IOException;

import jnr.ffi.Memory;
import jnr.ffi.Pointer;

/**
 * Looks up the unprivileged user and drops to it, optionally inside a chroot. Used by hce and
 * relay at start-up (and by the parent for check scripts' user). jnr-posix lacks setgroups,
 * setres[ug]id and chroot (JAVA-NOTES §4).
 *
 * <p>Order for an engine: {@link #lookupUser} (needs /etc/passwd), {@link Preloader#preload()},
 * then {@link #dropTo}. glibc's setxid broadcast applies the uid and gid change to every thread
 * of the JVM, not only the caller.
 */
public final class Privileges {
    // struct passwd on LP64 Linux
    private static final int PW_UID = 16;
    private static final int PW_GID = 20;
    private static final int PW_DIR = 32;
    private static final int PASSWD_SIZE = 48;

    private Privileges() {
    }

    /**
     * The parts of a passwd entry the privilege drop needs. Resolved before chroot, because
     * /etc/passwd is not readable inside the chroot.
     */
    public record Passwd(String name, int uid, int gid, String home) {
    }

    /**
     * Looks up {@code name} through NSS (getpwnam_r).
     *
     * @return the entry, or null if there is no such user
     */
    public static Passwd lookupUser(String name) throws IOException {
        if (Native.RUNTIME.addressSize() != 8) {
            throw new UnsupportedOperationException("lookupUser supports 64-bit Linux only");
        }
        Pointer pwd = Memory.allocateDirect(Native.RUNTIME, PASSWD_SIZE, true);
        Pointer result = Memory.allocateDirect(Native.RUNTIME, 8, true);
        for (int bufSize = 4096; ; bufSize *= 2) {
            Pointer buf = Memory.allocateDirect(Native.RUNTIME, bufSize, true);
            int rc = Native.LIBC.getpwnam_r(name, pwd, buf, bufSize, result);
            if (rc == Native.ERANGE && bufSize < (1 << 20)) {
                continue;
            }
            if (rc != 0) {
                throw Errno.exception("getpwnam " + name, rc);
            }
            if (result.getPointer(0) == null) {
                return null;
            }
            Pointer dir = pwd.getPointer(PW_DIR);
            return new Passwd(name, pwd.getInt(PW_UID), pwd.getInt(PW_GID), dir == null ? "" : dir.getString(0));
        }
    }

    /**
     * chroot to {@code chrootDir} and chdir("/") (skipped when it is null), then set the groups to
     * just the user's gid, then real, effective and saved gid, then uid. Finally checks that
     * setuid(0) fails, so a half-done drop cannot go unnoticed.
     *
     * @throws IOException naming the call that failed and why; the caller must exit
     */
    public static void dropTo(Passwd user, String chrootDir) throws IOException {
        LibC libc = Native.LIBC;
        if (chrootDir != null) {
            if (libc.chroot(chrootDir) < 0) {
                throw Errno.lastException("chroot " + chrootDir);
            }
            if (libc.chdir("/") < 0) {
                throw Errno.lastException("chdir / in chroot " + chrootDir);
            }
        }
        if (libc.setgroups(1, new int[] {user.gid()}) < 0) {
            throw Errno.lastException("setgroups " + user.gid());
        }
        if (libc.setresgid(user.gid(), user.gid(), user.gid()) < 0) {
            throw Errno.lastException("setresgid " + user.gid());
        }
        if (libc.setresuid(user.uid(), user.uid(), user.uid()) < 0) {
            throw Errno.lastException("setresuid " + user.uid());
        }
        if (user.uid() != 0 && libc.setuid(0) == 0) {
            throw new IOException("can still setuid(0) after dropping to user " + user.name() + ": privileges not dropped");
        }
        if (libc.getuid() != user.uid() || libc.geteuid() != user.uid()
                || libc.getgid() != user.gid() || libc.getegid() != user.gid()) {
            throw new IOException("privilege drop to user " + user.name() + " incomplete: uid " + libc.getuid()
                    + " euid " + libc.geteuid() + " gid " + libc.getgid() + " egid " + libc.getegid());
        }
    }

    public static int getuid() {
        return Native.LIBC.getuid();
    }

    public static int geteuid() {
        return Native.LIBC.geteuid();
    }

    public static int getegid() {
        return Native.LIBC.getegid();
    }
}
