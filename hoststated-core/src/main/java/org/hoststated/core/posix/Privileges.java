package org.hoststated.core.posix;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;

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

    private static final int PR_SET_KEEPCAPS = 8;
    private static final int PR_CAPBSET_DROP = 24;
    private static final int PR_SET_NO_NEW_PRIVS = 38;
    private static final int PR_CAP_AMBIENT = 47;
    private static final int PR_CAP_AMBIENT_RAISE = 2;
    /** {@code _LINUX_CAPABILITY_VERSION_3}: two 32-bit words per set. */
    private static final int CAPABILITY_VERSION_3 = 0x20080522;
    /** CAP_NET_ADMIN: nftables' and conntrack's netlink messages. */
    public static final int CAP_NET_ADMIN = 12;
    /** Capabilities a kernel may know of (cap_last_cap is 40 in Linux 6.x); dropping one it does not know is EINVAL. */
    private static final int MAX_CAPS = 64;

    /**
     * Empties the capability bounding set (while still root, which may), chroots to {@code
     * chrootDir} and chdir("/") (skipped when it is null), then sets the groups to just the
     * user's gid, then real, effective and saved gid, then uid, and last sets no_new_privs.
     * Finally checks that setuid(0) fails, so a half-done drop cannot go unnoticed. With the
     * bounding set empty and no_new_privs, nothing the engine could exec (a setuid or
     * file-capability program) gives privileges back (probe F: the engines kept the full
     * bounding set). Both are the calling thread's, inherited by the threads it starts after
     * (the engine's loops, which handle what peers send); the JVM's threads started before keep
     * the bounding set, and have no_new_privs only when the engine was started with it
     * ({@code EngineProcess}).
     *
     * @throws IOException naming the call that failed and why; the caller must exit
     */
    public static void dropTo(Passwd user, String chrootDir) throws IOException {
        dropTo(user, chrootDir, -1);
    }

    /**
     * As {@link #dropTo(Passwd, String)}, keeping capability {@code keptCap} (none when -1):
     * in the bounding set, and permitted, effective, inheritable and ambient on the calling
     * thread, so the threads it starts and the programs they run ({@code nft}) have it, and
     * nothing else of root's. pfe writes the kernel's NAT rules so, as the unprivileged user
     * (it ran as full root, probe G of session 56). The JVM's threads started before lose every
     * capability with the uid change.
     */
    public static void dropTo(Passwd user, String chrootDir, int keptCap) throws IOException {
        LibC libc = Native.LIBC;
        for (int cap = 0; cap < MAX_CAPS; cap++) {
            if (cap != keptCap && libc.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 && Errno.last() != Native.EINVAL) {
                throw Errno.lastException("prctl PR_CAPBSET_DROP " + cap);
            }
        }
        if (keptCap >= 0 && libc.prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0) {
            throw Errno.lastException("prctl PR_SET_KEEPCAPS");
        }
        if (chrootDir != null) {
            Object systemRoot = fileKey("/");
            if (libc.chroot(chrootDir) < 0) {
                throw Errno.lastException("chroot " + chrootDir);
            }
            if (libc.chdir("/") < 0) {
                throw Errno.lastException("chdir / in chroot " + chrootDir);
            }
            checkJail(chrootDir, systemRoot);
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
        if (keptCap >= 0) {
            keepOnly(keptCap);
        }
        noNewPrivs();
        if (user.uid() != 0 && libc.setuid(0) == 0) {
            throw new IOException("can still setuid(0) after dropping to user " + user.name() + ": privileges not dropped");
        }
        if (libc.getuid() != user.uid() || libc.geteuid() != user.uid()
                || libc.getgid() != user.gid() || libc.getegid() != user.gid()) {
            throw new IOException("privilege drop to user " + user.name() + " incomplete: uid " + libc.getuid()
                    + " euid " + libc.geteuid() + " gid " + libc.getgid() + " egid " + libc.getegid());
        }
    }

    /**
     * After the uid change under PR_SET_KEEPCAPS: {@code cap} alone permitted, effective and
     * inheritable, then raised into the ambient set, which a program run without file
     * capabilities keeps over its exec (no_new_privs does not touch it).
     */
    private static void keepOnly(int cap) throws IOException {
        LibC libc = Native.LIBC;
        Pointer header = Memory.allocateDirect(Native.RUNTIME, 8, true);
        header.putInt(0, CAPABILITY_VERSION_3);
        header.putInt(4, 0);
        Pointer data = Memory.allocateDirect(Native.RUNTIME, 24, true);
        int word = cap / 32 * 12;
        int bit = 1 << (cap % 32);
        data.putInt(word, bit);       // effective
        data.putInt(word + 4, bit);   // permitted
        data.putInt(word + 8, bit);   // inheritable
        if (libc.capset(header, data) < 0) {
            throw Errno.lastException("capset " + cap);
        }
        if (libc.prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0) < 0) {
            throw Errno.lastException("prctl PR_CAP_AMBIENT_RAISE " + cap);
        }
        if (libc.prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0) {
            throw Errno.lastException("prctl PR_SET_KEEPCAPS 0");
        }
        Pointer now = Memory.allocateDirect(Native.RUNTIME, 24, true);
        if (libc.capget(header, now) < 0) {
            throw Errno.lastException("capget");
        }
        for (int i = 0; i < 24; i += 4) {
            int want = i / 12 == cap / 32 ? bit : 0;
            if (now.getInt(i) != want) {
                throw new IOException("capabilities after the drop are not " + cap + " alone (word " + i / 4 + ": "
                        + Integer.toHexString(now.getInt(i)) + ")");
            }
        }
    }

    /**
     * Checks the root the engine is in now, as the parent checked the chroot directory at its
     * start only: a user who may write a directory above it swapped it for a link to the
     * system's root while the daemon ran, and the next engine started (after a crash, a kill)
     * ran unconfined without a word (probe G of session 56). It must not be the system's root
     * and must be root's and writable by root only.
     */
    private static void checkJail(String chrootDir, Object systemRoot) throws IOException {
        if (systemRoot != null && systemRoot.equals(fileKey("/"))) {
            throw new IOException("chroot " + chrootDir + " is the system's root: the engine would not be confined");
        }
        String problem = jailProblem(Path.of("/"), chrootDir);
        if (problem != null) {
            throw new IOException(problem);
        }
    }

    /**
     * Why {@code dir}, the chroot directory named {@code named}, is no jail, or null: it must be
     * owned by root and writable by no one else, as sshd wants of a ChrootDirectory. The
     * parent asks at its start, each engine again from inside.
     */
    public static String jailProblem(Path dir, String named) throws IOException {
        int uid = (Integer) Files.getAttribute(dir, "unix:uid");
        int mode = (Integer) Files.getAttribute(dir, "unix:mode") & 07777;
        if (uid == 0 && (mode & 022) == 0) {
            return null;
        }
        return "chroot directory " + named + " must be owned by root and writable by root only (owner "
                + Files.getOwner(dir).getName() + ", mode " + Integer.toOctalString(mode) + ")";
    }

    /** The identity of the file at {@code path} (device and inode), or null where it cannot be had. */
    private static Object fileKey(String path) throws IOException {
        return Files.readAttributes(Path.of(path), BasicFileAttributes.class).fileKey();
    }

    /**
     * Sets no_new_privs on the calling thread, and so on every process it starts from now on
     * (and their threads): no exec of a setuid or file-capability program gives privileges.
     * Irreversible. A thread's own, as are the capabilities: threads started before keep theirs.
     */
    public static void noNewPrivs() throws IOException {
        if (Native.LIBC.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
            throw Errno.lastException("prctl PR_SET_NO_NEW_PRIVS");
        }
    }

    public static int getuid() {
        return Native.LIBC.getuid();
    }

    public static int geteuid() {
        return Native.LIBC.geteuid();
    }
}
