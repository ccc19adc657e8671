package org.hoststated.core.posix;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Raw file descriptor helpers: list, close, copy, close-on-exec, and plain read/write. Used by the
 * parent (opening /dev/null for daemonized children), by the engines for their inherited fds
 * before they wrap them in channels, and by tests that check which descriptors a child inherited.
 */
public final class Fds {
    private static final Path PROC_FD = Path.of("/proc/self/fd");

    private Fds() {
    }

    /**
     * The descriptors open in this process, ascending, read from /proc/self/fd. The descriptor
     * of the directory listing itself is left out: entries are re-checked after the listing is
     * closed. Fails inside a chroot without /proc.
     */
    public static List<Integer> openFds() throws IOException {
        List<Integer> listed = new ArrayList<>();
        try (DirectoryStream<Path> dir = Files.newDirectoryStream(PROC_FD)) {
            for (Path entry : dir) {
                listed.add(Integer.parseInt(entry.getFileName().toString()));
            }
        }
        List<Integer> open = new ArrayList<>();
        for (int fd : listed) {
            if (Files.exists(PROC_FD.resolve(Integer.toString(fd)), LinkOption.NOFOLLOW_LINKS)) {
                open.add(fd);
            }
        }
        open.sort(null);
        return open;
    }

    /** What {@code fd} refers to, e.g. "socket:[1234]" or "/dev/null" (readlink of /proc/self/fd/N). */
    public static String describe(int fd) throws IOException {
        return Files.readSymbolicLink(PROC_FD.resolve(Integer.toString(fd))).toString();
    }

    /**
     * Closes {@code fd}. EINTR is not retried: on Linux the descriptor is released even then, and
     * a retry could close a descriptor another thread just opened.
     */
    public static void closeFd(int fd) throws IOException {
        if (Native.LIBC.close(fd) < 0 && Native.errno() != Native.EINTR) {
            throw Errno.lastException("close fd " + fd);
        }
    }

    /**
     * Closes {@code fd} on a clean-up path, where the caller has no better answer to a failure
     * than an unchecked exception: the only error left after EINTR is EBADF, a bug.
     */
    public static void close(int fd) {
        try {
            closeFd(fd);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static final int SHUT_RD = 0;
    private static final int MSG_DONTWAIT = 0x40;

    /**
     * Reads and drops the datagrams waiting on {@code fd}, at most {@code max}, without
     * blocking; returns how many it dropped.
     */
    public static int dropWaitingDatagrams(int fd, int max) {
        byte[] buf = new byte[65536];
        int n = 0;
        while (n < max && Native.LIBC.recv(fd, buf, buf.length, MSG_DONTWAIT) >= 0) {
            n++;
        }
        return n;
    }

    /**
     * shutdown(2) of {@code fd}'s reading side, each time it is called: Netty's {@code Socket}
     * keeps its own record of a shutdown and skips a second one, but a listening socket that
     * listen(2) took up again must be shut again.
     */
    public static void shutdownReading(int fd) throws IOException {
        if (Native.LIBC.shutdown(fd, SHUT_RD) < 0) {
            throw Errno.lastException("shutdown fd " + fd);
        }
    }

    /** Opens {@code path} read-only and close-on-exec. */
    public static int openReadOnly(String path) throws IOException {
        return open(path, Native.O_RDONLY);
    }

    /** Opens /dev/null read-write and close-on-exec, for a daemonized child's fds 0, 1 and 2. */
    public static int openDevNull() throws IOException {
        return open("/dev/null", Native.O_RDWR);
    }

    /**
     * Opens the file {@code path} names, not where a link there leads (a link is opened as
     * itself), for its {@code /proc/self/fd} entry: what is done through that entry is done to
     * the file opened, whatever is renamed over {@code path} meanwhile. Close-on-exec.
     */
    public static int openPathNoFollow(String path) throws IOException {
        return open(path, Native.O_PATH | Native.O_NOFOLLOW);
    }

    private static int open(String path, int flags) throws IOException {
        int fd = Native.LIBC.open(path, flags | Native.O_CLOEXEC, 0);
        if (fd < 0) {
            throw Errno.lastException("open " + path);
        }
        return fd;
    }

    /**
     * How many descriptors this process has open, counted in {@code /proc/self/fd} (readable
     * before a chroot only; the listing's own descriptor counted too): -1 when it cannot be read.
     * Cheaper than {@link #openFds} for thousands.
     */
    public static long openCount() {
        try (java.util.stream.Stream<Path> fds = Files.list(PROC_FD)) {
            return fds.count();
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    /**
     * This process's soft limit of open files, from {@code /proc/self/limits} (readable before
     * a chroot only): {@link Long#MAX_VALUE} when unlimited, -1 when it cannot be read.
     */
    public static long openFileLimit() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/limits"))) {
                if (line.startsWith("Max open files")) {
                    String soft = line.substring("Max open files".length()).trim().split("\\s+")[0];
                    return soft.equals("unlimited") ? Long.MAX_VALUE : Long.parseLong(soft);
                }
            }
        } catch (IOException | RuntimeException e) {
            // Unknown: the caller says so.
        }
        return -1;
    }

    /** A copy of {@code fd}, close-on-exec (F_DUPFD_CLOEXEC). */
    public static int dup(int fd) throws IOException {
        int copy = Native.LIBC.fcntl(fd, Native.F_DUPFD_CLOEXEC, 0);
        if (copy < 0) {
            throw Errno.lastException("fcntl F_DUPFD_CLOEXEC fd " + fd);
        }
        return copy;
    }

    /** Whether {@code fd} has FD_CLOEXEC set. */
    public static boolean isCloexec(int fd) throws IOException {
        int flags = Native.LIBC.fcntl(fd, Native.F_GETFD, 0);
        if (flags < 0) {
            throw Errno.lastException("fcntl F_GETFD fd " + fd);
        }
        return (flags & Native.FD_CLOEXEC) != 0;
    }

    /** Sets or clears FD_CLOEXEC on {@code fd}. */
    public static void setCloexec(int fd, boolean on) throws IOException {
        int flags = Native.LIBC.fcntl(fd, Native.F_GETFD, 0);
        if (flags < 0) {
            throw Errno.lastException("fcntl F_GETFD fd " + fd);
        }
        int wanted = on ? flags | Native.FD_CLOEXEC : flags & ~Native.FD_CLOEXEC;
        if (Native.LIBC.fcntl(fd, Native.F_SETFD, wanted) < 0) {
            throw Errno.lastException("fcntl F_SETFD fd " + fd);
        }
    }

    /**
     * Reads up to {@code buf.length} bytes, retrying on EINTR.
     *
     * @return the number of bytes read, 0 at end of file
     */
    public static int read(int fd, byte[] buf) throws IOException {
        while (true) {
            long n = Native.LIBC.read(fd, buf, buf.length);
            if (n >= 0) {
                return (int) n;
            }
            if (Native.errno() != Native.EINTR) {
                throw Errno.lastException("read fd " + fd);
            }
        }
    }

    /** Writes all of {@code data}, retrying on EINTR and short writes. */
    public static void writeFully(int fd, byte[] data) throws IOException {
        byte[] rest = data;
        while (rest.length > 0) {
            long n = Native.LIBC.write(fd, rest, rest.length);
            if (n < 0) {
                if (Native.errno() == Native.EINTR) {
                    continue;
                }
                throw Errno.lastException("write fd " + fd);
            }
            rest = Arrays.copyOfRange(rest, (int) n, rest.length);
        }
    }

    /**
     * Sets the mode of {@code fd}'s file. On an unbound Unix socket it is the mode, less the
     * umask, that the socket's file gets when it is bound.
     */
    public static void chmod(int fd, int mode) throws IOException {
        if (Native.LIBC.fchmod(fd, mode) < 0) {
            throw Errno.lastException("fchmod");
        }
    }
}
