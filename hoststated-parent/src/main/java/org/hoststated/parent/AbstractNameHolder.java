package org.hoststated.parent;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * The process that holds a name of the abstract AF_UNIX namespace of this network namespace:
 * its socket's inode from {@code /proc/net/unix}, then the process with a descriptor on that
 * socket. Read as root (the parent), which may look at every process's descriptors.
 *
 * @param pid the process, or -1 when the name is held but no process was found with it
 * @param uid its real user id, or -1 when unknown
 * @param command its command name ({@code /proc/PID/comm}), or "?"
 */
record AbstractNameHolder(long pid, int uid, String command) {
    /** The holder of {@code @name}, or empty when nobody holds it or {@code /proc} cannot tell. */
    static Optional<AbstractNameHolder> of(String name) {
        try {
            long inode = inode(Files.readAllLines(Path.of("/proc/net/unix")), name);
            if (inode < 0) {
                return Optional.empty();
            }
            String socket = "socket:[" + inode + "]";
            try (DirectoryStream<Path> procs = Files.newDirectoryStream(Path.of("/proc"), "[0-9]*")) {
                for (Path p : procs) {
                    if (holds(p, socket)) {
                        long pid = Long.parseLong(p.getFileName().toString());
                        return Optional.of(new AbstractNameHolder(pid, uid(p), command(p)));
                    }
                }
            }
            return Optional.of(new AbstractNameHolder(-1, -1, "?"));
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }

    /**
     * The inode of the socket bound to {@code @name} in a {@code /proc/net/unix} listing, or -1.
     * A line is {@code Num RefCount Protocol Flags Type St Inode Path}; the path may hold spaces.
     */
    static long inode(List<String> unixLines, String name) {
        String path = "@" + name;
        for (String line : unixLines) {
            String[] f = line.trim().split("\\s+", 8);
            if (f.length == 8 && f[7].equals(path)) {
                try {
                    return Long.parseLong(f[6]);
                } catch (NumberFormatException e) {
                    return -1;
                }
            }
        }
        return -1;
    }

    private static boolean holds(Path proc, String socket) {
        try (DirectoryStream<Path> fds = Files.newDirectoryStream(proc.resolve("fd"))) {
            for (Path fd : fds) {
                try {
                    if (socket.equals(Files.readSymbolicLink(fd).toString())) {
                        return true;
                    }
                } catch (IOException e) {
                    // closed meanwhile
                }
            }
        } catch (IOException e) {
            // ended meanwhile
        }
        return false;
    }

    /** The real uid on the {@code Uid:} line of a status file, or -1. */
    static int uidIn(List<String> statusLines) {
        for (String line : statusLines) {
            if (line.startsWith("Uid:")) {
                String[] f = line.substring(4).trim().split("\\s+");
                try {
                    return Integer.parseInt(f[0]);
                } catch (NumberFormatException e) {
                    return -1;
                }
            }
        }
        return -1;
    }

    private static int uid(Path proc) {
        try {
            return uidIn(Files.readAllLines(proc.resolve("status")));
        } catch (IOException e) {
            return -1;
        }
    }

    private static String command(Path proc) {
        try {
            return Files.readString(proc.resolve("comm")).strip();
        } catch (IOException e) {
            return "?";
        }
    }

    /** For a log line: {@code pid 123 (python3, uid 1000)}. */
    String describe() {
        return pid < 0 ? "a process not found in /proc" : "pid " + pid + " (" + command + ", uid " + uid + ")";
    }
}
