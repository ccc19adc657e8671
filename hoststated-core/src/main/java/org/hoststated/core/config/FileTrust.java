package org.hoststated.core.config;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import org.hoststated.core.posix.Privileges;

/**
 * Whether a configuration file may be acted on: the parent runs as root and does what the file
 * says (listeners, NAT rules, users, chroots, scripts), so no one but root (or the user running
 * the program) may be able to change it. As sshd's StrictModes: the file and every directory
 * above it, both as named and as the links lead, are owned by root or that user; the file is
 * writable by no other user, nor by a group other than root's (or that user's); a directory
 * is too, unless it is sticky ({@code /tmp}), where no one may rename or remove another's
 * file. Only "writable by every user" was refused before: a file owned by {@code nobody}, one
 * writable by the {@code _hoststated} group, and one in a directory anyone may write were all
 * taken (probe F). Stateless.
 */
final class FileTrust {
    private static final int GROUP_WRITE = 0020;
    private static final int OTHERS_WRITE = 0002;
    private static final int STICKY = 01000;
    private static final String WHY = ": the parent runs as root and acts on it";

    private FileTrust() {
    }

    /** Why {@code file} (a regular file) must not be acted on, or null. */
    static String problem(Path file) throws IOException {
        Trust t = new Trust(Privileges.geteuid(), Privileges.getegid());
        String p = t.file(file);
        if (p == null) {
            p = t.directories(file.toAbsolutePath().normalize().getParent());
        }
        if (p == null) {
            p = t.directories(file.toRealPath().getParent());
        }
        return p;
    }

    /** The user and group that may own and write what the program reads, besides root. */
    private record Trust(int uid, int gid) {
        String file(Path f) throws IOException {
            Attributes a = Attributes.of(f, true);
            if (a == null) {
                return null;
            }
            if (!owned(a)) {
                return "it is owned by uid " + a.uid + ", not by root" + WHY;
            }
            if ((a.mode & OTHERS_WRITE) != 0) {
                return "it is writable by every user (chmod o-w)" + WHY;
            }
            if ((a.mode & GROUP_WRITE) != 0 && !trustedGroup(a.gid)) {
                return "it is writable by its group, gid " + a.gid + " (chmod g-w)" + WHY;
            }
            return null;
        }

        /** The first of {@code dir} and the directories above it that others may change, or null. */
        String directories(Path dir) throws IOException {
            for (Path d = dir; d != null; d = d.getParent()) {
                if (Files.isSymbolicLink(d)) {
                    // A link's own mode means nothing, and only who may write its directory can
                    // replace it; where it leads is checked as the real path.
                    continue;
                }
                Attributes a = Attributes.of(d, false);
                if (a == null) {
                    continue;
                }
                if (!owned(a)) {
                    return "directory " + d + " is owned by uid " + a.uid + ", not by root: its owner may replace "
                            + "the file" + WHY;
                }
                boolean othersWrite = (a.mode & OTHERS_WRITE) != 0
                        || (a.mode & GROUP_WRITE) != 0 && !trustedGroup(a.gid);
                if (othersWrite && (a.mode & STICKY) == 0) {
                    return "directory " + d + " is writable by other users (chmod go-w): they may replace the file"
                            + WHY;
                }
            }
            return null;
        }

        private boolean owned(Attributes a) {
            return a.uid == 0 || a.uid == uid;
        }

        private boolean trustedGroup(int g) {
            return g == 0 || g == gid;
        }
    }

    /** Owner, group and mode (with the sticky bit) of a path; null where the system has no Unix attributes. */
    private record Attributes(int uid, int gid, int mode) {
        static Attributes of(Path p, boolean followLinks) throws IOException {
            LinkOption[] how = followLinks ? new LinkOption[0] : new LinkOption[] {LinkOption.NOFOLLOW_LINKS};
            try {
                return new Attributes((Integer) Files.getAttribute(p, "unix:uid", how),
                        (Integer) Files.getAttribute(p, "unix:gid", how),
                        (Integer) Files.getAttribute(p, "unix:mode", how));
            } catch (UnsupportedOperationException | IllegalArgumentException e) {
                return null;
            }
        }
    }
}
