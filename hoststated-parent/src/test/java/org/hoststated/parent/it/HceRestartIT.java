package org.hoststated.parent.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * hce killed with SIGKILL and restarted by the parent goes on from the states pfe kept
 * (KEPT_STATE): it logged "state unknown -> up" (or down) for every host though nothing had
 * changed, and {@code show hosts} counted each host's checks from zero again.
 * {@code -Dhoststated.it.hcerestart} moves the test to other loopback addresses.
 */
class HceRestartIT {
    private static final String NET = System.getProperty("hoststated.it.hcerestart", "127.39.14");
    private static final Duration WAIT = Duration.ofSeconds(60);
    private static final String TITLE = "hoststated: health check engine";
    private static final String STAYS_UP = NET + ".11";
    private static final String GOES_DOWN = NET + ".12";
    private static final String STAYS_DOWN = NET + ".13";
    /** Rounds of the new hce to watch: its first confirms (silently) what pfe kept. */
    private static final int ROUNDS = 3;

    @Test
    void aRestartedHceGoesOnFromWhatPfeKept(@TempDir Path dir) throws Exception {
        Assumptions.assumeTrue("root".equals(System.getProperty("user.name")), "needs root: skipped");
        try (Backend one = new Backend("one", STAYS_UP, 0);
                Backend two = new Backend("two", GOES_DOWN, one.address.getPort());
                Daemon d = new Daemon(dir)) {
            d.writeConfig(d.globals() + "interval 2\ntimeout 1000\n"
                    + "table web {\n  real port " + one.address.getPort() + "\n  check tcp\n"
                    + "  host " + STAYS_UP + "\n  host " + GOES_DOWN + "\n  host " + STAYS_DOWN + "\n}\n"
                    + "service www {\n  virtual host " + NET + ".254 port " + CtlIT.freePort(NET + ".1")
                    + "\n  table web\n}\n");
            d.start();
            d.awaitLogged("verdicts and two rounds", WAIT, () -> d.hostLine(STAYS_UP).endsWith("up")
                    && d.hostLine(GOES_DOWN).endsWith("up") && d.hostLine(STAYS_DOWN).endsWith("down")
                    && checks(d, STAYS_UP) >= 2);
            int logMark = d.logText().length();
            int checksBefore = checks(d, STAYS_UP);

            long old = d.child(TITLE).orElseThrow();
            new ProcessBuilder("sh", "-c", "kill -KILL " + old).inheritIO().start().waitFor();
            Daemon.await("old hce gone", WAIT, () -> ProcessHandle.of(old).map(p -> !p.isAlive()).orElse(true));
            two.close(); // a host that really changes while hce is away

            // show summary is right throughout: pfe keeps the verdicts while hce restarts, and
            // the counters never start again from zero.
            boolean twoWentDown = false;
            long deadline = System.nanoTime() + WAIT.toNanos();
            while (true) {
                String summary = d.ctl("show", "summary").output();
                assertEquals("up", state(summary, STAYS_UP), summary + d.logText());
                assertEquals("down", state(summary, STAYS_DOWN), summary + d.logText());
                String goes = state(summary, GOES_DOWN);
                if (twoWentDown) {
                    assertEquals("down", goes, summary + d.logText());
                } else {
                    assertTrue(goes.equals("up") || goes.equals("down"), summary + d.logText());
                    twoWentDown = goes.equals("down");
                }
                int checks = checks(d, STAYS_UP);
                assertTrue(checks >= checksBefore, "checks of " + STAYS_UP + " went from " + checksBefore
                        + " to " + checks + "\n" + d.logText());
                boolean newHce = d.child(TITLE).filter(p -> p != old).isPresent();
                if (newHce && twoWentDown && checks >= checksBefore + ROUNDS) {
                    break;
                }
                if (System.nanoTime() > deadline) {
                    fail("the new hce did not check " + ROUNDS + " rounds\n" + summary + d.logText());
                }
            }

            String after = d.logText().substring(logMark);
            List<String> transitions = after.lines().filter(l -> l.contains(", state ")).toList();
            assertEquals(List.of(), transitions.stream().filter(l -> l.contains("state unknown ->")).toList(),
                    "transitions from unknown after the restart\n" + after);
            List<String> goesDown = transitions.stream().filter(l -> l.contains("host " + GOES_DOWN + ",")).toList();
            assertEquals(1, goesDown.size(), "one transition of " + GOES_DOWN + "\n" + after);
            assertTrue(goesDown.get(0).contains("state up -> down"), goesDown.get(0));
            assertEquals(1, transitions.size(), "transitions of unchanged hosts\n" + after);
        }
    }

    /**
     * pfe and hce killed together know nothing of the hosts until the new hce's first round:
     * the relay engine keeps the last verdicts meanwhile. It took pfe's "unknown" for one, and
     * every relay answered its clients with nothing for up to 1.6 s, its hosts all up (probe P).
     */
    @Test
    void aRelayKeepsItsHostsWhenPfeAndHceRestartTogether(@TempDir Path dir) throws Exception {
        Assumptions.assumeTrue("root".equals(System.getProperty("user.name")), "needs root: skipped");
        java.net.InetSocketAddress relay = new java.net.InetSocketAddress(NET + ".2", CtlIT.freePort(NET + ".2"));
        try (Backend one = new Backend("one", STAYS_UP, 0); Daemon d = new Daemon(dir)) {
            d.writeConfig(d.globals() + "interval 2\ntimeout 1000\n"
                    + "table web {\n  real port " + one.address.getPort() + "\n  check tcp\n  host " + STAYS_UP + "\n}\n"
                    + "relay www {\n  listen on " + relay.getHostString() + " port " + relay.getPort()
                    + "\n  table web\n}\n");
            d.start();
            d.awaitLogged("relay www serves", WAIT, () -> "one".equals(Daemon.fetch(relay)));
            long hce = d.child(TITLE).orElseThrow();
            long pfe = d.child("hoststated: pf engine").orElseThrow();
            new ProcessBuilder("kill", "-KILL", Long.toString(hce), Long.toString(pfe)).start().waitFor();
            int fetched = 0;
            List<String> failed = new java.util.ArrayList<>();
            long deadline = System.nanoTime() + WAIT.toNanos();
            // Until the new hce has checked the host: its verdict ends the time without one.
            while (!(d.child(TITLE).filter(p -> p != hce).isPresent() && checks(d, STAYS_UP) >= 1 && fetched > 50)) {
                String got = Daemon.fetch(relay);
                fetched++;
                if (!"one".equals(got)) {
                    failed.add(got);
                }
                if (System.nanoTime() > deadline) {
                    fail("the new engines did not check the host\n" + d.logText());
                }
            }
            assertEquals(List.of(), failed, fetched + " fetched\n" + d.logText());
        }
    }

    /**
     * A reload that gives a relay a new table while hce restarts: the old table serves until
     * the successor has checked the new one. The relay engine served the new table unchecked
     * 3 s after the reload, and answered with nothing until the successor's first round
     * (1,682 clients in 1.2 s, probe P). hce is killed before the reload and its successors
     * as they start, so that none checks for longer than those 3 s.
     */
    @Test
    void aReloadToANewTableWaitsForTheRestartedHcesVerdict(@TempDir Path dir) throws Exception {
        // Two successors killed as they start: the restarts' back-off (0.5, 1, 2 s) and three
        // JVM starts keep the new table unchecked for well over 3 s.
        String log = reloadToANewTableWith(dir, TITLE, "KILL", 2);
        assertTrue(log.contains("the health check engine or the pf engine restarts"), log);
    }

    /**
     * The same with pfe killed, and two of its successors: the verdicts reach the relay
     * engine through pfe, and the relay engine served the new table unchecked at its 3 s mark
     * while pfe restarted (session 54's list).
     */
    @Test
    void aReloadToANewTableWaitsForTheRestartedPfe(@TempDir Path dir) throws Exception {
        String log = reloadToANewTableWith(dir, "hoststated: pf engine", "KILL", 2);
        assertTrue(log.contains("restarts or is late"), log);
    }

    /**
     * The same with hce stopped (SIGSTOP) before the reload: it never takes the configuration,
     * and the watchdog kills it only after 10 s. The relay engine served the new table
     * unchecked at its 3 s mark, 503 to every client until the successor's first round,
     * while the old table was healthy (probe W).
     */
    @Test
    void aReloadToANewTableWaitsForAStoppedHce(@TempDir Path dir) throws Exception {
        String log = reloadToANewTableWith(dir, TITLE, "STOP", 0);
        assertTrue(log.contains("has not taken configuration"), log);
    }

    /**
     * Points relay www from a table whose host answers "one" to a new table whose host answers
     * "two", with the engine of {@code title} sent {@code signal} just before the reload and
     * {@code successorKills} of its successors killed as they start; fetches through the relay until "two" comes and
     * fails on any fetch that got neither. Returns the daemon's log.
     */
    private static String reloadToANewTableWith(Path dir, String title, String signal, int successorKills)
            throws Exception {
        Assumptions.assumeTrue("root".equals(System.getProperty("user.name")), "needs root: skipped");
        java.net.InetSocketAddress relay = new java.net.InetSocketAddress(NET + ".3", CtlIT.freePort(NET + ".3"));
        try (Backend one = new Backend("one", STAYS_UP, 0);
                Backend two = new Backend("two", NET + ".14", one.address.getPort());
                Daemon d = new Daemon(dir)) {
            String web = "table web {\n  real port " + one.address.getPort() + "\n  check tcp\n  host " + STAYS_UP + "\n}\n";
            String listen = "relay www {\n  listen on " + relay.getHostString() + " port " + relay.getPort() + "\n";
            d.writeConfig(d.globals() + "interval 2\ntimeout 1000\n" + web + listen + "  table web\n}\n");
            d.start();
            d.awaitLogged("relay www serves", WAIT, () -> "one".equals(Daemon.fetch(relay)));
            long signalled = d.child(title).orElseThrow();
            new ProcessBuilder("kill", "-" + signal, Long.toString(signalled)).start().waitFor();
            d.writeConfig(d.globals() + "interval 2\ntimeout 1000\n" + web + "table newt {\n  real port "
                    + one.address.getPort() + "\n  check tcp\n  host " + NET + ".14\n}\n" + listen + "  table newt\n}\n");
            d.signal("HUP");
            int kills = 0;
            int fetched = 0;
            long last = signalled;
            List<String> failed = new java.util.ArrayList<>();
            long deadline = System.nanoTime() + WAIT.toNanos();
            for (String got = ""; !"two".equals(got); fetched++) {
                long before = last;
                java.util.Optional<Long> successor = d.child(title).filter(p -> p != before);
                if (kills < successorKills && successor.isPresent()) {
                    last = successor.get();
                    new ProcessBuilder("kill", "-KILL", Long.toString(last)).start().waitFor();
                    kills++;
                }
                got = Daemon.fetch(relay);
                if (!"one".equals(got) && !"two".equals(got)) {
                    failed.add(got);
                }
                if (System.nanoTime() > deadline) {
                    fail("the new table did not serve\n" + d.logText());
                }
            }
            assertEquals(List.of(), failed, fetched + " fetched\n" + d.logText());
            return d.logText();
        }
    }

    /** The state column of {@code host}'s row of {@code show summary}, or "". */
    private static String state(String summary, String host) {
        for (String line : summary.split("\n")) {
            String[] f = line.split("\t");
            if (f.length == 5 && f[0].equals("host") && f[2].trim().equals(host)) {
                return f[4].trim();
            }
        }
        return "";
    }

    private static final Pattern TOTAL = Pattern.compile("total: (\\d+)/(\\d+) checks");

    /** The checks with a verdict {@code show hosts} counts for {@code host} (0 when none). */
    private static int checks(Daemon d, String host) throws Exception {
        String[] lines = d.ctl("show", "hosts").output().split("\n");
        for (int i = 0; i + 1 < lines.length; i++) {
            String[] f = lines[i].split("\t");
            if (f.length == 5 && f[0].equals("host") && f[2].trim().equals(host)) {
                Matcher m = TOTAL.matcher(lines[i + 1]);
                return m.find() ? Integer.parseInt(m.group(2)) : 0;
            }
        }
        return 0;
    }
}
