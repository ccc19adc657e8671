package org.hoststated.parent.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A table that went with its service's disable ({@code service disable}, the last service on
 * it) meets reloads that give it a relay and take it away again: pfe, hce and the relay engine
 * agree on it, and {@code show summary} says what they do. {@code -Dhoststated.it.svctable}
 * moves the test to other loopback addresses.
 */
class ServiceTableReloadIT {
    private static final String NET = System.getProperty("hoststated.it.svctable", "127.39.5");
    private static final Duration WAIT = Duration.ofSeconds(20);
    private static final String ONE = NET + ".11";
    private static final String TWO = NET + ".12";
    private static final String THREE = NET + ".13";

    @TempDir
    static Path dir;
    static Daemon daemon;
    static Backend one;
    static Backend two;
    static Backend three;
    static InetSocketAddress spareRelay;
    static int port;
    static InetSocketAddress relay;

    @BeforeAll
    static void start() throws Exception {
        Assumptions.assumeTrue("root".equals(System.getProperty("user.name")), "needs root: skipped");
        one = new Backend("one", ONE, 0);
        port = one.address.getPort();
        two = new Backend("two", TWO, port);
        three = new Backend("three", THREE, port);
        spareRelay = new InetSocketAddress(NET + ".2", CtlIT.freePort(NET + ".2"));
        relay = new InetSocketAddress(NET + ".1", CtlIT.freePort(NET + ".1"));
        daemon = new Daemon(dir);
        daemon.writeConfig(config(false));
        daemon.start();
        awaitBothUp();
    }

    @AfterAll
    static void stop() throws Exception {
        if (daemon != null) {
            daemon.close();
            java.nio.file.Files.writeString(Path.of("target", "ServiceTableReloadIT-daemon.log"), daemon.logText());
        }
        for (Backend b : new Backend[] {one, two, three}) {
            if (b != null) {
                b.close();
            }
        }
    }

    static String config(boolean withRelay) {
        return daemon.globals() + "interval 1\ntimeout 300\n"
                + "table web {\n  real port " + port + "\n  check tcp\n  host " + ONE + "\n  host " + TWO + "\n}\n"
                + "service www {\n  virtual host " + NET + ".100 port 80\n  table web\n}\n"
                + (withRelay ? "relay r {\n  listen on " + relay.getHostString() + " port " + relay.getPort()
                        + "\n  table web roundrobin\n}\n" : "");
    }

    /** Table spare starts disabled, by the configuration; relay s uses it. */
    static String withSpare() {
        return config(false) + "table spare {\n  real port " + port + "\n  check tcp\n  host " + THREE
                + "\n  disable\n}\n" + "relay s {\n  listen on " + spareRelay.getHostString() + " port "
                + spareRelay.getPort() + "\n  table spare\n}\n";
    }

    static void awaitBothUp() {
        daemon.awaitLogged("both hosts up", WAIT, () ->
                daemon.hostLine(ONE).endsWith("up") && daemon.hostLine(TWO).endsWith("up"));
    }

    private static void ok(String... args) throws Exception {
        assertEquals(new Daemon.Result(0, "command succeeded\n"), daemon.ctl(args), daemon.logText());
    }

    private static String summary() throws Exception {
        return daemon.ctl("show", "summary").output();
    }

    /** Whether neither host got a connection (a check) in three check intervals. */
    private static boolean unchecked() throws Exception {
        int a = one.accepted.get();
        int b = two.accepted.get();
        Thread.sleep(3000);
        return one.accepted.get() <= a + 1 && two.accepted.get() <= b + 1;
    }

    /**
     * A restarted hce or relay engine starts from the configuration, and pfe told it only what
     * was disabled. For the relay engine, a table that the configuration starts disabled and
     * the operator enabled stayed disabled: every client of its relay was closed. For hce:
     * the table went unchecked, its host left at the verdict it had (pfe keeps the last one
     * until hce has one), so a host that went down meanwhile stayed up for pfe and the relays.
     */
    @Test
    void aTableEnabledAtRunTimeStaysEnabledWhenTheRelayEngineOrHceRestarts() throws Exception {
        daemon.writeConfig(withSpare());
        ok("reload");
        ok("table", "enable", "spare");
        daemon.awaitLogged("host three up", WAIT, () -> daemon.hostLine(THREE).endsWith("up"));
        daemon.awaitLogged("relay s serves", WAIT, () -> "three".equals(Daemon.fetch(spareRelay)));

        // The relay engine starts from the configuration too: pfe tells it the table is enabled.
        long relay = daemon.child("hoststated: relay engine").orElseThrow();
        new ProcessBuilder("sh", "-c", "kill -KILL " + relay).inheritIO().start().waitFor();
        daemon.awaitLogged("relay engine restarted", WAIT, () -> daemon.child("hoststated: relay engine")
                .filter(p -> p != relay).isPresent());
        daemon.awaitLogged("relay s serves after the restart", WAIT, () -> "three".equals(Daemon.fetch(spareRelay)));

        long hce = daemon.child("hoststated: health check engine").orElseThrow();
        new ProcessBuilder("sh", "-c", "kill -KILL " + hce).inheritIO().start().waitFor();
        daemon.awaitLogged("hce restarted", WAIT, () -> daemon.child("hoststated: health check engine")
                .filter(p -> p != hce).isPresent());
        three.close();
        daemon.awaitLogged("host three down", WAIT, () -> daemon.hostLine(THREE).endsWith("down"));
        daemon.writeConfig(config(false));
        ok("reload");
    }

    /**
     * A service the configuration starts disabled takes its table along, as {@code service
     * disable} does: its host was checked every second from the start (hce starts from the
     * configuration, which disables no table, and asked pfe only after a reload).
     */
    @Test
    void aServiceDisabledByTheConfigurationLeavesItsTableUnchecked(@TempDir Path own) throws Exception {
        try (Backend four = new Backend("four", NET + ".14", port); Daemon d = new Daemon(own)) {
            d.writeConfig(d.globals() + "interval 1\ntimeout 300\n"
                    + "table quiet {\n  real port " + port + "\n  check tcp\n  host " + four.address.getHostString() + "\n}\n"
                    + "service idle {\n  virtual host " + NET + ".101 port 80\n  table quiet\n  disable\n}\n");
            d.start();
            Daemon.awaitTrue("service idle shown disabled", WAIT,
                    () -> d.ctl("show", "summary").output().contains("disabled"));
            int before = four.accepted.get();
            Thread.sleep(3000);
            assertTrue(four.accepted.get() <= before + 1,
                    four.accepted.get() + " checks of a table that went with its service\n" + d.logText());

            assertEquals(new Daemon.Result(0, "command succeeded\n"), d.ctl("service", "enable", "idle"));
            d.awaitLogged("host four up", WAIT, () -> d.hostLine(four.address.getHostString()).endsWith("up"));
            assertTrue(d.logText().contains("with table quiet"), d.logText());
        }
    }

    /**
     * A restarted pfe builds its state from the configuration and took back only what the
     * operator had disabled: a table the configuration starts disabled and {@code table
     * enable} had enabled was disabled again (its relay closed every client with "no host
     * available"), and so was a service the configuration starts disabled, with its table.
     */
    @Test
    void whatTheOperatorEnabledStaysEnabledWhenPfeRestarts(@TempDir Path own) throws Exception {
        InetSocketAddress quietRelay = new InetSocketAddress(NET + ".3", CtlIT.freePort(NET + ".3"));
        try (Backend four = new Backend("four", NET + ".14", port); Backend five = new Backend("five", NET + ".15", port);
                Daemon d = new Daemon(own)) {
            String fourIp = four.address.getHostString();
            String fiveIp = five.address.getHostString();
            d.writeConfig(d.globals() + "interval 1\ntimeout 300\n"
                    + "table quiet {\n  real port " + port + "\n  check tcp\n  host " + fourIp + "\n}\n"
                    + "service idle {\n  virtual host " + NET + ".101 port 80\n  table quiet\n  disable\n}\n"
                    + "table spare {\n  real port " + port + "\n  check tcp\n  host " + fiveIp + "\n  disable\n}\n"
                    + "relay s {\n  listen on " + quietRelay.getHostString() + " port " + quietRelay.getPort()
                    + "\n  table spare\n}\n");
            d.start();
            Daemon.Result done = new Daemon.Result(0, "command succeeded\n");
            assertEquals(done, d.ctl("service", "enable", "idle"), d.logText());
            assertEquals(done, d.ctl("table", "enable", "spare"), d.logText());
            d.awaitLogged("hosts four and five up", WAIT,
                    () -> d.hostLine(fourIp).endsWith("up") && d.hostLine(fiveIp).endsWith("up"));
            d.awaitLogged("relay s serves", WAIT, () -> "five".equals(Daemon.fetch(quietRelay)));

            long pfe = d.child("hoststated: pf engine").orElseThrow();
            new ProcessBuilder("sh", "-c", "kill -KILL " + pfe).inheritIO().start().waitFor();
            d.awaitLogged("pfe restarted and answering", WAIT, () -> d.child("hoststated: pf engine")
                    .filter(p -> p != pfe).isPresent() && d.ctl("show", "summary").output().contains("relay"));
            String s = d.ctl("show", "summary").output();
            assertFalse(s.contains("disabled"), s + "\n" + d.logText());
            d.awaitLogged("relay s serves after pfe's restart", WAIT, () -> "five".equals(Daemon.fetch(quietRelay)));
            d.awaitLogged("hosts four and five up again", WAIT,
                    () -> d.hostLine(fourIp).endsWith("up") && d.hostLine(fiveIp).endsWith("up"));
        }
    }

    /**
     * pfe and hce kept the table disabled by name, so a reload that gave it relay r left the
     * relay closing every client ("no host available") while {@code show summary} said the
     * relay was active; with the relay there before the disable the table stayed enabled.
     */
    @Test
    void aTableThatWentWithItsServiceServesARelayAReloadGivesIt() throws Exception {
        ok("service", "disable", "www");
        assertTrue(unchecked(), "the table went with its last service\n" + daemon.logText());

        daemon.writeConfig(config(true));
        ok("reload");
        daemon.awaitLogged("relay r serves both hosts", WAIT, () -> {
            Set<String> seen = new TreeSet<>();
            for (int i = 0; i < 4; i++) {
                seen.add(Daemon.fetch(relay));
            }
            return seen.equals(Set.of("one", "two"));
        });
        String s = summary();
        assertTrue(s.contains("service\t   0\twww" + " ".repeat(21) + "\t       \tdisabled"), s);
        assertTrue(s.matches("(?s).*table\t   0\tweb +\t +\tactive \\(2 hosts up\\).*"), s);

        daemon.writeConfig(config(false));
        ok("reload");
        assertTrue(unchecked(), "the relay went: the table goes with its service again\n" + daemon.logText());
        assertFalse(summary().contains("table"), summary());

        ok("service", "enable", "www");
        awaitBothUp();
        assertTrue(summary().contains("active (2 hosts up)"), summary());
    }
}
