package org.hoststated.pfe.backend;

import static org.hoststated.pfe.backend.Redirects.ips;
import static org.hoststated.pfe.backend.Redirects.redirect;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
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
            b.apply(List.of(redirect("www", "10.21.9.100", null, web, false, null)), List.of(), System.nanoTime());
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

    /**
     * A table of the same name that another process holds with nft's owner flag: the kernel
     * refuses the daemon's writes with only "Operation not permitted"; the failure says whose
     * table it is. The stand-in answers as nft 1.0.6 did in a namespace with {@code nft -i}
     * holding {@code table inet hoststated { flags owner; }}.
     */
    @Test
    void aTableAnotherProcessOwnsIsNamedInTheFailure() throws Exception {
        Path dir = Files.createTempDirectory("l3-nft");
        Path nft = dir.resolve("nft");
        Files.writeString(nft, """
                #!/bin/sh
                if grep -q '^list table'; then
                  printf 'table inet l3own { # progname nft\n\tflags owner\n}\n'
                  exit 0
                fi
                echo 'Error: Could not process rule: Operation not permitted' >&2
                exit 1
                """);
        Files.setPosixFilePermissions(nft, PosixFilePermissions.fromString("rwx------"));
        try (NftBackend b = new NftBackend(Nft.program(RUN, List.of(nft.toString())), "l3own", true)) {
            assertFalse(b.start(), "an owned table is no previous run's rules to hold");
            b.apply(List.of(redirect("www", "10.21.9.100", null, web, false, null)), List.of(), System.nanoTime());
            assertTrue(b.awaitApplied(10_000));
            assertEquals("nft: Error: Could not process rule: Operation not permitted (table inet l3own belongs to "
                    + "another process: flags owner, program nft)", b.failure());
        } finally {
            Files.delete(nft);
            Files.delete(dir);
        }
        assertNull(NftBackend.owner("table inet hoststated {\n\tchain prerouting {\n\t}\n}\n"));
        assertEquals("flags owner", NftBackend.owner("table inet x {\n\tflags dormant,owner\n}\n"));
    }
}
