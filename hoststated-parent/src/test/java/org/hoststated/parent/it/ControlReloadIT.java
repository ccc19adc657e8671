package org.hoststated.parent.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * hoststatectl's enable and disable commands together with reloads, as an operator meets
 * them on a load balancer: a host taken out of service stays out of the relay's choice while
 * the engines move to another configuration, and comes back only once it is checked. The
 * engines' order is forced by stopping one with SIGSTOP (for less than the watchdog's 10 s):
 * what an engine busy with a kernel write or a collection does for a moment.
 * {@code -Dhoststated.it.ctlreload} moves the test to other loopback addresses.
 */
class ControlReloadIT {
    private static final String NET = System.getProperty("hoststated.it.ctlreload", "127.39.1");
    private static final Duration WAIT = Duration.ofSeconds(20);
    private static final String ONE = NET + ".11";
    private static final String TWO = NET + ".12";

    @TempDir
    static Path dir;
    static Daemon daemon;
    static Backend one;
    static Backend two;
    static int port;
    static InetSocketAddress relay;
    static InetSocketAddress probe;
    static InetSocketAddress padded;
    /** Engines this test stopped, continued after each test whatever happened. */
    private final List<Long> stopped = new ArrayList<>();

    @BeforeAll
    static void start() throws Exception {
        Assumptions.assumeTrue("root".equals(System.getProperty("user.name")), "needs root: skipped");
        one = new Backend("one", ONE, 0);
        port = one.address.getPort();
        two = new Backend("two", TWO, port);
        relay = new InetSocketAddress(NET + ".1", CtlIT.freePort(NET + ".1"));
        probe = new InetSocketAddress(NET + ".2", CtlIT.freePort(NET + ".2"));
        padded = new InetSocketAddress(NET + ".3", CtlIT.freePort(NET + ".3"));
        daemon = new Daemon(dir);
        daemon.writeConfig(config(""));
        daemon.start();
        awaitBothUp();
    }

    /** The table and its relay, after {@code first} (another table and relay, to see a reload arrive). */
    static String config(String first) {
        return daemon.globals() + "interval 1\ntimeout 300\n" + first
                + "table web {\n  real port " + port + "\n  check tcp\n  host " + ONE + "\n  host " + TWO + "\n}\n"
                + "relay www {\n  listen on " + relay.getHostString() + " port " + relay.getPort()
                + "\n  table web roundrobin\n}\n" + padding();
    }

    /**
     * An HTTP relay whose protocol has 8,000 header actions: a configuration of about 800 KB,
     * more than a socket pair holds, so that the parent's last chunks of a reload wait for the
     * engine to read the first, as they do for a large configuration on a busy machine.
     */
    static String padding() {
        StringBuilder b = new StringBuilder("protocol padded {\n  protocol http\n");
        for (int i = 0; i < 8000; i++) {
            b.append("  request header append \"").append("v".repeat(60)).append("\" to \"X-Pad-").append(i)
                    .append("\"\n");
        }
        return b.append("}\nrelay padded {\n  listen on ").append(padded.getHostString()).append(" port ")
                .append(padded.getPort()).append("\n  protocol padded\n  forward to ").append(TWO).append(" port ")
                .append(port).append("\n}\n").toString();
    }

    /**
     * A table with host two alone and its relay on the probe address, which answers once a
     * reload reached the relay engine. Written first, it moves every host of table web to
     * another id: what the relay engine knew by id must not carry over as it was.
     */
    static String probeRelay() {
        return "table other {\n  real port " + port + "\n  check tcp\n  host " + TWO + "\n}\n"
                + "relay probe {\n  listen on " + probe.getHostString() + " port " + probe.getPort()
                + "\n  table other no check\n}\n";
    }

    static void awaitBothUp() {
        daemon.awaitLogged("both hosts up", WAIT, () ->
                daemon.hostLine(ONE).endsWith("up") && daemon.hostLine(TWO).endsWith("up"));
    }

    /** Engines going again and host one in service, whatever a test did or where it failed. */
    @AfterEach
    void restore() throws Exception {
        for (long pid : stopped) {
            kill("CONT", pid);
        }
        stopped.clear();
        if (daemon.hostLine(ONE).endsWith("disabled")) {
            daemon.ctl("host", "enable", ONE);
        }
        awaitBothUp();
    }

    @AfterAll
    static void stop() throws Exception {
        if (daemon != null) {
            daemon.close();
            java.nio.file.Files.writeString(Path.of("target", "ControlReloadIT-daemon.log"), daemon.logText());
        }
        for (Backend b : new Backend[] {one, two}) {
            if (b != null) {
                b.close();
            }
        }
    }

    private long stopEngine(String title) throws Exception {
        long pid = daemon.child(title).orElseThrow();
        stopped.add(pid);
        kill("STOP", pid);
        return pid;
    }

    private void continueEngine(long pid) throws Exception {
        kill("CONT", pid);
        stopped.remove(pid);
    }

    private static void kill(String sig, long pid) throws Exception {
        new ProcessBuilder("sh", "-c", "kill -" + sig + " " + pid).inheritIO().start().waitFor();
    }

    private static Set<String> answers(int n) throws Exception {
        Set<String> seen = new TreeSet<>();
        for (int i = 0; i < n; i++) {
            seen.add(Daemon.fetch(relay));
        }
        return seen;
    }

    private static void ok(String... args) throws Exception {
        assertEquals(new Daemon.Result(0, "command succeeded\n"), daemon.ctl(args), daemon.logText());
    }

    /**
     * The relay engine kept the state a host had before its disable and started each
     * generation with nothing disabled: a reload served the disabled host (round robin: every
     * other session) until pfe's states for the new generation came.
     */
    @Test
    void aDisabledHostGetsNoSessionAfterAReloadBeforePfeResendsItsState() throws Exception {
        ok("host", "disable", ONE);
        assertEquals(Set.of("two"), answers(4), daemon.logText());
        long pfe = stopEngine("hoststated: pf engine");
        daemon.writeConfig(config(probeRelay()));
        daemon.signal("HUP");
        daemon.awaitLogged("the reload reached the relay engine", WAIT, () -> "two".equals(Daemon.fetch(probe)));
        assertEquals(Set.of("two"), answers(6), daemon.logText());
        continueEngine(pfe);
        daemon.awaitLogged("host one still disabled after the reload", WAIT,
                () -> daemon.hostLine(ONE).endsWith("disabled"));
        assertEquals(Set.of("two"), answers(4), daemon.logText());
        ok("host", "enable", ONE);
        awaitBothUp();
        daemon.writeConfig(config(""));
        ok("reload");
    }

    /**
     * A disable sent while a reload is under way: pfe, which had the new configuration, sent
     * hce its notice for that generation while hce was still reading the configuration (the
     * parent's last chunks waiting for room in the socket), and hce dropped it as not yet its
     * own. The command succeeded, {@code show summary} said disabled, and hce went on checking
     * the host for good. The command now waits until every engine runs the new configuration.
     */
    @Test
    void aHostDisabledWhileAReloadIsUnderWayIsNoLongerChecked() throws Exception {
        long hce = stopEngine("hoststated: health check engine");
        daemon.signal("HUP");
        CompletableFuture<Daemon.Result> disable = CompletableFuture.supplyAsync(() -> {
            try {
                return daemon.ctl("host", "disable", ONE);
            } catch (Exception e) {
                return new Daemon.Result(-1, e.toString());
            }
        });
        try {
            // The old code answered as soon as pfe had it; now the answer waits for hce.
            disable.get(3, TimeUnit.SECONDS);
        } catch (TimeoutException expected) {
            // hce is stopped: the reload cannot end yet.
        }
        continueEngine(hce);
        assertEquals(new Daemon.Result(0, "command succeeded\n"), disable.get(30, TimeUnit.SECONDS), daemon.logText());
        assertTrue(daemon.hostLine(ONE).endsWith("disabled"), daemon.hostLine(ONE));
        int oneBefore = one.accepted.get();
        int twoBefore = two.accepted.get();
        // hce checks both hosts every second: three checks of host two, and none of host one
        // but one that may have been under way.
        daemon.awaitLogged("three checks of host two", WAIT, () -> two.accepted.get() >= twoBefore + 3);
        assertTrue(one.accepted.get() <= oneBefore + 1, "host one checked " + (one.accepted.get() - oneBefore)
                + " times after its disable\n" + daemon.logText());
        assertEquals(Set.of("two"), answers(4), daemon.logText());
        ok("host", "enable", ONE);
        awaitBothUp();
    }

    /**
     * pfe restarted after a crash from the configuration alone: the host disabled at run time
     * showed as unknown, hce (which kept it disabled) did not check it, and {@code host enable}
     * failed with "already enabled", so it stayed out of service with no way back but a
     * disable first. The parent now gives a restarted pfe what it had disabled.
     */
    @Test
    void aHostDisabledBeforePfeRestartsStaysDisabledAndCanBeEnabled() throws Exception {
        ok("host", "disable", ONE);
        long pfe = daemon.child("hoststated: pf engine").orElseThrow();
        kill("KILL", pfe);
        daemon.awaitLogged("pfe restarted", WAIT, () -> daemon.child("hoststated: pf engine").filter(p -> p != pfe)
                .isPresent() && daemon.hostLine(TWO).endsWith("up"));
        assertTrue(daemon.hostLine(ONE).endsWith("disabled"), daemon.hostLine(ONE) + "\n" + daemon.logText());
        assertEquals(Set.of("two"), answers(4), daemon.logText());
        ok("host", "enable", ONE);
        awaitBothUp();
        daemon.awaitLogged("the relay uses host one again", WAIT, () -> answers(4).equals(Set.of("one", "two")));
    }

    /**
     * A reload that an engine does not confirm at once: here hce is stopped, which the
     * watchdog kills after 10 s (not the minute a busy engine gets), and the reload waits for
     * its successor, which runs the configuration. The parent used to keep the listening socket
     * of the relay the reload removed when the reload was not confirmed in time, and the port
     * went on accepting connections that no engine served (a busy engine still leaves a
     * reload unconfirmed: ReloaderTest).
     */
    @Test
    void aRelayRemovedByAReloadAStoppedEngineHeldStopsListening() throws Exception {
        daemon.writeConfig(config(probeRelay()));
        ok("reload");
        daemon.awaitLogged("relay probe serves", WAIT, () -> "two".equals(Daemon.fetch(probe)));
        long hce = stopEngine("hoststated: health check engine");
        daemon.writeConfig(config(""));
        Daemon.Result r = daemon.ctl("reload");
        // Confirmed by hce's successor, which the reload waits for afresh.
        assertEquals(new Daemon.Result(0, "command succeeded\n"), r, daemon.logText());
        continueEngine(hce);
        try (java.net.Socket s = new java.net.Socket()) {
            s.connect(probe, 2000);
            throw new AssertionError("relay probe's port still accepts after its removal\n" + daemon.logText());
        } catch (java.net.ConnectException expected) {
            // Refused: nothing listens there any more.
        }
        ok("reload");
    }

    /**
     * {@code host enable} made the relay engine use the host at once with the state it had
     * before its disable, while pfe (and {@code show summary}, and the layer-3 rules) had it
     * unknown until hce checked it again.
     */
    @Test
    void aHostEnabledAgainTakesNoSessionBeforeItIsChecked() throws Exception {
        long hce = stopEngine("hoststated: health check engine");
        ok("host", "disable", ONE);
        ok("host", "enable", ONE);
        assertTrue(daemon.hostLine(ONE).endsWith("unknown"), daemon.hostLine(ONE));
        assertEquals(Set.of("two"), answers(6), daemon.logText());
        continueEngine(hce);
        awaitBothUp();
        daemon.awaitLogged("the relay uses host one again", WAIT, () -> answers(4).equals(Set.of("one", "two")));
    }
}
