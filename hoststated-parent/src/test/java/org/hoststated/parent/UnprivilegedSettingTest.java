package org.hoststated.parent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.nio.file.Files;
import java.nio.file.Path;
import org.hoststated.core.config.Globals;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A user or chroot directory the engines cannot drop to fails the start at once, instead of
 * engines that exit at start-up and are restarted for ever.
 */
class UnprivilegedSettingTest {
    @TempDir
    Path dir;

    private static Globals with(String user, String chroot) {
        Globals d = Globals.defaults();
        return new Globals(d.intervalSec(), d.timeoutMs(), d.log(), d.prefork(), d.demote(), user, chroot,
                d.socket(), d.l3Backend(), d.l3KeepRules());
    }

    @Test
    void anExistingUserAndDirectoryAreFine() {
        assertNull(UnprivilegedSetting.problem(with("root", dir.toString())));
    }

    @Test
    void anUnknownUserIsRefused() {
        assertEquals("unknown user no-such-user-hs", UnprivilegedSetting.problem(with("no-such-user-hs", dir.toString())));
    }

    @Test
    void aMissingOrNonDirectoryChrootIsRefused() throws Exception {
        Path missing = dir.resolve("missing");
        assertEquals("chroot directory " + missing + " does not exist or is not a directory",
                UnprivilegedSetting.problem(with("root", missing.toString())));
        Path file = Files.writeString(dir.resolve("file"), "");
        assertEquals("chroot directory " + file + " does not exist or is not a directory",
                UnprivilegedSetting.problem(with("root", file.toString())));
    }
}
