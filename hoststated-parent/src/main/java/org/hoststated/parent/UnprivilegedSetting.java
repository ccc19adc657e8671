package org.hoststated.parent;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.hoststated.core.config.Globals;
import org.hoststated.core.posix.Privileges;

/**
 * Checks, before anything starts, the user and chroot directory the health check and relay
 * engines drop to. Each engine looks them up itself after it is started, and one that cannot
 * drop exits; the parent then restarts it, for ever, while the daemon serves nothing and
 * never reports ready. As relayd's "unknown user", a start that cannot work fails at once.
 */
final class UnprivilegedSetting {
    private UnprivilegedSetting() {
    }

    /** @return why the engines could not drop privileges, or null when they can */
    static String problem(Globals g) {
        try {
            if (Privileges.lookupUser(g.user()) == null) {
                return "unknown user " + g.user();
            }
        } catch (IOException e) {
            return "cannot look up user " + g.user() + ": " + e.getMessage();
        }
        if (g.chroot() != null && !Files.isDirectory(Path.of(g.chroot()))) {
            return "chroot directory " + g.chroot() + " does not exist or is not a directory";
        }
        return g.chroot() == null ? null : chrootProblem(Path.of(g.chroot()));
    }

    /**
     * The warning for a {@code user} that keeps what root has: root under another name (BSD's
     * {@code toor}), which the configuration's warning of "root" by name missed while the
     * engines kept every privilege (probe G of session 56); or a user whose group is root's,
     * as the engines' and the check scripts' group, which may use the control socket (root's,
     * mode 0660) and stop the daemon (probe AN). Null otherwise, or when there is no such user
     * (an error of its own at start).
     */
    static String rootWarning(Globals g) {
        try {
            return rootWarning(Privileges.lookupUser(g.user()));
        } catch (IOException e) {
            return null;
        }
    }

    static String rootWarning(Privileges.Passwd pw) {
        if (pw == null || pw.name().equals("root")) {
            return null;
        }
        if (pw.uid() == 0) {
            return "user " + pw.name() + " has uid 0: the engines run as root, without privilege separation";
        }
        return pw.gid() != 0 ? null : "user " + pw.name() + " has group 0 (root's): the engines and check scripts"
                + " run with it, which may use the control socket and stop the daemon";
    }

    /**
     * The chroot directory must be owned by root and writable by no one else, as sshd wants of
     * a ChrootDirectory: an engine taken over could otherwise plant files in its own root (or
     * another process of the user there), and a directory of mode 777 was taken silently
     * although hoststated.8 forbids it. Only the directory itself: the tests' and the benches'
     * chroots are in temporary directories, under a world-writable (sticky) /tmp.
     */
    private static String chrootProblem(Path chroot) {
        try {
            if (chroot.toRealPath().getParent() == null) {
                // Taken without a word before (probe G of session 56).
                return "chroot directory " + chroot + " is the system's root: the engines would not be confined";
            }
            return Privileges.jailProblem(chroot, chroot.toString());
        } catch (IOException | UnsupportedOperationException e) {
            return "cannot check chroot directory " + chroot + ": " + e.getMessage();
        }
    }
}
