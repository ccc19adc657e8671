package org.hoststated.parent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.hoststated.core.config.Config;
import org.hoststated.core.config.ConfigLoader;
import org.hoststated.core.config.LoadResult;
import org.hoststated.core.config.SystemResolver;
import org.hoststated.core.posix.AbstractSocketName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The nftables lock: a file lock no other user can take first, and the abstract name, which a
 * process that is not root may hold without keeping the daemon from starting (probe G of
 * session 56); a root holder is another hoststated.
 */
class L3LockTest {
    private static final String NAME = "hoststated-test: l3 lock " + ProcessHandle.current().pid();
    private static final Config NFT = config("l3 backend nftables\n");
    private static final Config NONE = config("l3 backend none\n");

    @TempDir
    Path dir;

    private static Config config(String text) {
        String services = "table t {\n\tcheck tcp\n\thost 10.21.2.1\n}\n"
                + "service s {\n\tvirtual host 10.21.9.1 port 80\n\ttable t\n}\n";
        LoadResult r = ConfigLoader.parse(text + services, "t.conf", Map.of(), new SystemResolver());
        assertTrue(r.ok(), () -> r.errors().toString());
        return r.config();
    }

    private L3Lock lock(int holderUid) {
        return new L3Lock(dir, NAME, n -> Optional.of(new AbstractNameHolder(4242, holderUid, "squatter")));
    }

    @Test
    void aSecondDaemonIsRefusedByTheLockFile() throws IOException {
        L3Lock first = lock(0);
        first.claim(NFT);
        try (var files = Files.list(dir)) {
            assertEquals(1, files.filter(f -> f.getFileName().toString().matches("nftables-\\d+\\.lock")).count());
        }
        IOException e = assertThrows(IOException.class, () -> lock(1000).claim(NFT));
        assertTrue(e.getMessage().startsWith("another hoststated drives nftables table inet hoststated"),
                e.getMessage());
        first.keep(NONE);
        L3Lock next = lock(0);
        next.claim(NFT);
        next.release();
    }

    @Test
    void aNameHeldByAnotherUserIsPassedOver() throws IOException {
        try (AbstractSocketName squatter = AbstractSocketName.tryBind(NAME)) {
            L3Lock l = lock(1000);
            l.claim(NFT);
            l.release();
            IOException e = assertThrows(IOException.class, () -> lock(0).claim(NFT), "a root holder");
            assertTrue(e.getMessage().contains("pid 4242 (squatter, uid 0)"), e.getMessage());
            L3Lock afterRefusal = lock(1000);
            afterRefusal.claim(NFT);
            afterRefusal.release();
        }
    }

    @Test
    void withoutALockFileANameHeldByAnyoneRefuses() throws IOException {
        Files.writeString(dir.resolve("run"), "a file where the directory would be");
        L3Lock l = new L3Lock(dir.resolve("run"), NAME,
                n -> Optional.of(new AbstractNameHolder(4242, 1000, "squatter")));
        try (AbstractSocketName squatter = AbstractSocketName.tryBind(NAME)) {
            assertThrows(IOException.class, () -> l.claim(NFT));
        }
        l.claim(NFT);
        l.release();
    }

    /** The holder of a name as /proc tells it: this process, when it holds one. */
    @Test
    void theHolderIsFoundInProc() throws IOException {
        assertEquals(Optional.empty(), AbstractNameHolder.of(NAME + " unheld"));
        try (AbstractSocketName held = AbstractSocketName.tryBind(NAME)) {
            AbstractNameHolder h = AbstractNameHolder.of(NAME).orElseThrow();
            assertEquals(ProcessHandle.current().pid(), h.pid());
            assertEquals(AbstractNameHolder.uidIn(Files.readAllLines(Path.of("/proc/self/status"))), h.uid());
        }
    }

    @Test
    void procListingsAreRead() {
        List<String> unix = List.of("Num       RefCount Protocol Flags    Type St Inode Path",
                "0000000000000000: 00000002 00000000 00000000 0002 01 12426128 @hoststated: nftables table inet hoststated",
                "0000000000000000: 00000002 00000000 00010000 0001 01 999 /run/x.sock");
        assertEquals(12426128, AbstractNameHolder.inode(unix, "hoststated: nftables table inet hoststated"));
        assertEquals(-1, AbstractNameHolder.inode(unix, "hoststated"));
        assertEquals(1000, AbstractNameHolder.uidIn(List.of("Name:\tpython3", "Uid:\t1000\t1000\t1000\t1000")));
    }
}
