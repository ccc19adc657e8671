package org.hoststated.parent.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * What {@code l3 keep rules} promises when the health check engine cannot check, and how soon
 * an enabled host serves again, with the real daemon and nftables in network namespaces (root
 * needed; skipped otherwise; {@code -Dhoststated.it.netns=PREFIX} names them). A first daemon
 * leaves its rules at stop; a daemon without services warns of them and leaves them alone; a
 * second starts with every health check engine it spawns stopped
 * (SIGSTOP, as hung), keeps those rules past pfe's 30 s limit, and replaces them once its hce
 * runs again. Then it is reloaded with a long interval and a host is disabled and enabled.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class L3KeepIT {
    private static final String CONFIG = """
            interval %d
            timeout 500
            l3 keep rules
            table web {
            \treal port 29080
            \tcheck tcp
            \thost 10.21.2.11
            \thost 10.21.2.12
            }
            service www {
            \tvirtual host 10.21.9.100 port 29080
            \ttable web
            }
            """;
    private static final Duration WAIT = Duration.ofSeconds(15);
    private static final String HCE = "hoststated: health check engine";

    private L3Fixture l3;

    @BeforeAll
    void start() throws Exception {
        l3 = L3Fixture.openOrSkip("l3keep");
        l3.startBackends("serve", "10.21.2.11/29080", "10.21.2.12/29080");
    }

    @AfterAll
    void stop() throws Exception {
        if (l3 != null) {
            l3.close();
        }
    }

    private static Daemon daemonIn(Path d) throws IOException {
        Files.createDirectories(d);
        return new Daemon(d, Path.of(System.getProperty("hoststated.it.socket", d.resolve("hoststated.sock").toString())));
    }

    /** The DNAT rule of the virtual address, or "" when there is none. */
    private String rule() throws IOException {
        return l3.netns.rules().lines().filter(l -> l.contains("10.21.9.100 ") && l.contains(" dnat ")).findFirst()
                .orElse("");
    }

    private void awaitRule(String what, Predicate<String> ok) {
        l3.daemon.daemon.awaitLogged(what, WAIT, () -> ok.test(rule()));
    }

    private static Set<String> answers(List<String> lines) {
        return new TreeSet<>(lines.stream().map(l -> l.substring(l.lastIndexOf(' ') + 1)).toList());
    }

    private String summaryLine(String prefix) throws Exception {
        return l3.daemon.daemon.ctl("show", "summary").output().lines().filter(l -> l.startsWith(prefix)).findFirst()
                .orElse("");
    }

    @Test
    @Order(1)
    void keptRulesStayWhileTheHealthCheckEngineCannotCheck() throws Exception {
        try (L3Daemon first = new L3Daemon(daemonIn(l3.dir.resolve("first")))) {
            l3.daemon = first;
            first.start(CONFIG.formatted(1));
            awaitRule("both hosts in the first daemon's rule", r -> r.contains("10.21.2.11") && r.contains("10.21.2.12"));
            first.stop();
        }
        String kept = rule();
        assertTrue(kept.contains("10.21.2.11") && kept.contains("10.21.2.12"), "l3 keep rules: " + l3.netns.rules());
        // A daemon without services leaves the table alone, and now says that it redirects
        // clients to hosts nobody checks (it said nothing).
        try (L3Daemon relayOnly = new L3Daemon(daemonIn(l3.dir.resolve("relay-only")))) {
            relayOnly.start("relay r {\n\tlisten on 127.0.0.1 port 29181\n\tforward to 10.21.2.11 port 29080\n}\n");
            relayOnly.daemon.awaitLogged("the warning of a table no daemon owns", WAIT,
                    () -> relayOnly.daemon.logText().contains("of an earlier run still redirects clients"));
            relayOnly.stop();
        }
        assertEquals(kept, rule(), "left as it was");
        // While no daemon runs, .12 fails: the kept rule still sends clients there.
        l3.backend("down 10.21.2.12");

        l3.daemon = new L3Daemon(daemonIn(l3.dir.resolve("second")));
        HceStopper stopper = new HceStopper(l3.daemon);
        stopper.start(); // before the daemon: its hce must not check even once
        long t0 = System.nanoTime();
        try {
            l3.daemon.start(CONFIG.formatted(1));
            l3.daemon.daemon.awaitLogged("the hce stopped", WAIT, () -> !stopper.stopped.isEmpty());
            l3.daemon.daemon.awaitLogged("pfe's warning at its 30 s limit", Duration.ofSeconds(45),
                    () -> l3.daemon.daemon.logText().contains("the rules of a previous run stay in the kernel"));
            long warnedMs = (System.nanoTime() - t0) / 1_000_000;
            Thread.sleep(1500); // had pfe written at the limit, the rule would have gone by now
            assertEquals(kept, rule(), "the kept rule is untouched " + warnedMs + " ms after start");
            // Fail-static: the kept rule serves, .12 too though it went down meanwhile ("-").
            assertTrue(answers(L3Netns.fetchIn(L3Netns.CLI, "10.21.9.100", 29080, 4)).contains("10.21.2.11"),
                    "clients are still served by the kept rule");
            assertTrue(summaryLine("service").contains("kept (previous run's rules)"), summaryLine("service"));
            assertTrue(l3.daemon.daemon.logText().contains("host(s) not checked 30 s after start"),
                    l3.daemon.daemon.logText());
            System.out.printf("l3 keep: kept rule in place %d ms after start with hce stopped (%d hce(s) stopped)%n",
                    warnedMs + 1500, stopper.stopped.size());
        } finally {
            stopper.release();
        }
        long t1 = System.nanoTime();
        awaitRule("the rule of checked hosts", r -> r.contains("10.21.2.11") && !r.contains("10.21.2.12"));
        long replacedMs = (System.nanoTime() - t1) / 1_000_000;
        assertTrue(l3.daemon.daemon.logText().contains("the rules of a previous run are replaced now"),
                l3.daemon.daemon.logText());
        assertTrue(summaryLine("service").contains("active"), summaryLine("service"));
        System.out.printf("l3 keep: rule replaced %d ms after hce was let run again%n", replacedMs);
        l3.backend("up 10.21.2.12");
        awaitRule(".12 back", r -> r.contains("10.21.2.12"));
    }

    /**
     * hoststatectl host enable / table enable: the host is checked at once and back in the
     * rule within a second, not at the next round up to the interval (30 s here) later.
     */
    @Test
    @Order(2)
    void anEnabledHostOrTableServesAgainWithoutWaitingForTheNextRound() throws Exception {
        l3.daemon.daemon.writeConfig(l3.daemon.globals() + CONFIG.formatted(30));
        assertEquals(0, l3.daemon.daemon.ctl("reload").status());
        l3.daemon.daemon.awaitLogged("reload", WAIT,
                () -> l3.daemon.daemon.logText().contains("configuration 2 running"));
        awaitRule("both hosts", r -> r.contains("10.21.2.11") && r.contains("10.21.2.12"));

        assertEquals(0, l3.daemon.daemon.ctl("host", "disable", "10.21.2.12").status());
        awaitRule(".12 out", r -> !r.contains("10.21.2.12"));
        long t0 = System.nanoTime();
        assertEquals(0, l3.daemon.daemon.ctl("host", "enable", "10.21.2.12").status());
        awaitRule(".12 back", r -> r.contains("10.21.2.12"));
        long hostMs = (System.nanoTime() - t0) / 1_000_000;

        assertEquals(0, l3.daemon.daemon.ctl("table", "disable", "web").status());
        awaitRule("no rule", String::isEmpty);
        t0 = System.nanoTime();
        assertEquals(0, l3.daemon.daemon.ctl("table", "enable", "web").status());
        awaitRule("both hosts back", r -> r.contains("10.21.2.11") && r.contains("10.21.2.12"));
        long tableMs = (System.nanoTime() - t0) / 1_000_000;
        System.out.printf("enable: host back in the rule %d ms after host enable, table %d ms after table enable"
                + " (interval 30 s; both include hoststatectl's JVM start)%n", hostMs, tableMs);
        assertTrue(hostMs < 5000 && tableMs < 5000, hostMs + " / " + tableMs + " ms");
        assertTrue(l3.daemon.daemon.hostLine("10.21.2.12").contains("up"), l3.daemon.daemon.hostLine("10.21.2.12"));
        l3.daemon.stop();
    }

    /**
     * Stops (SIGSTOP) every health check engine the daemon spawns, as soon as it appears: an
     * hce that cannot check. The parent's watchdog kills one that stays stopped and starts
     * another, which is stopped in turn.
     */
    private static final class HceStopper extends Thread {
        final Set<ProcessHandle> stopped = ConcurrentHashMap.newKeySet();
        private final L3Daemon daemon;
        private volatile boolean running = true;

        HceStopper(L3Daemon daemon) {
            super("hce-stopper");
            this.daemon = daemon;
            setDaemon(true);
        }

        @Override
        public void run() {
            while (running) {
                daemon.engine(HCE).filter(p -> !stopped.contains(p)).ifPresent(p -> {
                    signal("STOP", p);
                    stopped.add(p);
                });
                try {
                    Thread.sleep(5);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }

        void release() throws InterruptedException {
            running = false;
            join();
            stopped.forEach(p -> signal("CONT", p));
        }

        /** Only to the engine itself: a handle that outlived its process is no longer alive. */
        private static void signal(String sig, ProcessHandle p) {
            if (!p.isAlive()) {
                return;
            }
            try {
                new ProcessBuilder("kill", "-" + sig, Long.toString(p.pid())).start().waitFor();
            } catch (IOException e) {
                throw new IllegalStateException(e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
