package org.hoststated.pfe.backend;

import static org.hoststated.pfe.backend.Redirects.ips;
import static org.hoststated.pfe.backend.Redirects.redirect;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The nftables backend when the nft program cannot do its work (missing from the PATH, or
 * failing): real processes, no root needed. The backend keeps retrying and says why through
 * {@link L3Backend#failure}, which {@code show summary} shows instead of "active".
 */
class NftBackendFailureTest {
    private static final CommandRunner RUN = CommandRunner.processes(10_000);
    private final List<InetAddress> web = ips("10.21.2.11", "10.21.2.12");

    @Test
    void aMissingNftIsAFailureUntilAWriteWorks() throws Exception {
        Path dir = Files.createTempDirectory("l3-nft");
        Path nft = dir.resolve("nft");
        try (NftBackend b = new NftBackend(Nft.program(RUN, List.of(nft.toString())), "l3fail", false)) {
            b.start();
            assertNull(b.failure(), "nothing written yet");
            b.apply(List.of(redirect("www", "10.21.9.100", null, web, web, false, null)), List.of(), System.nanoTime());
            assertTrue(b.awaitApplied(10_000));
            assertTrue(String.valueOf(b.failure()).startsWith("cannot run " + nft), b.failure());

            // An nft that runs but refuses, then one that works: the failure ends with the retry.
            Files.writeString(nft, "#!/bin/sh\necho 'Error: Could not process rule: Operation not permitted' >&2\nexit 1\n");
            Files.setPosixFilePermissions(nft, PosixFilePermissions.fromString("rwx------"));
            long end = System.currentTimeMillis() + 10_000;
            while (!String.valueOf(b.failure()).contains("Operation not permitted") && System.currentTimeMillis() < end) {
                Thread.sleep(50);
            }
            assertTrue(String.valueOf(b.failure()).contains("Operation not permitted"), b.failure());
            Files.writeString(nft, "#!/bin/sh\ncat >/dev/null\nexit 0\n");
            end = System.currentTimeMillis() + 10_000;
            while (b.failure() != null && System.currentTimeMillis() < end) {
                Thread.sleep(50);
            }
            assertNull(b.failure(), "the retry that works ends the failure");
        } finally {
            Files.deleteIfExists(nft);
            Files.delete(dir);
        }
    }
}
