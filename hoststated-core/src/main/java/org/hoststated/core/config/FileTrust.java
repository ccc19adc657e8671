package org.hoststated.core.config;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;

/**
 * Whether a configuration file may be acted on: the parent runs as root and does what the file
 * says (listeners, NAT rules, users, chroots, scripts), so not every user may be able to change
 * it. The file must not be writable by every user, nor may any directory above it, both as
 * named and as the links lead, unless that directory is sticky ({@code /tmp}), where no one may
 * rename or remove another's file: only the file's own mode was looked at, and one in a
 * directory anyone may write was taken (probe F). In a sticky one, what the path goes through
 * (the file, a directory, a link) must be root's or the directory owner's.
 *
 * <p>Elsewhere, who owns the file, and its group's write permission, are left alone, unlike sshd's
 * StrictModes: a clone of the repository is its user's, run with {@code sudo demo/run}, and
 * Debian and Ubuntu give each user a group of their own and a umask of 002, so their files and
 * directories are group-writable as a rule. Stateless.
 */
public final class FileTrust {
    private static final int OTHERS_WRITE = 0002;
    private static final int STICKY = 01000;
    private static final String WHY = ": the parent runs as root and acts on it";

    private FileTrust() {
    }

    /** Why {@code file} (a regular file) must not be acted on, or null. */
    static String problem(Path file) throws IOException {
        String why = untrusted(file);
        return why == null ? null : why + WHY;
    }

    /**
     * How someone other than root and the file's directories' owners may have made or may
     * change {@code file}, or null: the file or a directory above it writable by every user, or
     * an entry of its path another user made in a sticky directory. For the configuration and
     * the check scripts, which the parent runs.
     */
    public static String untrusted(Path file) throws IOException {
        if (writableByEveryUser(file)) {
            return "it is writable by every user (chmod o-w)";
        }
        Path d = writableDirectoryAbove(file);
        if (d != null) {
            return "directory " + d + " is writable by every user (chmod o-w, or +t): anyone may replace the file";
        }
        // As written, not normalized: the kernel follows "link/.." through the link, where the
        // text loses it (probe AQ: "/tmp/their-link/../x" ran their script).
        String stranger = strangerInStickyDirectory(file.toAbsolutePath());
        return stranger != null ? stranger : strangerInStickyDirectory(file.toRealPath());
    }

    /**
     * Why an entry of {@code path} (a file's path as written, or its real one) in a
     * directory every user may write with the sticky bit (/tmp) cannot be told from one another
     * user made there first, or null: there each must be root's, or the directory owner's, as
     * sshd's StrictModes and the kernel's protected_symlinks have it. Such a file, made by
     * another user before the operator's, was read as the configuration (probe G of session
     * 56), and so was one reached through their link or their directory there (probe AN).
     */
    private static String strangerInStickyDirectory(Path path) throws IOException {
        Path dir = path.getRoot();
        for (Path name : path) {
            Path entry = dir.resolve(name);
            if (name.toString().equals(".") || name.toString().equals("..")) {
                dir = entry; // the entry before it was looked at; the kernel goes on from there
                continue;
            }
            Integer mode = mode(dir, true);
            if (mode != null && (mode & OTHERS_WRITE) != 0 && (mode & STICKY) != 0) {
                int owner = (Integer) Files.getAttribute(entry, "unix:uid", LinkOption.NOFOLLOW_LINKS);
                if (owner != 0 && owner != (Integer) Files.getAttribute(dir, "unix:uid")) {
                    String what = Files.isSymbolicLink(entry) ? "link " + entry
                            : entry.equals(path) && !Files.isDirectory(entry) ? "it" : "directory " + entry;
                    return what + " is in " + dir.toRealPath() + ", where every user may make files, and is "
                            + Files.getOwner(entry, LinkOption.NOFOLLOW_LINKS).getName()
                            + "'s, not root's: another user may have made it";
                }
            }
            dir = entry;
        }
        return null;
    }

    /** Whether every user may write {@code file} (where links lead); false where the system cannot say. */
    public static boolean writableByEveryUser(Path file) throws IOException {
        Integer mode = mode(file, true);
        return mode != null && (mode & OTHERS_WRITE) != 0;
    }

    /**
     * The first directory above {@code file}, as written and where links lead, that every user
     * may change without the sticky bit (anyone may replace {@code file} there), or null.
     */
    public static Path writableDirectoryAbove(Path file) throws IOException {
        Path d = writableDirectory(file.toAbsolutePath().getParent());
        return d != null ? d : writableDirectory(file.toRealPath().getParent());
    }

    private static Path writableDirectory(Path dir) throws IOException {
        for (Path d = dir; d != null; d = d.getParent()) {
            if (Files.isSymbolicLink(d)) {
                // A link's own mode means nothing, and only who may write its directory can
                // replace it; where it leads is checked as the real path.
                continue;
            }
            Integer mode = mode(d, false);
            if (mode != null && (mode & OTHERS_WRITE) != 0 && (mode & STICKY) == 0) {
                return d;
            }
        }
        return null;
    }

    /** The mode of {@code p}, with the sticky bit; null where the system has no Unix attributes. */
    private static Integer mode(Path p, boolean followLinks) throws IOException {
        LinkOption[] how = followLinks ? new LinkOption[0] : new LinkOption[] {LinkOption.NOFOLLOW_LINKS};
        try {
            return (Integer) Files.getAttribute(p, "unix:mode", how);
        } catch (UnsupportedOperationException | IllegalArgumentException e) {
            return null;
        }
    }
}
