package org.hoststated.pfe.backend;

import static org.hoststated.pfe.backend.Redirects.ips;
import static org.hoststated.pfe.backend.Redirects.redirect;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The nftables backend against the real kernel, in a network namespace of its own (root and
 * nft needed; skipped otherwise): the table is written, changed, read back and replaced, and
 * removed at stop, and another table in the namespace is never touched; a table removed or
 * edited by someone else is written again.
 */
class NftBackendNetnsTest {
    /** {@code -Dhoststated.it.netns=lk} names it lk-unit: two people can run the tests on one machine. */
    private static final String NS = System.getProperty("hoststated.it.netns", "l3") + "-unit";
    private static final List<String> NFT = List.of("ip", "netns", "exec", NS, "nft");
    private static final CommandRunner RUN = CommandRunner.processes(10_000);
    private final List<InetAddress> web = ips("10.21.2.11", "10.21.2.12");

    @BeforeAll
    static void namespace() throws Exception {
        assumeTrue("root".equals(System.getProperty("user.name")), "needs root for network namespaces");
        run(List.of("ip", "netns", "del", NS));
        assumeTrue(run(List.of("ip", "netns", "add", NS)).ok(), "cannot create a network namespace");
        assumeTrue(run(List.of("ip", "netns", "exec", NS, "nft", "add", "table", "ip", "l3other")).ok(),
                "nft is not usable");
    }

    @AfterAll
    static void removeNamespace() throws Exception {
        run(List.of("ip", "netns", "del", NS));
    }

    private static CommandRunner.Result run(List<String> argv) throws L3Exception {
        return RUN.run(argv, "");
    }

    private static String list() throws L3Exception {
        CommandRunner.Result r = run(List.of("ip", "netns", "exec", NS, "nft", "list", "ruleset"));
        return r.stdout();
    }

    private static void apply(NftBackend b, List<L3Backend.Redirect> r) throws InterruptedException {
        b.apply(r, List.of(), System.nanoTime());
        assertTrue(b.awaitApplied(10_000));
    }

    @Test
    void writesChangesReplacesAndRemovesItsOwnTableOnly() throws Exception {
        NftBackend b = new NftBackend(Nft.program(RUN, NFT), "l3test", false);
        b.start();
        apply(b, List.of(redirect("www", "10.21.9.100", null, web, false, "0x10")));
        String rules = list();
        assertTrue(rules.contains("ip daddr 10.21.9.100 tcp dport 80 dnat ip to numgen inc mod 2 "
                + "map { 0 : 10.21.2.11, 1 : 10.21.2.12 }:8080 comment \"www\""), rules);
        assertTrue(rules.contains("meta mark set 0x00000010 ct mark set meta mark"), rules);
        apply(b, List.of(redirect("www", "10.21.9.100", null, ips("10.21.2.12"), false, null)));
        rules = list();
        assertTrue(rules.contains("numgen inc mod 1 map { 0 : 10.21.2.12 }:8080"), rules);
        assertFalse(rules.contains("10.21.2.11"), rules);
        apply(b, List.of(redirect("www", "10.21.9.100", null, List.of(), false, null)));
        assertFalse(list().contains("dnat"), "no host up, no rule");
        b.close();
        rules = list();
        assertFalse(rules.contains("l3test"), rules);
        assertTrue(rules.contains("table ip l3other"), "another table is never touched");
    }

    @Test
    void keepsRulesAtStopAndTheNextRunReplacesThem() throws Exception {
        NftBackend first = new NftBackend(Nft.program(RUN, NFT), "l3keep", true);
        first.start();
        apply(first, List.of(redirect("www", "10.21.9.100", null, web, true, null)));
        first.close();
        assertTrue(list().contains("jhash ip saddr mod 64"), "kept at stop");
        NftBackend second = new NftBackend(Nft.program(RUN, NFT), "l3keep", false);
        second.start();
        assertTrue(list().contains("jhash ip saddr mod 64"), "kept until the first state");
        apply(second, List.of(redirect("www", "10.21.9.101", null, ips("10.21.2.11"), false, null)));
        String rules = list();
        assertFalse(rules.contains("10.21.9.100"), rules);
        // One rule for forwarded connections (prerouting), one for the balancer's own (output).
        assertEquals(2, rules.lines().filter(l -> l.contains(" dnat ")).count(), rules);
        second.close();
        assertFalse(list().contains("l3keep"));
    }

    @Test
    void aTableRemovedOrEditedBySomeoneElseIsWrittenAgain() throws Exception {
        // Closed whatever happens: a table left behind fails the tests after this one.
        try (NftBackend b = new NftBackend(Nft.program(RUN, NFT), "l3drift", false)) {
            b.start();
            apply(b, List.of(redirect("www", "10.21.9.100", null, web, false, null)));
            String mine = table("l3drift");
            assertTrue(mine.contains("dnat ip to numgen inc mod 2"), mine);
            // What a restart of the system's nftables service does to every table.
            assertTrue(run(List.of("ip", "netns", "exec", NS, "nft", "delete", "table", "inet", "l3drift")).ok());
            awaitTable(b, "l3drift", mine);
            assertTrue(run(List.of("ip", "netns", "exec", NS, "nft", "add", "rule", "inet", "l3drift", "prerouting",
                    "ip", "daddr", "10.21.9.100", "drop")).ok());
            assertTrue(table("l3drift").contains("drop"));
            awaitTable(b, "l3drift", mine);
        }
        assertFalse(list().contains("l3drift"));
    }

    /**
     * A table nobody touches is not written again: the listing after the write is taken for
     * the table whatever its rules look like (sticky maps, marks, IPv6, interfaces, UDP). A
     * rewrite would show as a new table handle.
     */
    @Test
    void aTableLeftAloneIsNotWrittenAgain() throws Exception {
        List<InetAddress> web6 = ips("fd21::2:11", "fd21::2:12");
        L3Backend.Redirect mixed = new L3Backend.Redirect("mixed", List.of(Redirects.tcp("10.21.9.102", 80, "eth7"),
                Redirects.udp("10.21.9.102", 53, null), Redirects.tcp("fd21::9:102", 443, null)),
                ips("10.21.2.12", "fd21::2:11"), 8080, false, "mixed");
        try (NftBackend b = new NftBackend(Nft.program(RUN, NFT), "l3still", false)) {
            b.start();
            apply(b, List.of(redirect("www", "10.21.9.100", null, ips("10.21.2.11"), true, "0x10"),
                    redirect("www6", "fd21::9:100", null, web6, false, null), mixed));
            String first = handles("l3still");
            assertTrue(first.contains("jhash ip saddr mod 64") && first.contains("fd21::9:102")
                    && first.contains("udp dport 53") && first.contains("meta mark set"), first);
            Thread.sleep(3 * b.verifyPeriodMs());
            assertEquals(first, handles("l3still"), "written again though nobody touched it");
        }
    }

    /**
     * An nft that lists our chains with a line more than we wrote (as a future version might)
     * costs a few rewrites, then its listing is taken as it is: no rewrite every second.
     */
    @Test
    void anNftThatListsOtherLinesIsNotRewrittenForever() throws Exception {
        Nft real = Nft.program(RUN, NFT);
        Nft odd = script -> {
            CommandRunner.Result r = real.run(script);
            if (!script.startsWith("list table") || !r.ok()) {
                return r;
            }
            String more = r.stdout().replaceFirst("policy accept;\n", "policy accept;\n\t\tcomment \"odd\"\n");
            return new CommandRunner.Result(r.status(), more, r.stderr());
        };
        try (NftBackend b = new NftBackend(odd, "l3odd", false)) {
            b.start();
            apply(b, List.of(redirect("www", "10.21.9.100", null, web, false, null)));
            Thread.sleep((NftBackend.UNLIKE_MAX + 2) * b.verifyPeriodMs());
            String settled = handles("l3odd");
            Thread.sleep(3 * b.verifyPeriodMs());
            assertEquals(settled, handles("l3odd"), "still written again every comparison");
        }
    }

    /** The table listed with its handles: a rewrite gives it and its rules new ones. */
    private static String handles(String name) throws L3Exception {
        return run(List.of("ip", "netns", "exec", NS, "nft", "-a", "list", "table", "inet", name)).stdout();
    }

    /**
     * Someone edits the table between the backend's write and its listing of what it wrote
     * (the test's own wait-then-edit once hit that window): the edit is seen and undone all
     * the same.
     */
    @Test
    void anEditBetweenTheWriteAndItsListingIsUndone() throws Exception {
        Nft real = Nft.program(RUN, NFT);
        java.util.concurrent.atomic.AtomicBoolean editNext = new java.util.concurrent.atomic.AtomicBoolean();
        Nft editedAfterWrite = script -> {
            CommandRunner.Result r = real.run(script);
            if (script.contains("delete table") && editNext.getAndSet(false)) {
                assertTrue(run(List.of("ip", "netns", "exec", NS, "nft", "add", "rule", "inet", "l3race",
                        "prerouting", "ip", "daddr", "10.21.9.100", "drop")).ok());
            }
            return r;
        };
        try (NftBackend b = new NftBackend(editedAfterWrite, "l3race", false)) {
            b.start();
            editNext.set(true);
            apply(b, List.of(redirect("www", "10.21.9.100", null, web, false, null)));
            assertFalse(editNext.get());
            long end = System.nanoTime() + Math.max(10 * KernelWriter.VERIFY_MS, 3 * b.verifyPeriodMs()) * 1_000_000;
            while (table("l3race").contains("drop")) {
                assertTrue(System.nanoTime() < end, "the edit stayed: " + table("l3race"));
                Thread.sleep(50);
            }
            assertTrue(table("l3race").contains("dnat ip to numgen inc mod 2"), table("l3race"));
        }
        assertFalse(list().contains("l3race"));
    }

    /**
     * A host that goes down and comes back while the table cannot be written (here another
     * process owns it: {@code flags owner}): once writing works again, the state with the host
     * is written and its flows stay; they were cut as "down" before. A host still down when
     * writing works again has its flows cut.
     */
    @Test
    void aHostBackBeforeTheWriteWorksKeepsItsFlows() throws Exception {
        List<List<L3Backend.StateKill>> cut = new java.util.concurrent.CopyOnWriteArrayList<>();
        NftBackend b = new NftBackend(Nft.program(RUN, NFT), "l3own", false, (kills, stopping) -> {
            cut.add(kills);
            return new int[kills.size()];
        });
        b.start();
        try {
            apply(b, List.of(redirect("www", "10.21.9.100", null, web, false, null)));
            L3Backend.StateKill down12 = new L3Backend.StateKill("www", List.of(Redirects.tcp("10.21.9.100", 80, null)),
                    Redirects.ip("10.21.2.12"), 8080, "down");
            Process owner = new ProcessBuilder("ip", "netns", "exec", NS, "nft", "-i").redirectErrorStream(true).start();
            try {
                owner.getOutputStream().write("delete table inet l3own\nadd table inet l3own { flags owner; }\n"
                        .getBytes(java.nio.charset.StandardCharsets.US_ASCII));
                owner.getOutputStream().flush();
                awaitOwned("l3own");
                b.apply(List.of(redirect("www", "10.21.9.100", null, ips("10.21.2.11"), false, null)),
                        List.of(down12), System.nanoTime());
                assertTrue(b.awaitApplied(10_000));
                assertTrue(table("l3own").contains("flags owner"), "written though another process owns it");
                b.apply(List.of(redirect("www", "10.21.9.100", null, web, false, null)), List.of(), System.nanoTime());
                assertTrue(b.awaitApplied(10_000));
            } finally {
                owner.destroyForcibly().waitFor();
            }
            awaitWritten("l3own", "10.21.2.12");
            assertTrue(b.awaitApplied(10_000));
            assertEquals(List.of(), cut, "flows of a host that is up again were cut");

            b.apply(List.of(redirect("www", "10.21.9.100", null, ips("10.21.2.11"), false, null)),
                    List.of(down12), System.nanoTime());
            assertTrue(b.awaitApplied(10_000));
            assertEquals(List.of(List.of(down12)), cut, "a host that stays down has its flows cut");
        } finally {
            b.close();
        }
    }

    /** Waits until another process owns the table; returns its listing. */
    private static String awaitOwned(String name) throws Exception {
        long end = System.nanoTime() + 10_000_000_000L;
        while (!table(name).contains("flags owner")) {
            assertTrue(System.nanoTime() < end, "the table was not taken over: " + table(name));
            Thread.sleep(20);
        }
        return table(name);
    }

    /** Waits until the backend wrote its table again with {@code host} in it. */
    private static void awaitWritten(String name, String host) throws Exception {
        long end = System.nanoTime() + 10 * KernelWriter.VERIFY_MS * 1_000_000;
        while (!table(name).contains(host)) {
            assertTrue(System.nanoTime() < end, "not written again: " + table(name));
            Thread.sleep(50);
        }
    }

    private static String table(String name) throws L3Exception {
        return run(List.of("ip", "netns", "exec", NS, "nft", "list", "table", "inet", name)).stdout();
    }

    /**
     * Waits for the table to read {@code expected} again: the backend compares every second, or
     * less often when listing takes long (a fork of nft per listing here, on a loaded machine:
     * a full suite beside other builds once took more than 10 s), so the wait follows the
     * backend's period.
     */
    private static void awaitTable(NftBackend b, String name, String expected) throws Exception {
        long start = System.nanoTime();
        while (!table(name).equals(expected)) {
            long limitMs = Math.max(10 * KernelWriter.VERIFY_MS, 3 * b.verifyPeriodMs());
            assertTrue(System.nanoTime() - start < limitMs * 1_000_000,
                    "not written again within " + limitMs + " ms: " + table(name));
            Thread.sleep(50);
        }
    }
}
