package org.hoststated.parent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.hoststated.core.msg.Demote;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The Linux demote files keepalived follows (docs/keepalived.md), written in a temporary directory. */
class DemoterTest {

    /**
     * The global group's file appears at start holding 0: it was written only when the counter
     * changed, so it was missing until the daemon stopped and wrote 128.
     */
    @Test
    void theGlobalGroupsFileHoldsZeroFromTheStartAndOneHundredTwentyEightAfter(@TempDir Path dir) throws Exception {
        Demoter demoter = new Demoter(new Demoter.TrackFiles(dir));
        demoter.configure("lb");
        awaitContent(dir.resolve("lb"), "0\n");
        demoter.demote(new Demote("web", 1));
        awaitContent(dir.resolve("web"), "1\n");
        demoter.resetAll();
        assertEquals("128\n", Files.readString(dir.resolve("lb")));
        assertEquals("0\n", Files.readString(dir.resolve("web")), "the table's demotion given back");
    }

    /**
     * The counters are root's alone whatever the umask the daemon was started with, and a link
     * planted where the new counter is written first is not written through: under umask 000
     * the directory was 0777 and root overwrote the link's target (probe G of session 56).
     */
    @Test
    void theFilesModesAreSetAndAPlantedLinkIsNotWrittenThrough(@TempDir Path tmp) throws Exception {
        Path dir = Files.createDirectory(tmp.resolve("demote"));
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxrwxrwx"));
        Path victim = Files.writeString(tmp.resolve("victim"), "untouched\n");
        Files.createSymbolicLink(dir.resolve(".lb.tmp"), victim);
        new Demoter.TrackFiles(dir).set("lb", 3);
        assertEquals("untouched\n", Files.readString(victim));
        assertEquals("3\n", Files.readString(dir.resolve("lb")));
        assertEquals("rwxr-xr-x", PosixFilePermissions.toString(Files.getPosixFilePermissions(dir)));
        assertEquals("rw-r--r--", PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("lb"))));
        assertTrue(Files.notExists(dir.resolve(".lb.tmp"), java.nio.file.LinkOption.NOFOLLOW_LINKS));
    }

    private static void awaitContent(Path file, String want) throws IOException, InterruptedException {
        for (int i = 0; i < 100 && !(Files.exists(file) && Files.readString(file).equals(want)); i++) {
            Thread.sleep(50);
        }
        assertTrue(Files.exists(file), file + " missing");
        assertEquals(want, Files.readString(file));
    }
}
