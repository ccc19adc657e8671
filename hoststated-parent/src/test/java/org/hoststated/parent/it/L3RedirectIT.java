package org.hoststated.parent.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Layer-3 redirection end to end, with nftables in network namespaces (root needed; skipped
 * otherwise): the daemon runs in the balancer's namespace and checks real backends in
 * another; a client in a third connects to the virtual addresses. The steps build on each
 * other: all hosts up, sticky clients, a host failing, the backup table serving and giving
 * back (with its demote group), a disabled service, a restarted pfe, a second daemon in the
 * same namespace, and the stop.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class L3RedirectIT {
    private static final String CONFIG = """
            interval 1
            timeout 300
            table web {
            \treal port 8080
            \tcheck tcp
            \thost 10.21.2.11
            \thost 10.21.2.12
            \tdemote l3web
            }
            table spare {
            \treal port 8080
            \tcheck tcp
            \thost 10.21.2.21
            }
            service www {
            \tvirtual host 10.21.9.100 port 80
            \ttable web
            \tbackup table spare
            \ttag 0x22
            }
            service sticky {
            \tvirtual host 10.21.9.101 port 80 interface l3-c1
            \ttable web
            \tsticky-address
            \ttag 0x21
            }
            table web6 {
            \treal port 8080
            \tcheck tcp
            \thost fd21::2:11
            }
            service www6 {
            \tvirtual host fd21::9:100 port 80
            \ttable web6
            }
            relay viawww {
            \tlisten on 10.21.1.1 port 8081
            \tservice www
            }
            """;
    /** A second daemon in the balancer's namespace, with relays only (and nftables by default). */
    private static final String RELAYS_ONLY = """
            table r {
            \treal port 8080
            \tcheck tcp
            \thost 10.21.2.21
            }
            relay r {
            \tlisten on 10.21.2.1 port 7070
            \ttable r
            }
            """;
    private static final Duration WAIT = Duration.ofSeconds(15);
    /**
     * The bound asserted on the delay from a host's state change to the kernel's rule change.
     * The target is 100 ms (24 ms median in bench/l3); a shared, loaded machine has shown
     * 180 ms for one sample, so the test asserts what would catch a real regression (the
     * original's lag of a whole check interval) without failing on a busy machine.
     */
    private static final long RULE_DELAY_MS = 500;
    private static final Pattern APPLIED = Pattern.compile("rules applied (\\d+) ms after the change");
    private static final String[] CLIENTS = {"10.21.1.2", "10.21.1.3", "10.21.1.4"};

    private L3Fixture l3;
    private final Map<String, String> stickyChoice = new HashMap<>();

    @BeforeAll
    void start() throws Exception {
        l3 = L3Fixture.openOrSkip("l3");
        l3.startBackends("serve", "10.21.2.11/8080", "10.21.2.12/8080", "10.21.2.21/8080", "fd21::2:11/8080");
        l3.startDaemon(CONFIG);
    }

    @AfterAll
    void stop() throws Exception {
        if (l3 != null) {
            l3.close();
        }
    }

    /** The DNAT rule for a virtual address, or "" when there is none. */
    private String rule(String vip) throws IOException {
        return l3.netns.rules().lines().filter(l -> l.contains(vip + " ") && l.contains(" dnat ")).findFirst()
                .orElse("");
    }

    private void awaitRule(String what, String vip, Predicate<String> ok) {
        l3.daemon.daemon.awaitLogged(what, WAIT, () -> ok.test(rule(vip)));
    }

    private static Set<String> answers(List<String> lines) {
        return new TreeSet<>(lines.stream().map(l -> l.substring(l.lastIndexOf(' ') + 1)).toList());
    }

    @Test
    @Order(1)
    void trafficReachesEveryHostThatIsUp() throws Exception {
        awaitRule("both hosts in the rule", "10.21.9.100", r -> r.contains("10.21.2.11") && r.contains("10.21.2.12"));
        awaitRule("sticky rule", "10.21.9.101", r -> r.contains("jhash ip saddr"));
        assertEquals(Set.of("10.21.2.11", "10.21.2.12"), answers(L3Netns.fetch("10.21.9.100", 8)));
        String rules = l3.netns.rules();
        assertTrue(rules.contains("iifname \"l3-c1\" ip daddr 10.21.9.101"), rules);
        assertTrue(rules.contains("meta mark set 0x00000021"), rules);
        assertFalse(rules.contains("10.21.2.21"), "the backup table is not used while the main one serves");
        assertEquals(0, l3.daemon.demoteLevel("l3web"));
    }

    /**
     * pfe writes the rules above as the unprivileged user with CAP_NET_ADMIN alone, on every
     * thread that may write them and in the programs it runs (ambient), and no exec gives it
     * more (an empty bounding set but for that one, no_new_privs). It ran as full root while
     * reading what both engines that face the network send it (probe G of session 56).
     */
    @Test
    @Order(1)
    void thePfEngineRunsAsTheUserWithTheNetworkCapabilityAlone() throws Exception {
        long pfe = l3.daemon.pfe().orElseThrow();
        int withIt = 0;
        try (var tasks = Files.list(java.nio.file.Path.of("/proc/" + pfe + "/task"))) {
            for (java.nio.file.Path t : tasks.toList()) {
                String status;
                try {
                    status = Files.readString(t.resolve("status"));
                } catch (java.nio.file.NoSuchFileException gone) {
                    continue;
                }
                assertTrue(status.contains("\nUid:\t65534\t65534\t65534\t65534"), status);
                assertTrue(status.contains("\nGid:\t65534\t65534\t65534\t65534"), status);
                assertTrue(status.contains("\nNoNewPrivs:\t1"), status);
                assertTrue(status.contains("\nSeccomp:\t2"), "the engines' filter: " + status);
                // The JVM's threads from before the drop have nothing; the others CAP_NET_ADMIN alone.
                boolean kept = status.contains("\nCapEff:\t0000000000001000");
                for (String set : List.of("CapPrm", "CapEff", "CapAmb")) {
                    assertTrue(status.contains("\n" + set + ":\t" + (kept ? "0000000000001000" : "0000000000000000")),
                            set + ":\n" + status);
                }
                if (kept) {
                    assertTrue(status.contains("\nCapBnd:\t0000000000001000"), status);
                    withIt++;
                }
            }
        }
        assertTrue(withIt >= 2, "the event loop and the rules' writer keep it: " + withIt);
    }

    /**
     * Connections the balancer opens itself never pass prerouting: a relay whose target is a
     * service, and a local client, reach the hosts through the nat output chain. The virtual
     * addresses are the balancer's own here, as they usually are (keepalived puts them on an
     * interface): a local connection needs a route to its destination before any rule sees it.
     */
    @Test
    @Order(1)
    void theBalancersOwnConnectionsAreRedirectedToo() throws Exception {
        awaitRule("both hosts in the rule", "10.21.9.100", r -> r.contains("10.21.2.11") && r.contains("10.21.2.12"));
        String vips = "ip route add local 10.21.9.0/24 dev lo";
        assertEquals(0, L3Netns.sh(L3Netns.in(L3Netns.LB, vips)).status());
        try {
            assertEquals(Set.of("10.21.2.11", "10.21.2.12"),
                    answers(L3Netns.fetchIn(L3Netns.LB, "10.21.9.100", 80, 6)));
            assertEquals(Set.of("10.21.2.11", "10.21.2.12"),
                    answers(L3Netns.fetchIn(L3Netns.CLI, "10.21.1.1", 8081, 6)));
            assertEquals(Set.of("-"), answers(L3Netns.fetchIn(L3Netns.LB, "10.21.9.101", 80, 1)),
                    "a virtual host on an interface is for packets arriving there only");
            // The service's tag marks its local connections as it marks those from outside.
            String tracked = L3Netns.sh(L3Netns.in(L3Netns.LB, "cat /proc/net/nf_conntrack")).text();
            assertTrue(tracked.lines().anyMatch(l -> l.contains("dst=10.21.9.100 ") && l.contains(" mark=34 ")),
                    tracked);
        } finally {
            L3Netns.sh(L3Netns.in(L3Netns.LB, vips.replace(" add ", " del ")));
        }
    }

    @Test
    @Order(1)
    void ipv6TrafficReachesItsHost() throws Exception {
        awaitRule("IPv6 rule", "fd21::9:100", r -> r.contains("dnat ip6 to") && r.contains("fd21::2:11"));
        assertEquals(Set.of("fd21::2:11"), answers(L3Netns.fetch("fd21::9:100", 3)));
    }

    @Test
    @Order(2)
    void stickyClientsStayOnTheirHost() throws Exception {
        for (String line : L3Netns.fetch("10.21.9.101", 4, CLIENTS)) {
            String[] f = line.split(" ");
            String was = stickyChoice.putIfAbsent(f[0], f[1]);
            assertTrue(was == null || was.equals(f[1]), "client " + f[0] + " moved from " + was + " to " + f[1]);
            assertTrue(f[1].startsWith("10.21.2.1"), line);
        }
        assertEquals(CLIENTS.length, stickyChoice.size());
    }

    @Test
    @Order(3)
    void aFailedHostLeavesTheRulesQuickly() throws Exception {
        int before = appliedLines().size();
        long t0 = System.nanoTime();
        l3.backend("down 10.21.2.12");
        awaitRule(".12 out of the rule", "10.21.9.100", r -> !r.isEmpty() && !r.contains("10.21.2.12"));
        long endToEndMs = (System.nanoTime() - t0) / 1_000_000;
        // The kernel may show the rule a moment before pfe logs that it applied it.
        l3.daemon.daemon.awaitLogged("pfe's applied line", WAIT, () -> appliedLines().size() > before);
        long delay = appliedLines().get(before);
        System.out.printf("l3: host down to rule change %d ms end to end (check interval 1 s), "
                + "state change to kernel rule %d ms%n", endToEndMs, delay);
        assertTrue(delay <= RULE_DELAY_MS, "state change to rule took " + delay + " ms");
        assertTrue(endToEndMs <= 1000 + 300 + RULE_DELAY_MS + 500, "detection plus rule change: " + endToEndMs);
        assertEquals(Set.of("10.21.2.11"), answers(L3Netns.fetch("10.21.9.100", 6)));
        for (String line : L3Netns.fetch("10.21.9.101", 2, CLIENTS)) {
            String[] f = line.split(" ");
            assertEquals("10.21.2.11", f[1], line);
            if (stickyChoice.get(f[0]).equals("10.21.2.11")) {
                assertEquals(stickyChoice.get(f[0]), f[1], "a client of a host that stayed up did not move");
            }
        }
    }

    @Test
    @Order(4)
    void theBackupTableServesWhenTheMainOneIsDown() throws Exception {
        l3.backend("down 10.21.2.11");
        awaitRule("backup host in the rule", "10.21.9.100", r -> r.contains("10.21.2.21") && !r.contains("10.21.2.11")
                && !r.contains("10.21.2.12"));
        assertEquals("", rule("10.21.9.101"), "a service without backup has no rule when its table is down");
        assertEquals(Set.of("10.21.2.21"), answers(L3Netns.fetch("10.21.9.100", 4)));
        l3.daemon.daemon.awaitLogged("demote file at 1", WAIT, () -> l3.daemon.demoteLevel("l3web") == 1);
        assertTrue(l3.daemon.daemon.ctl("show", "summary").output().contains("active (using backup table)"));
    }

    @Test
    @Order(5)
    void theMainTableTakesBackWhenAHostReturns() throws Exception {
        l3.backend("up 10.21.2.11");
        awaitRule("main host back", "10.21.9.100", r -> r.contains("10.21.2.11") && !r.contains("10.21.2.21"));
        assertEquals(Set.of("10.21.2.11"), answers(L3Netns.fetch("10.21.9.100", 4)));
        l3.daemon.daemon.awaitLogged("demote file at 0", WAIT, () -> l3.daemon.demoteLevel("l3web") == 0);
    }

    @Test
    @Order(6)
    void aDisabledServiceHasNoRuleAndLeavesItsTableToTheOtherService() throws Exception {
        assertEquals(0, l3.daemon.daemon.ctl("service", "disable", "www").status());
        awaitRule("www rule gone", "10.21.9.100", String::isEmpty);
        // sticky shares table web with www: an operator disabling www must not take it from sticky.
        assertTrue(rule("10.21.9.101").contains("10.21.2.11"), rule("10.21.9.101"));
        assertTrue(answers(L3Netns.fetch("10.21.9.100", 1)).equals(Set.of("-")));
        assertEquals(Set.of("10.21.2.11"), answers(L3Netns.fetch("10.21.9.101", 2, CLIENTS)));
        assertTrue(l3.daemon.daemon.logText().contains("pfe: service www (id 0) disabled by control client "),
                l3.daemon.daemon.logText());
        assertTrue(l3.daemon.daemon.logText().contains("; table web (id 0) stays enabled for service sticky"));
        assertEquals(0, l3.daemon.daemon.ctl("service", "enable", "0").status());
        awaitRule("www rule back", "10.21.9.100", r -> r.contains("10.21.2.11"));
        assertTrue(rule("10.21.9.101").contains("10.21.2.11"), rule("10.21.9.101"));
    }

    @Test
    @Order(7)
    void aRestartedPfeKeepsTheRulesMeanwhileAndDemotesOnce() throws Exception {
        l3.backend("down 10.21.2.11");
        l3.daemon.daemon.awaitLogged("demoted again", WAIT, () -> l3.daemon.demoteLevel("l3web") == 1);
        long pfe = l3.daemon.pfe().orElseThrow();
        int demotions = count("incremented the demote state of group 'l3web'");
        ProcessHandle.of(pfe).ifPresent(ProcessHandle::destroyForcibly);
        l3.daemon.daemon.awaitLogged("a new pfe", WAIT, () -> l3.daemon.pfe().filter(p -> p != pfe).isPresent());
        assertTrue(rule("10.21.9.100").contains("10.21.2.21"), "the kernel keeps serving while pfe restarts");
        l3.daemon.daemon.awaitLogged("the new pfe's demotion", WAIT,
                () -> count("incremented the demote state of group 'l3web'") > demotions);
        assertEquals(1, l3.daemon.demoteLevel("l3web"), "the old pfe's demotion was given back first");
        awaitRule("rules rewritten by the new pfe", "10.21.9.100", r -> r.contains("10.21.2.21"));
    }

    @Test
    @Order(8)
    void aSecondDaemonInTheNamespaceIsRefusedAndOneWithRelaysOnlyLeavesTheTableAlone() throws Exception {
        String before = l3.netns.rules();
        try (L3Daemon second = new L3Daemon(Files.createDirectories(l3.dir.resolve("second")))) {
            assertEquals(1, second.startRefused(CONFIG), second.daemon.logText());
            assertTrue(second.daemon.logText().contains("another hoststated drives nftables table inet hoststated"),
                    second.daemon.logText());
        }
        try (L3Daemon relays = new L3Daemon(Files.createDirectories(l3.dir.resolve("relays")))) {
            relays.start(RELAYS_ONLY);
            relays.daemon.awaitLogged("the relay-only daemon ready", WAIT,
                    () -> relays.daemon.logText().contains("ready in"));
            // Long enough for the first daemon's read-back to see a change, had there been one.
            Thread.sleep(1500);
            relays.stop();
        }
        assertEquals(before, l3.netns.rules(), "the table was left alone");
        assertFalse(l3.daemon.daemon.logText().contains("by someone else"), l3.daemon.daemon.logText());
    }

    @Test
    @Order(9)
    void stopRemovesTheRedirectionsAndGivesBackDemotions() throws Exception {
        l3.daemon.stop();
        // The table stays, without redirections, so that connections already redirected go on.
        String left = l3.netns.rules();
        assertFalse(left.contains(" dnat "), left);
        assertTrue(left.contains("table inet hoststated") && left.contains("keeps redirected flows"), left);
        assertEquals(0, l3.daemon.demoteLevel("l3web"));
    }

    private int count(String text) {
        return l3.daemon.daemon.logText().split(Pattern.quote(text), -1).length - 1;
    }

    /** The delays of pfe's "rules applied" lines so far. */
    private List<Long> appliedLines() {
        Matcher m = APPLIED.matcher(l3.daemon.daemon.logText());
        List<Long> out = new java.util.ArrayList<>();
        while (m.find()) {
            out.add(Long.parseLong(m.group(1)));
        }
        return out;
    }
}
