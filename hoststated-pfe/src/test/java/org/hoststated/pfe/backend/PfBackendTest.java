package org.hoststated.pfe.backend;

import static org.hoststated.pfe.backend.Redirects.ips;
import static org.hoststated.pfe.backend.Redirects.redirect;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The pf backend against a stand-in {@code pfctl} (a shell script that records its arguments
 * and standard input, and answers {@code -s info} and {@code -s Anchors}): the exact commands
 * and rulesets pfe would give OpenBSD's pfctl.
 */
class PfBackendTest {
    private Path dir;
    private Path log;
    private Path pfctl;
    private final List<InetAddress> web = ips("10.21.2.11", "10.21.2.12");

    @BeforeEach
    void standIn() throws IOException {
        dir = Files.createTempDirectory("l3-pfctl");
        log = dir.resolve("calls");
        pfctl = dir.resolve("pfctl");
        Files.writeString(dir.resolve("anchors"), "");
        Files.writeString(pfctl, """
                #!/bin/sh
                d=$(dirname "$0")
                echo "pfctl $*" >> "$d/calls"
                case "$*" in
                  "-s info") echo "Status: Enabled for 0 days" ;;
                  *"-s Anchors") cat "$d/anchors" ;;
                  *"-f -") sed 's/^/  < /' >> "$d/calls" ;;
                  *"-t fail"*) echo "pfctl: Table does not exist" >&2; exit 1 ;;
                esac
                exit 0
                """);
        Files.setPosixFilePermissions(pfctl, PosixFilePermissions.fromString("rwxr-xr-x"));
    }

    @AfterEach
    void removeStandIn() throws IOException {
        try (var files = Files.list(dir)) {
            for (Path f : files.toList()) {
                Files.delete(f);
            }
        }
        Files.delete(dir);
    }

    private PfBackend backend(boolean keep) {
        PfBackend b = new PfBackend(CommandRunner.processes(10_000), List.of(pfctl.toString()), keep);
        b.start();
        return b;
    }

    private String calls() throws IOException {
        String s = Files.readString(log);
        Files.writeString(log, "");
        return s;
    }

    private static void apply(PfBackend b, List<L3Backend.Redirect> r) throws InterruptedException {
        b.apply(r, System.nanoTime());
        assertTrue(b.awaitApplied(10_000));
    }

    @Test
    void tableFirstThenRulesThenHostChangesOnly() throws Exception {
        PfBackend b = backend(false);
        calls();
        apply(b, List.of(redirect("www", "10.21.9.100", "em0", web, web, true, "lb")));
        assertEquals("""
                pfctl -a hoststated/www -t www -T replace 10.21.2.11 10.21.2.12
                pfctl -a hoststated/www -f -
                  < pass in quick on em0 inet proto tcp from any to 10.21.9.100 port 80 flags S/SA keep state \
                tag "lb" rdr-to <www> port 8080 round-robin sticky-address
                """, calls());
        apply(b, List.of(redirect("www", "10.21.9.100", "em0", web, ips("10.21.2.12"), true, "lb")));
        assertEquals("""
                pfctl -a hoststated/www -t www -T replace 10.21.2.12
                pfctl -K 0.0.0.0/0 -K 10.21.2.11
                """, calls(), "sticky clients of the failed host lose their source nodes");
        apply(b, List.of(redirect("www", "10.21.9.100", "em0", web, List.of(), true, "lb")));
        assertEquals("""
                pfctl -a hoststated/www -f -
                pfctl -a hoststated/www -t www -T flush
                pfctl -K 0.0.0.0/0 -K 10.21.2.12
                """, calls(), "rules are pulled before the table is flushed");
        b.close();
        assertEquals("pfctl -a hoststated/www -F all\n", calls());
    }

    @Test
    void replacesAnchorsOfAPreviousRunAndKeepsRulesWhenAsked() throws Exception {
        Files.writeString(dir.resolve("anchors"), "  hoststated/www\n  hoststated/old\n");
        PfBackend b = backend(true);
        assertEquals("pfctl -s info\npfctl -a hoststated -s Anchors\n", calls());
        apply(b, List.of(redirect("www", "fd21::100", null, ips("fd21::11"), ips("fd21::11"), false, null)));
        assertEquals("""
                pfctl -a hoststated/www -t www -T replace fd21:0:0:0:0:0:0:11
                pfctl -a hoststated/www -f -
                  < pass in quick inet6 proto tcp from any to fd21:0:0:0:0:0:0:100 port 80 flags S/SA keep state \
                rdr-to <www> port 8080 round-robin
                pfctl -a hoststated/old -F all
                """, calls());
        b.close();
        assertEquals("", calls(), "l3 keep rules leaves the anchors in place");
    }

    @Test
    void aFailingPfctlIsRetriedUntilItWorks() throws Exception {
        PfBackend b = backend(false);
        calls();
        apply(b, List.of(redirect("fail", "10.21.9.100", null, web, web, false, null)));
        assertTrue(calls().startsWith("pfctl -a hoststated/fail -t fail -T replace"));
        apply(b, List.of(redirect("www", "10.21.9.100", null, web, web, false, null)));
        String next = calls();
        assertTrue(next.contains("pfctl -a hoststated/www -f -"), next);
        b.close();
    }
}
