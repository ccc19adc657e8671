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
        return null;
    }
}
