package org.hoststated.parent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.hoststated.core.config.Globals;
import org.hoststated.core.posix.Privileges;
import org.junit.jupiter.api.Assumptions;
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

    /**
     * hoststated.8 says the chroot directory must not be writable by the unprivileged user; a
     * directory of mode 777 was taken silently. As sshd's ChrootDirectory: owned by root and
     * writable by no one else, or the start fails with the reason.
     */
    @Test
    void aChrootWritableByOthersThanRootIsRefused() throws Exception {
        Assumptions.assumeTrue("root".equals(System.getProperty("user.name")), "needs root to give a directory away");
        Path open = Files.createDirectory(dir.resolve("open"));
        Files.setPosixFilePermissions(open, PosixFilePermissions.fromString("rwxrwxrwx"));
        assertEquals("chroot directory " + open + " must be owned by root and writable by root only"
                + " (owner root, mode 777)", UnprivilegedSetting.problem(with("nobody", open.toString())));
        Path group = Files.createDirectory(dir.resolve("group"));
        Files.setPosixFilePermissions(group, PosixFilePermissions.fromString("rwxrwxr-x"));
        assertEquals("chroot directory " + group + " must be owned by root and writable by root only"
                + " (owner root, mode 775)", UnprivilegedSetting.problem(with("nobody", group.toString())));
        Path theirs = Files.createDirectory(dir.resolve("theirs"));
        Files.setPosixFilePermissions(theirs, PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.setOwner(theirs, theirs.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName("nobody"));
        assertEquals("chroot directory " + theirs + " must be owned by root and writable by root only"
                + " (owner nobody, mode 755)", UnprivilegedSetting.problem(with("nobody", theirs.toString())));
        Path fine = Files.createDirectory(dir.resolve("fine"));
        Files.setPosixFilePermissions(fine, PosixFilePermissions.fromString("r-xr-xr-x"));
        assertNull(UnprivilegedSetting.problem(with("nobody", fine.toString())));
    }

    /**
     * Root under another name is warned of as "root" is (probe G): it passed silently; so is a
     * user in root's group (probe AN).
     */
    @Test
    void rootUnderAnotherNameIsWarnedOf() {
        assertEquals("user toor has uid 0: the engines run as root, without privilege separation",
                UnprivilegedSetting.rootWarning(new Privileges.Passwd("toor", 0, 0, "/root")));
        assertNull(UnprivilegedSetting.rootWarning(new Privileges.Passwd("root", 0, 0, "/root")),
                "the configuration warns of root itself");
        assertNull(UnprivilegedSetting.rootWarning(new Privileges.Passwd("_hoststated", 999, 995, "/")));
        assertNull(UnprivilegedSetting.rootWarning((Privileges.Passwd) null));
        assertEquals("user wheelish has group 0 (root's): the engines and check scripts run with it, which may use the"
                + " control socket and stop the daemon",
                UnprivilegedSetting.rootWarning(new Privileges.Passwd("wheelish", 998, 0, "/")), "probe AN");
    }

    /** The system's root confines nothing: refused (probe G of session 56: taken silently). */
    @Test
    void theSystemsRootIsNoChroot() {
        assertEquals("chroot directory / is the system's root: the engines would not be confined",
                UnprivilegedSetting.problem(with("nobody", "/")));
    }
}
