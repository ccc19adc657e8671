package org.hoststated.parent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
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

    private static void awaitContent(Path file, String want) throws IOException, InterruptedException {
        for (int i = 0; i < 100 && !(Files.exists(file) && Files.readString(file).equals(want)); i++) {
            Thread.sleep(50);
        }
        assertTrue(Files.exists(file), file + " missing");
        assertEquals(want, Files.readString(file));
    }
}
