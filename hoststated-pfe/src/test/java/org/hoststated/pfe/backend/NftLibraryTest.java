package org.hoststated.pfe.backend;

import static org.hoststated.pfe.backend.Redirects.ips;
import static org.hoststated.pfe.backend.Redirects.redirect;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * libnftables through jnr-ffi, in dry-run mode: the kernel checks the scripts but nothing is
 * committed, so the test can run in the machine's own namespace (root needed for netlink).
 */
class NftLibraryTest {
    @Test
    void checksOurScriptsAndReportsErrors() {
        assumeTrue("root".equals(System.getProperty("user.name")), "needs root for netlink");
        NftLibrary nft = NftLibrary.load();
        assumeTrue(nft != null, "libnftables is not installed");
        nft.dryRun(true);
        String script = NftScript.render("l3dry", List.of(
                redirect("www", "10.21.9.100", "l3-c1", ips("10.21.2.11"), true, "edge"),
                redirect("www6", "fd21::100", null, ips("fd21::11", "fd21::12"), true, "7"),
                redirect("rr6", "fd21::101", null, ips("fd21::11", "10.21.2.11"), false,
                        null)));
        assertTrue(script.contains("jhash ip6 saddr"), script);
        CommandRunner.Result ok = nft.run(script);
        assertTrue(ok.ok(), ok.stderr());
        CommandRunner.Result bad = nft.run("add rule inet l3nosuch nochain accept\n");
        assertFalse(bad.ok());
        assertTrue(bad.why().contains("No such file or directory"), bad.why());
        assertEquals(0, nft.run("list tables\n").status());
    }
}
