package org.hoststated.core.posix;

import jnr.ffi.Pointer;
import jnr.ffi.annotations.In;
import jnr.ffi.annotations.Out;
import jnr.ffi.annotations.SaveError;
import jnr.ffi.types.size_t;
import jnr.ffi.types.ssize_t;

/**
 * The libc calls hoststated needs, bound with jnr-ffi. Used by every process that loads native
 * code (parent, pfe, hce, relay; not hoststatectl).
 *
 * <p>Deliberately small and our own instead of jnr-posix: {@code POSIXFactory} binds hundreds of
 * functions and costs about 400 ms at start-up (JAVA-NOTES §5), lacks setgroups, setres[ug]id,
 * chroot and closefrom, and discards posix_spawn's error code. Only the classes of this package
 * call it; each wraps one job and turns a failure into an exception carrying strerror.
 *
 * <p>Functions that report failure through errno are {@link SaveError}; the posix_spawn family
 * returns the error number instead.
 *
 * <p>Public only because jnr-ffi defines the implementing class in its own class loader, which
 * cannot implement a package-private interface (IllegalAccessError); not for use outside this
 * package.
 */
public interface LibC {
    // sockets and descriptors
    @SaveError int socketpair(int domain, int type, int protocol, @Out int[] sv);
    @SaveError int socket(int domain, int type, int protocol);
    @SaveError int connect(int fd, @In byte[] addr, int addrLen);
    @SaveError int bind(int fd, @In byte[] addr, int addrLen);
    @SaveError int setsockopt(int fd, int level, int name, @In int[] value, int valueLen);
    @SaveError int setsockopt(int fd, int level, int name, @In byte[] value, int valueLen);
    @SaveError int shutdown(int fd, int how);
    @SaveError @ssize_t long send(int fd, @In byte[] buf, @size_t long len, int flags);
    @SaveError @ssize_t long recv(int fd, @Out byte[] buf, @size_t long len, int flags);
    @SaveError @ssize_t long sendmsg(int fd, Pointer msg, int flags);
    @SaveError @ssize_t long recvmsg(int fd, Pointer msg, int flags);
    @SaveError @ssize_t long read(int fd, @Out byte[] buf, @size_t long len);
    @SaveError @ssize_t long write(int fd, @In byte[] buf, @size_t long len);
    @SaveError int open(String path, int flags, int mode);
    @SaveError int close(int fd);
    @SaveError int fchmod(int fd, int mode);
    @SaveError int fcntl(int fd, int cmd, int arg);

    // processes
    @SaveError int waitpid(int pid, @Out int[] status, int options);
    @SaveError int kill(int pid, int sig);
    /** {@code signal(2)}; only to put back the default ({@code handler} 0, SIG_DFL). */
    long signal(int sig, long handler);
    int posix_spawn_file_actions_init(Pointer actions);
    int posix_spawn_file_actions_destroy(Pointer actions);
    int posix_spawn_file_actions_adddup2(Pointer actions, int fd, int newFd);
    int posix_spawn_file_actions_addclosefrom_np(Pointer actions, int from);
    int posix_spawnattr_init(Pointer attr);
    int posix_spawnattr_destroy(Pointer attr);
    int posix_spawnattr_setflags(Pointer attr, short flags);
    int posix_spawnattr_setsigmask(Pointer attr, Pointer sigmask);
    int sigemptyset(Pointer set);
    int posix_spawnp(@Out int[] pid, String file, Pointer actions, Pointer attr, Pointer argv, Pointer envp);

    // users and privileges
    int getpwnam_r(String name, Pointer pwd, Pointer buf, @size_t long bufLen, Pointer result);
    @SaveError int chroot(String path);
    @SaveError int chdir(String path);
    @SaveError int setgroups(@size_t long size, @In int[] groups);
    @SaveError int setresgid(int rgid, int egid, int sgid);
    @SaveError int setresuid(int ruid, int euid, int suid);
    @SaveError int setuid(int uid);
    @SaveError int prctl(int option, long arg2, long arg3, long arg4, long arg5);
    @SaveError int capset(Pointer header, Pointer data);
    @SaveError int capget(Pointer header, Pointer data);
    /** {@code syscall(2)} with three arguments, for {@code seccomp(2)}, which glibc may not wrap. */
    @SaveError long syscall(long number, long arg1, long arg2, Pointer arg3);
    int getuid();
    int geteuid();
    int getgid();
    int getegid();

    String strerror(int errnum);
}
