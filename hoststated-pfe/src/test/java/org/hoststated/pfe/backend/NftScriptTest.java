package org.hoststated.pfe.backend;

import static org.hoststated.pfe.backend.Redirects.ip;
import static org.hoststated.pfe.backend.Redirects.ips;
import static org.hoststated.pfe.backend.Redirects.redirect;
import static org.hoststated.pfe.backend.Redirects.tcp;
import static org.hoststated.pfe.backend.Redirects.udp;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class NftScriptTest {
    @Test
    void roundRobinInterfaceAndTagGoldenScript() {
        List<InetAddress> web = ips("10.21.2.11", "10.21.2.12", "fd21::11");
        String script = NftScript.render("l3t", List.of(
                redirect("www", "10.21.9.100", "l3-c1", ips("10.21.2.11", "10.21.2.12"), false, "0x10"),
                redirect("www6", "fd21::100", null, ips("10.21.2.11", "fd21::11"), false, null),
                redirect("down", "10.21.9.102", null, List.of(), false, "edge")));
        assertEquals("""
                table inet l3t
                delete table inet l3t
                table inet l3t {
                \tchain prerouting {
                \t\ttype nat hook prerouting priority dstnat; policy accept;
                \t\tiifname "l3-c1" ip daddr 10.21.9.100 tcp dport 80 dnat ip to numgen inc mod 2 \
                map { 0 : 10.21.2.11, 1 : 10.21.2.12 }:8080 comment "www"
                \t\tip6 daddr fd21:0:0:0:0:0:0:100 tcp dport 80 dnat ip6 to numgen inc mod 1 \
                map { 0 : fd21:0:0:0:0:0:0:11 }:8080 comment "www6"
                \t\tct state established,related accept comment "keeps redirected flows"
                \t}
                \tchain output {
                \t\ttype nat hook output priority -100; policy accept;
                \t\tip6 daddr fd21:0:0:0:0:0:0:100 tcp dport 80 dnat ip6 to numgen inc mod 1 \
                map { 0 : fd21:0:0:0:0:0:0:11 }:8080 comment "www6"
                \t}
                \tchain tag {
                \t\ttype filter hook prerouting priority mangle; policy accept;
                \t\tiifname "l3-c1" ip daddr 10.21.9.100 tcp dport 80 meta mark set 0x00000010 \
                ct mark set meta mark comment "www"
                \t}
                }
                """, script);
    }

    /**
     * relayd's DNS example: one service on tcp and udp port 53, each with its own rule (the
     * same host choice), in prerouting and, without an interface, in the local output chain;
     * its tag likewise marks local connections too.
     */
    @Test
    void tcpAndUdpVirtualHostsOfOneServiceGoldenScript() {
        List<InetAddress> dns = ips("10.21.2.11", "10.21.2.12");
        String script = NftScript.render("l3t", List.of(new L3Backend.Redirect("dns",
                List.of(tcp("10.21.9.53", 53, null), udp("10.21.9.53", 53, null), udp("10.21.9.54", 514, "l3-c1")),
                dns, 5353, false, "0x10")));
        assertEquals("""
                table inet l3t
                delete table inet l3t
                table inet l3t {
                	chain prerouting {
                		type nat hook prerouting priority dstnat; policy accept;
                		ip daddr 10.21.9.53 tcp dport 53 dnat ip to numgen inc mod 2 \
                map { 0 : 10.21.2.11, 1 : 10.21.2.12 }:5353 comment "dns"
                		ip daddr 10.21.9.53 udp dport 53 dnat ip to numgen inc mod 2 \
                map { 0 : 10.21.2.11, 1 : 10.21.2.12 }:5353 comment "dns"
                		iifname "l3-c1" ip daddr 10.21.9.54 udp dport 514 dnat ip to numgen inc mod 2 \
                map { 0 : 10.21.2.11, 1 : 10.21.2.12 }:5353 comment "dns"
                		ct state established,related accept comment "keeps redirected flows"
                	}
                	chain output {
                		type nat hook output priority -100; policy accept;
                		ip daddr 10.21.9.53 tcp dport 53 dnat ip to numgen inc mod 2 \
                map { 0 : 10.21.2.11, 1 : 10.21.2.12 }:5353 comment "dns"
                		ip daddr 10.21.9.53 udp dport 53 dnat ip to numgen inc mod 2 \
                map { 0 : 10.21.2.11, 1 : 10.21.2.12 }:5353 comment "dns"
                	}
                	chain tag {
                		type filter hook prerouting priority mangle; policy accept;
                		ip daddr 10.21.9.53 tcp dport 53 meta mark set 0x00000010 ct mark set meta mark comment "dns"
                		ip daddr 10.21.9.53 udp dport 53 meta mark set 0x00000010 ct mark set meta mark comment "dns"
                		iifname "l3-c1" ip daddr 10.21.9.54 udp dport 514 meta mark set 0x00000010 \
                ct mark set meta mark comment "dns"
                	}
                	chain tag-local {
                		type route hook output priority mangle; policy accept;
                		ip daddr 10.21.9.53 tcp dport 53 meta mark set 0x00000010 ct mark set meta mark comment "dns"
                		ip daddr 10.21.9.53 udp dport 53 meta mark set 0x00000010 ct mark set meta mark comment "dns"
                	}
                }
                """, script);
    }

    @Test
    void stickyUdpHashesTheClientAsTcpDoes() {
        String script = NftScript.render("l3t", List.of(new L3Backend.Redirect("dns",
                List.of(udp("fd21::53", 53, null)), ips("fd21::12"), 53, true, null, ips("fd21::11", "fd21::12"))));
        assertTrue(script.contains("ip6 daddr fd21:0:0:0:0:0:0:53 udp dport 53 dnat ip6 to jhash ip6 saddr mod 64 seed 0x"),
                script);
        assertTrue(script.contains("63 : fd21:0:0:0:0:0:0:12 }:53 comment \"dns\""), script);
    }

    @Test
    void stickyUsesAHashOfTheClientOverFixedSlots() {
        String script = NftScript.render("l3t", List.of(redirect("s\"x", "10.21.9.100", null,
                ips("10.21.2.11", "10.21.2.12"), true, null)));
        assertTrue(script.contains("dnat ip to jhash ip saddr mod 64 seed 0x"), script);
        assertTrue(script.contains("63 : 10.21.2.12 }:8080 comment \"s_x\""), script);
        assertEquals(66, NftScript.stickySlots(hosts(3), hosts(3)).size(), "the same number for each host");
        assertEquals(300, NftScript.stickySlots(hosts(300), hosts(300)).size(), "one a host for a large table");
    }

    /**
     * Only the clients of a host that fails move, whichever hosts failed before, and only they
     * move back when it returns (probe I of session 57: a second failure moved clients between
     * hosts that stayed up); the order of the host lines does not matter; the shares are even.
     */
    @Test
    void aFailedHostMovesOnlyItsOwnStickyClients() {
        for (int size : new int[] {4, 300}) {
            List<InetAddress> pool = hosts(size);
            List<InetAddress> all = NftScript.stickySlots(pool, pool);
            List<InetAddress> up = new ArrayList<>(pool);
            up.remove(pool.get(0));
            List<InetAddress> firstDown = NftScript.stickySlots(pool, up);
            up.remove(pool.get(size - 1));
            List<InetAddress> twoDown = NftScript.stickySlots(pool, up);
            for (int i = 0; i < all.size(); i++) {
                if (!all.get(i).equals(pool.get(0))) {
                    assertEquals(all.get(i), firstDown.get(i), size + " hosts, slot " + i + " after one failure");
                }
                if (!firstDown.get(i).equals(pool.get(size - 1))) {
                    assertEquals(firstDown.get(i), twoDown.get(i), size + " hosts, slot " + i + " after a second failure");
                }
            }
            for (InetAddress h : pool) {
                assertEquals(all.size() / size, all.stream().filter(h::equals).count(), h + "'s share");
            }
            List<InetAddress> reversed = new ArrayList<>(pool);
            java.util.Collections.reverse(reversed);
            assertEquals(all, NftScript.stickySlots(reversed, reversed), "the order of the host lines");
        }
    }

    private static List<InetAddress> hosts(int n) {
        List<InetAddress> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(ip("10.21." + (2 + i / 250) + "." + (1 + i % 250)));
        }
        return out;
    }

    @Test
    void tagsMapToMarks() {
        assertEquals(16, NftScript.mark("0x10"));
        assertEquals(42, NftScript.mark("42"));
        assertEquals(NftScript.mark("edge"), NftScript.mark("edge"));
        assertTrue(NftScript.mark("edge") > 0);
    }

    @Test
    void removalTouchesOnlyTheOwnTable() {
        assertEquals("table inet l3t\ndelete table inet l3t\n", NftScript.remove("l3t"));
    }

    /**
     * A previous run's table is counted by its prerouting rules, one per virtual host: the
     * output chain repeats those without an interface (nft 1.0.6's listing of 4 virtual hosts,
     * one with an interface, said "7 redirection rule(s)").
     */
    @Test
    void aPreviousRunsRulesAreCountedOncePerVirtualHost() {
        String listing = """
                table inet hoststated {
                \tchain prerouting {
                \t\ttype nat hook prerouting priority dstnat; policy accept;
                \t\tip daddr 10.77.9.100 tcp dport 80 dnat ip to numgen inc mod 2 map { 0 : 10.77.2.12, 1 : 10.77.2.13 }:8080 comment "www"
                \t\tiifname "lpc1" ip daddr 10.77.9.101 tcp dport 80 dnat ip to numgen inc mod 1 map { 0 : 10.77.2.12 }:8080 comment "if"
                \t\tip6 daddr fd77::9:100 tcp dport 80 dnat ip6 to numgen inc mod 1 map { 0 : fd77::2:11 }:8080 comment "www6"
                \t\tip daddr 10.77.9.102 udp dport 53 dnat ip to numgen inc mod 1 map { 0 : 10.77.2.12 }:53 comment "dns"
                \t}

                \tchain output {
                \t\ttype nat hook output priority -100; policy accept;
                \t\tip daddr 10.77.9.100 tcp dport 80 dnat ip to numgen inc mod 2 map { 0 : 10.77.2.12, 1 : 10.77.2.13 }:8080 comment "www"
                \t\tip6 daddr fd77::9:100 tcp dport 80 dnat ip6 to numgen inc mod 1 map { 0 : fd77::2:11 }:8080 comment "www6"
                \t\tip daddr 10.77.9.102 udp dport 53 dnat ip to numgen inc mod 1 map { 0 : 10.77.2.12 }:53 comment "dns"
                \t}
                }
                """;
        assertEquals(4, NftBackend.redirections(listing));
        assertEquals(0, NftBackend.redirections("table inet hoststated {\n}\n"));
    }

    @Test
    void aScriptAndTheListingOfItsTableHaveTheSameRulesPerChain() {
        String script = NftScript.render("hoststated", List.of(redirect("www", "10.77.9.100", null,
                ips("10.77.2.12", "10.77.2.13"), false, "7")));
        String listing = """
                table inet hoststated {
                \tchain prerouting {
                \t\ttype nat hook prerouting priority dstnat; policy accept;
                \t\tip daddr 10.77.9.100 tcp dport 80 dnat ip to numgen inc mod 2 map { 0 : 10.77.2.12, 1 : 10.77.2.13 }:8080 comment "www"
                \t\tct state established,related accept comment "keeps redirected flows"
                \t}

                \tchain output {
                \t\ttype nat hook output priority -100; policy accept;
                \t\tip daddr 10.77.9.100 tcp dport 80 dnat ip to numgen inc mod 2 map { 0 : 10.77.2.12, 1 : 10.77.2.13 }:8080 comment "www"
                \t}

                \tchain tag {
                \t\ttype filter hook prerouting priority mangle; policy accept;
                \t\tip daddr 10.77.9.100 tcp dport 80 meta mark set 0x00000007 ct mark set meta mark comment "www"
                \t}

                \tchain tag-local {
                \t\ttype route hook output priority mangle; policy accept;
                \t\tip daddr 10.77.9.100 tcp dport 80 meta mark set 0x00000007 ct mark set meta mark comment "www"
                \t}
                }
                """;
        assertEquals(Map.of("prerouting", 2, "output", 1, "tag", 1, "tag-local", 1), NftBackend.rulesPerChain(script));
        assertEquals(NftBackend.rulesPerChain(script), NftBackend.rulesPerChain(listing));
        String edited = listing.replace("\t\ttype nat hook output", "\t\tip daddr 10.77.9.100 drop\n\t\ttype nat hook output");
        assertEquals(Map.of("prerouting", 2, "output", 2, "tag", 1, "tag-local", 1), NftBackend.rulesPerChain(edited));
        assertEquals(Map.of(), NftBackend.rulesPerChain("table inet hoststated {\n}\n"));
    }
}
