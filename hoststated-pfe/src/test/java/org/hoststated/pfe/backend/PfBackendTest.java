package org.hoststated.pfe.backend;

import static org.hoststated.pfe.backend.Redirects.ip;
import static org.hoststated.pfe.backend.Redirects.ips;
import static org.hoststated.pfe.backend.Redirects.redirect;
import static org.hoststated.pfe.backend.Redirects.tcp;
import static org.hoststated.pfe.backend.Redirects.udp;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The pf backend against a stand-in {@code pfctl} ({@link FakePfctl}): the exact commands and
 * rulesets pfe would give OpenBSD's pfctl.
 */
class PfBackendTest {
    private FakePfctl pfctl;
    private final List<InetAddress> web = ips("10.21.2.11", "10.21.2.12");

    @BeforeEach
    void standIn() throws IOException {
        pfctl = new FakePfctl();
    }

    @AfterEach
    void removeStandIn() throws IOException {
        pfctl.close();
    }

    private PfBackend backend(boolean keep) {
        PfBackend b = pfctl.backend(keep);
        b.start();
        return b;
    }

    private String calls() throws IOException {
        return pfctl.takeCalls();
    }

    private static void apply(PfBackend b, List<L3Backend.Redirect> r) throws InterruptedException {
        b.apply(r, List.of(), System.nanoTime());
        assertTrue(b.awaitApplied(10_000));
    }

    @Test
    void tableFirstThenRulesThenHostChangesOnly() throws Exception {
        PfBackend b = backend(false);
        calls();
        apply(b, List.of(redirect("www", "10.21.9.100", "em0", web, true, "lb")));
        assertEquals("""
                pfctl -a hoststated/www -t www -T replace 10.21.2.11 10.21.2.12
                pfctl -a hoststated/www -f -
                  < pass in quick on em0 inet proto tcp from any to 10.21.9.100 port 80 flags S/SA keep state \
                tag "lb" rdr-to <www> port 8080 round-robin sticky-address
                """, calls());
        apply(b, List.of(redirect("www", "10.21.9.100", "em0", ips("10.21.2.12"), true, "lb")));
        assertEquals("""
                pfctl -a hoststated/www -t www -T replace 10.21.2.12
                pfctl -K 0.0.0.0/0 -K 10.21.2.11
                """, calls(), "sticky clients of the failed host lose their source nodes");
        apply(b, List.of(redirect("www", "10.21.9.100", "em0", List.of(), true, "lb")));
        assertEquals("""
                pfctl -a hoststated/www -f -
                pfctl -a hoststated/www -t www -T flush
                pfctl -K 0.0.0.0/0 -K 10.21.2.12
                """, calls(), "rules are pulled before the table is flushed");
        b.close();
        assertEquals("pfctl -a hoststated/www -F all\n", calls());
    }

    /**
     * pfctl -ss -vv as print_state writes it: the inbound state of a redirected connection
     * shows the host, the virtual address in parentheses and the client; the outbound one
     * towards the host, and a connection straight to the host, do not name the virtual address.
     */
    @Test
    void killsTheStatesTheServicesRuleMadeTowardsTheHostById() throws Exception {
        pfctl.states("""
                all tcp 10.21.2.12:8080 (10.21.9.100:80) <- 10.21.1.2:40000       ESTABLISHED:ESTABLISHED
                   [1 + 2]  wscale 7  [3 + 4] wscale 7
                   age 00:01:02, expires in 23:58:58, 10:8 pkts, 1000:900 bytes, rule 0
                   id: 5d1b0b4e00000003 creatorid: 7d1a2b3c
                all tcp 10.21.2.11:8080 (10.21.9.100:80) <- 10.21.1.3:40001       ESTABLISHED:ESTABLISHED
                   id: 5d1b0b4e00000004 creatorid: 7d1a2b3c
                all tcp 10.21.1.2:40000 -> 10.21.2.12:8080       ESTABLISHED:ESTABLISHED
                   id: 5d1b0b4e00000005 creatorid: 7d1a2b3c
                all tcp 10.21.2.12:8080 <- 10.21.2.1:51000       ESTABLISHED:ESTABLISHED
                   id: 5d1b0b4e00000006 creatorid: 7d1a2b3c
                all tcp 10.21.2.12:8080 (10.21.9.101:80) <- 10.21.1.4:40002       ESTABLISHED:ESTABLISHED
                   id: 5d1b0b4e00000007 creatorid: 7d1a2b3c
                all tcp fd21::2:12[8080] (fd21::9:100[80]) <- fd21::1:2[40003]       ESTABLISHED:ESTABLISHED
                   id: 5d1b0b4e00000008 creatorid: 7d1a2b3c
                all udp 10.21.2.12:8080 (10.21.9.100:80) <- 10.21.1.2:40004       MULTIPLE:SINGLE
                   id: 5d1b0b4e00000009 creatorid: 7d1a2b3c
                """);
        PfBackend b = backend(false);
        calls();
        L3Backend.StateKill kill = new L3Backend.StateKill("www",
                List.of(tcp("10.21.9.100", 80, null), tcp("fd21::9:100", 80, null)), ip("10.21.2.12"), 8080, "down");
        L3Backend.StateKill v6 = new L3Backend.StateKill("www", kill.virtuals(), ip("fd21::2:12"), 8080, "down");
        assertArrayEquals(new int[] {1, 1}, b.killStates(List.of(kill, v6)));
        assertEquals("""
                pfctl -s states -vv
                pfctl -k id -k 5d1b0b4e00000003
                pfctl -k id -k 5d1b0b4e00000008
                """, calls());
        b.close();
    }

    /**
     * relayd's DNS example: one service on tcp and udp port 53. A UDP rule has no SYN to match
     * (relayd's sync_ruleset sets flags for TCP only).
     */
    @Test
    void aUdpVirtualHostGetsAUdpRule() throws Exception {
        PfBackend b = backend(false);
        calls();
        apply(b, List.of(new L3Backend.Redirect("dns", List.of(tcp("10.21.9.53", 53, null), udp("10.21.9.53", 53, "em0")),
                web, 8053, false, null)));
        assertEquals("""
                pfctl -a hoststated/dns -t dns -T replace 10.21.2.11 10.21.2.12
                pfctl -a hoststated/dns -f -
                  < pass in quick inet proto tcp from any to 10.21.9.53 port 53 flags S/SA keep state \
                rdr-to <dns> port 8053 round-robin
                  < pass in quick on em0 inet proto udp from any to 10.21.9.53 port 53 keep state \
                rdr-to <dns> port 8053 round-robin
                """, calls());
        b.close();
    }

    /**
     * pfctl -K drops source nodes whatever rule made them: a host that leaves one sticky
     * service (disabled) but still serves another keeps them, so that service's clients stay.
     */
    @Test
    void sourceNodesStayWhileAnotherStickyServiceSendsToTheHost() throws Exception {
        PfBackend b = backend(false);
        apply(b, List.of(redirect("a", "10.21.9.100", null, web, true, null),
                redirect("b", "10.21.9.101", null, web, true, null)));
        calls();
        apply(b, List.of(redirect("a", "10.21.9.100", null, List.of(), true, null),
                redirect("b", "10.21.9.101", null, web, true, null)));
        assertEquals("""
                pfctl -a hoststated/a -f -
                pfctl -a hoststated/a -t a -T flush
                """, calls());
        apply(b, List.of(redirect("a", "10.21.9.100", null, List.of(), true, null),
                redirect("b", "10.21.9.101", null, ips("10.21.2.12"), true, null)));
        assertEquals("""
                pfctl -a hoststated/b -t b -T replace 10.21.2.12
                pfctl -K 0.0.0.0/0 -K 10.21.2.11
                """, calls(), "gone from every sticky service: its source nodes go");
        b.close();
    }

    /**
     * pf cannot redirect an IPv6 virtual address to IPv4 hosts: that address gets no rule, as
     * the configuration check warns and as with nftables, until a host of its family is up.
     */
    @Test
    void aVirtualHostWithoutAnUpHostOfItsFamilyGetsNoRule() throws Exception {
        PfBackend b = backend(false);
        calls();
        List<L3Backend.Virtual> both = List.of(tcp("10.21.9.100", 80, null), tcp("fd21::9:100", 80, null));
        apply(b, List.of(new L3Backend.Redirect("www", both, web, 8080, false, null)));
        assertEquals("""
                pfctl -a hoststated/www -t www -T replace 10.21.2.11 10.21.2.12
                pfctl -a hoststated/www -f -
                  < pass in quick inet proto tcp from any to 10.21.9.100 port 80 flags S/SA keep state \
                rdr-to <www> port 8080 round-robin
                """, calls());
        List<InetAddress> mixed = ips("10.21.2.11", "fd21::2:11");
        apply(b, List.of(new L3Backend.Redirect("www", both, mixed, 8080, false, null)));
        String v6 = ip("fd21::2:11").getHostAddress();
        assertEquals("pfctl -a hoststated/www -t www -T replace 10.21.2.11 " + v6 + "\n"
                + """
                pfctl -a hoststated/www -f -
                  < pass in quick inet proto tcp from any to 10.21.9.100 port 80 flags S/SA keep state \
                rdr-to <www> port 8080 round-robin
                """ + "  < pass in quick inet6 proto tcp from any to " + ip("fd21::9:100").getHostAddress()
                + " port 80 flags S/SA keep state rdr-to <www> port 8080 round-robin\n", calls());
        b.close();
    }

    /** A udp virtual host's states are the udp ones; the tcp ones of its address and port are not. */
    @Test
    void killsTheUdpStatesOfAUdpVirtualHost() throws Exception {
        pfctl.states("""
                all tcp 10.21.2.12:8080 (10.21.9.100:80) <- 10.21.1.2:40000       ESTABLISHED:ESTABLISHED
                   id: 5d1b0b4e00000003 creatorid: 7d1a2b3c
                all udp 10.21.2.12:8080 (10.21.9.100:80) <- 10.21.1.2:40004       MULTIPLE:SINGLE
                   age 00:00:12, expires in 00:00:60, 120:120 pkts, 4000:4000 bytes, rule 0
                   id: 5d1b0b4e00000009 creatorid: 7d1a2b3c
                all udp 10.21.2.11:8080 (10.21.9.100:80) <- 10.21.1.3:40005       MULTIPLE:SINGLE
                   id: 5d1b0b4e0000000a creatorid: 7d1a2b3c
                """);
        PfBackend b = backend(false);
        calls();
        L3Backend.StateKill kill = new L3Backend.StateKill("dns", List.of(udp("10.21.9.100", 80, null)),
                ip("10.21.2.12"), 8080, "down");
        assertArrayEquals(new int[] {1}, b.killStates(List.of(kill)));
        assertEquals("""
                pfctl -s states -vv
                pfctl -k id -k 5d1b0b4e00000009
                """, calls());
        b.close();
    }

    @Test
    void killsComeAfterTheRulesWithoutTheHost() throws Exception {
        pfctl.states("");
        PfBackend b = backend(false);
        apply(b, List.of(redirect("www", "10.21.9.100", null, web, false, null)));
        calls();
        b.apply(List.of(redirect("www", "10.21.9.100", null, ips("10.21.2.11"), false, null)),
                List.of(new L3Backend.StateKill("www", List.of(tcp("10.21.9.100", 80, null)), ip("10.21.2.12"), 8080,
                        "down")), System.nanoTime());
        assertTrue(b.awaitApplied(10_000));
        assertEquals("""
                pfctl -a hoststated/www -t www -T replace 10.21.2.11
                pfctl -s states -vv
                """, calls());
        b.close();
    }

    /**
     * A reload that removes service gone and moves service moved's udp virtual host from .101
     * to .103: the anchor of gone is flushed, which leaves its states (pf keeps a state whose
     * rule is gone), so the UDP states of both lost virtual hosts are killed by id after the
     * write; those of the virtual host kept (.102) and of the other protocol stay.
     */
    @Test
    void aReloadKillsTheStatesOfARemovedServiceAndOfAMovedVirtualHost() throws Exception {
        pfctl.states("""
                all udp 10.21.2.11:5353 (10.21.9.100:53) <- 10.21.1.2:40000       MULTIPLE:SINGLE
                   id: 5d1b0b4e00000001 creatorid: 7d1a2b3c
                all udp 10.21.2.12:5353 (10.21.9.100:53) <- 10.21.1.3:40001       MULTIPLE:SINGLE
                   id: 5d1b0b4e00000002 creatorid: 7d1a2b3c
                all udp 10.21.2.11:5353 (10.21.9.101:53) <- 10.21.1.2:40002       MULTIPLE:SINGLE
                   id: 5d1b0b4e00000003 creatorid: 7d1a2b3c
                all udp 10.21.2.12:5353 (10.21.9.102:53) <- 10.21.1.2:40003       MULTIPLE:SINGLE
                   id: 5d1b0b4e00000004 creatorid: 7d1a2b3c
                all tcp 10.21.2.11:5353 (10.21.9.101:53) <- 10.21.1.4:40004       ESTABLISHED:ESTABLISHED
                   id: 5d1b0b4e00000005 creatorid: 7d1a2b3c
                """);
        PfBackend b = backend(false);
        L3Backend.Virtual gone = udp("10.21.9.100", 53, null);
        L3Backend.Virtual old = udp("10.21.9.101", 53, null);
        L3Backend.Virtual kept = udp("10.21.9.102", 53, null);
        apply(b, List.of(new L3Backend.Redirect("gone", List.of(gone), web, 5353, false, null),
                new L3Backend.Redirect("moved", List.of(old, kept, tcp("10.21.9.101", 53, null)), web, 5353,
                        false, null)));
        calls();
        b.apply(List.of(new L3Backend.Redirect("moved", List.of(udp("10.21.9.103", 53, null), kept,
                        tcp("10.21.9.101", 53, null)), web, 5353, false, null)),
                List.of(L3Backend.StateKill.ofVirtual("gone", gone, web, 5353, "removed with its service"),
                        L3Backend.StateKill.ofVirtual("moved", old, web, 5353, "removed"),
                        L3Backend.StateKill.ofVirtual("moved", kept, web, 5353, "removed")),
                System.nanoTime());
        assertTrue(b.awaitApplied(10_000));
        assertEquals("""
                pfctl -a hoststated/moved -f -
                  < pass in quick inet proto udp from any to 10.21.9.103 port 53 keep state \
                rdr-to <moved> port 5353 round-robin
                  < pass in quick inet proto udp from any to 10.21.9.102 port 53 keep state \
                rdr-to <moved> port 5353 round-robin
                  < pass in quick inet proto tcp from any to 10.21.9.101 port 53 flags S/SA keep state \
                rdr-to <moved> port 5353 round-robin
                pfctl -a hoststated/gone -F all
                pfctl -s states -vv
                pfctl -k id -k 5d1b0b4e00000001
                pfctl -k id -k 5d1b0b4e00000002
                pfctl -k id -k 5d1b0b4e00000003
                """, calls(), "the kill of .102, still sent to both hosts, is dropped before pfctl");
        b.close();
    }

    @Test
    void replacesAnchorsOfAPreviousRunAndKeepsRulesWhenAsked() throws Exception {
        pfctl.anchors("  hoststated/www\n  hoststated/old\n");
        PfBackend b = backend(true);
        assertEquals("pfctl -s info\npfctl -a hoststated -s Anchors\n", calls());
        apply(b, List.of(redirect("www", "fd21::100", null, ips("fd21::11"), false, null)));
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
        apply(b, List.of(redirect("fail", "10.21.9.100", null, web, false, null)));
        assertTrue(calls().startsWith("pfctl -a hoststated/fail -t fail -T replace"));
        assertTrue(String.valueOf(b.failure()).contains("Table does not exist"), b.failure());
        apply(b, List.of(redirect("www", "10.21.9.100", null, web, false, null)));
        String next = calls();
        assertTrue(next.contains("pfctl -a hoststated/www -f -"), next);
        assertNull(b.failure(), "a write that works ends the failure");
        b.close();
    }
}
