package org.hoststated.core.posix;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.stream.Stream;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PrivilegesTest {

    @Test
    void lookupUser() throws Exception {
        Privileges.Passwd root = Privileges.lookupUser("root");
        assertNotNull(root);
        assertEquals(0, root.uid());
        assertEquals(0, root.gid());
        assertEquals("/root", root.home());
        assertNull(Privileges.lookupUser("no-such-user-hoststated"));
    }

    @Test
    void childDropsToNobodyInsideChroot(@TempDir Path tmp) throws Exception {
        Assumptions.assumeTrue(Privileges.geteuid() == 0, "needs root");
        Privileges.Passwd nobody = Privileges.lookupUser("nobody");
        Assumptions.assumeTrue(nobody != null, "needs user nobody");
        Path root = Files.createDirectory(tmp.resolve("empty"));

        ChildJvm.Reporting child = new ChildJvm.Reporting("drop", "nobody", root.toString());
        String report = child.report;
        assertFalse(report.contains("error"), report);

        // seen from outside while the child lives: every thread switched, root is the chroot
        assertEquals(root.toRealPath(), Files.readSymbolicLink(Path.of("/proc/" + child.process.pid() + "/root")));
        try (Stream<Path> tasks = Files.list(Path.of("/proc/" + child.process.pid() + "/task"))) {
            for (Path task : (Iterable<Path>) tasks::iterator) {
                Map<String, String> status = status(task.resolve("status"));
                assertEquals("65534\t65534\t65534\t65534", status.get("Uid"), task.toString());
                assertEquals("65534\t65534\t65534\t65534", status.get("Gid"), task.toString());
                assertEquals("65534", status.get("Groups").trim(), task.toString());
            }
        }
        Map<String, String> seen = new HashMap<>();
        for (String line : report.split("\n")) {
            String[] kv = line.split(" ", 2);
            seen.put(kv[0], kv.length > 1 ? kv[1] : "");
        }
        assertEquals("65534", seen.get("uid"), report);
        assertEquals("65534", seen.get("euid"), report);
        assertEquals("false", seen.get("etc-passwd-visible"), report);
        assertEquals("ok", seen.get("nio"), report);
        assertEquals("ok", seen.get("tls"), report);
        assertEquals("ok", seen.get("zone"), report);
        assertEquals("IdleStateHandler", seen.get("lazy-class"), report);
        assertEquals("ok", seen.get("resource"), report);

        assertEquals(0, child.exit());
        assertTrue(Files.list(root).findAny().isEmpty(), "nothing written into the chroot");
    }

    private static Map<String, String> status(Path file) throws Exception {
        Map<String, String> fields = new HashMap<>();
        for (String line : Files.readAllLines(file)) {
            int colon = line.indexOf(':');
            fields.put(line.substring(0, colon), line.substring(colon + 1).trim());
        }
        return fields;
    }

    @Test
    void euidMatchesTheOwnerOfProcSelf() throws Exception {
        assertEquals(Files.getAttribute(Path.of("/proc/self/"), "unix:uid"), Privileges.geteuid());
        assertEquals(Privileges.geteuid(), Privileges.getuid());
    }

    /**
     * The engines' seccomp filter, on every thread of the JVM, those started before too: no
     * signal to another process, no ptrace of it; signals to itself and the JVM work (probe G
     * of session 56: an engine taken over attached to a check script and left its chroot).
     */
    @Test
    void theSeccompFilterKeepsAnEngineToItself() throws Exception {
        Assumptions.assumeTrue(Privileges.geteuid() == 0, "needs root (or no_new_privs) to install a filter");
        Assumptions.assumeTrue("amd64".equals(System.getProperty("os.arch")), "x86_64 only");
        Process target = new ProcessBuilder("sleep", "60").start();
        try {
            String report;
            try (ChildJvm.Reporting child = new ChildJvm.Reporting("seccomp", Long.toString(target.pid()))) {
                report = child.report;
                try (Stream<Path> tasks = Files.list(Path.of("/proc/" + child.process.pid() + "/task"))) {
                    for (Path task : (Iterable<Path>) tasks::iterator) {
                        Map<String, String> fields;
                        try {
                            fields = status(task.resolve("status"));
                        } catch (java.nio.file.NoSuchFileException ended) {
                            continue; // a JVM thread that ended after the listing (a compiler's)
                        }
                        assertEquals("2", fields.get("Seccomp"), task + " filtered");
                    }
                }
            }
            assertFalse(report.contains("error"), report);
            assertTrue(report.contains("confine null\n"), report);
            assertTrue(report.contains("kill-other 1\n"), report); // EPERM
            assertTrue(report.contains("older-thread-kill-other 1\n"), report);
            assertTrue(report.contains("ptrace-other 1\n"), report);
            assertTrue(report.contains("kill-self 0\n"), report);
            assertTrue(report.contains("jvm ok\n"), report);
        } finally {
            target.destroyForcibly();
        }
    }

    /**
     * The engine checks the root it is in after its chroot, not only the parent at its start: a
     * directory swapped for a link to the system's root, or made writable by others meanwhile,
     * left the next engine unconfined without a word (probe G of session 56). It refuses to run.
     */
    @Test
    void anEngineRefusesAJailThatIsTheSystemsRootOrWritableByOthers(@TempDir Path tmp) throws Exception {
        Assumptions.assumeTrue(Privileges.geteuid() == 0, "needs root");
        Path open = Files.createDirectory(tmp.resolve("open"));
        Files.setPosixFilePermissions(open, java.nio.file.attribute.PosixFilePermissions.fromString("rwxrwxrwx"));
        Path toRoot = Files.createSymbolicLink(tmp.resolve("root"), Path.of("/"));
        for (Path jail : java.util.List.of(open, toRoot)) {
            String report;
            try (ChildJvm.Reporting child = new ChildJvm.Reporting("drop", "nobody", jail.toString())) {
                report = child.report;
            }
            assertTrue(report.contains(jail == open ? "must be owned by root and writable by root only"
                    : "is the system's root"), report);
            assertFalse(report.contains("uid 65534"), report);
        }
    }
}
