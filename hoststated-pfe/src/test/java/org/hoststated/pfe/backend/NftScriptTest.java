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
                List.of(udp("fd21::53", 53, null)), ips("fd21::12"), 53, true, null)));
        assertTrue(script.contains("ip6 daddr fd21:0:0:0:0:0:0:53 udp dport 53 dnat ip6 to jhash ip6 saddr mod 1024 seed 0x"),
                script);
        assertTrue(script.contains("1023 : fd21:0:0:0:0:0:0:12 }:53 comment \"dns\""), script);
    }

    @Test
    void stickyUsesAHashOfTheClientOverFixedSlots() {
        String script = NftScript.render("l3t", List.of(redirect("s\"x", "10.21.9.100", null,
                ips("10.21.2.11", "10.21.2.12"), true, null)));
        assertTrue(script.contains("dnat ip to jhash ip saddr mod 1024 seed 0x"), script);
        assertTrue(script.contains(" }:8080 comment \"s_x\""), script);
        assertEquals(1024, NftScript.stickySlots(hosts(128), hosts(128)).size());
        assertEquals(129, NftScript.stickySlots(hosts(129), hosts(129)).size(), "a large table: one slot a host");
    }

    /**
     * Only the clients of a host that fails move, whichever hosts failed before, and only they
     * move back when it returns (probe I of session 57: a second failure moved clients between
     * hosts that stayed up).
     */
    @Test
    void aFailedHostMovesOnlyItsOwnStickyClients() {
        List<InetAddress> four = hosts(4);
        List<InetAddress> all = NftScript.stickySlots(four, four);
        List<InetAddress> firstDown = NftScript.stickySlots(four, four.subList(1, 4));
        List<InetAddress> twoDown = NftScript.stickySlots(four, four.subList(1, 3));
        for (int i = 0; i < all.size(); i++) {
            if (!all.get(i).equals(four.get(0))) {
                assertEquals(all.get(i), firstDown.get(i), "slot " + i + " after one failure");
            }
            if (!firstDown.get(i).equals(four.get(3))) {
                assertEquals(firstDown.get(i), twoDown.get(i), "slot " + i + " after a second failure");
            }
        }
        for (InetAddress h : four) {
            long share = all.stream().filter(h::equals).count();
            assertTrue(share > 1024 / 4 * 0.85 && share < 1024 / 4 * 1.15, h + " holds " + share + " of 1024 slots");
        }
    }

    /**
     * A host added by a reload takes slots only for itself, and the order of the host lines
     * does not matter (probe I: one host added moved 29 of 39 clients, a reordering all).
     */
    @Test
    void anAddedHostTakesOnlyItsShareAndTheOrderDoesNotMatter() {
        List<InetAddress> three = hosts(3);
        List<InetAddress> before = NftScript.stickySlots(three, three);
        List<InetAddress> four = new ArrayList<>(three);
        four.add(0, ip("10.21.2.99"));
        List<InetAddress> after = NftScript.stickySlots(four, four);
        int moved = 0;
        for (int i = 0; i < before.size(); i++) {
            if (!before.get(i).equals(after.get(i))) {
                assertEquals(ip("10.21.2.99"), after.get(i), "slot " + i + " moved between hosts that stayed");
                moved++;
            }
        }
        assertTrue(moved > 1024 / 4 * 0.85 && moved < 1024 / 4 * 1.15, "moved " + moved);
        List<InetAddress> reversed = new ArrayList<>(three);
        java.util.Collections.reverse(reversed);
        assertEquals(before, NftScript.stickySlots(reversed, reversed));
    }

    /**
     * A large table's slots are one a host, dealt in address order: a failure, a second one and
     * a return move only their own clients, and the order of the host lines does not matter.
     */
    @Test
    void aLargeTablesSlotsMoveOnlyWithTheirHosts() {
        List<InetAddress> pool = hosts(300);
        List<InetAddress> all = NftScript.stickySlots(pool, pool);
        assertEquals(300, all.size());
        assertEquals(300, new java.util.HashSet<>(all).size(), "one slot a host");
        List<InetAddress> up = new ArrayList<>(pool);
        up.remove(pool.get(7));
        List<InetAddress> oneDown = NftScript.stickySlots(pool, up);
        up.remove(pool.get(200));
        List<InetAddress> twoDown = NftScript.stickySlots(pool, up);
        for (int i = 0; i < all.size(); i++) {
            if (!all.get(i).equals(pool.get(7))) {
                assertEquals(all.get(i), oneDown.get(i), "slot " + i + " after one failure");
            }
            if (!oneDown.get(i).equals(pool.get(200))) {
                assertEquals(oneDown.get(i), twoDown.get(i), "slot " + i + " after a second failure");
            }
        }
        List<InetAddress> reversed = new ArrayList<>(pool);
        java.util.Collections.reverse(reversed);
        assertEquals(all, NftScript.stickySlots(reversed, reversed));
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
