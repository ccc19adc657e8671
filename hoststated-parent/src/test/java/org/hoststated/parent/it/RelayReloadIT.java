package org.hoststated.parent.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.ConnectException;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Reload with relays (issue 7 item 3), end to end: relays added, removed, moved to another
 * port and given another protocol and target while a client keeps connecting, with no failed
 * session, and a session opened before the reload keeps relaying after it.
 */
class RelayReloadIT {
    static final String A = "127.22.2.1";
    static final String B = "127.22.2.2";
    static final String C = "127.22.2.3";

    @TempDir
    static Path dir;
    static Daemon daemon;
    static RelayEchoBackend x;
    static RelayEchoBackend y;
    static int portA;
    static int portA2;
    static int portB;
    static int portC;

    @BeforeAll
    static void start() throws Exception {
        Assumptions.assumeTrue("root".equals(System.getProperty("user.name")), "needs root: skipped");
        x = new RelayEchoBackend("x", "127.22.2.11");
        y = new RelayEchoBackend("y", "127.22.2.12");
        portA = RelayClient.freePort(A);
        portA2 = RelayClient.freePort(A);
        portB = RelayClient.freePort(B);
        portC = RelayClient.freePort(C);
        daemon = new Daemon(dir);
        daemon.writeConfig(first());
        daemon.start();
        daemon.awaitLogged("relay a serving", Duration.ofSeconds(20), () -> "x".equals(RelayClient.session(A, portA)));
    }

    @AfterAll
    static void stop() throws Exception {
        if (daemon != null) {
            daemon.close();
            // Kept for a look after the run; the directory above is removed.
            java.nio.file.Files.writeString(Path.of("target", "RelayReloadIT-daemon.log"), daemon.logText());
        }
        if (x != null) {
            x.close();
        }
        if (y != null) {
            y.close();
        }
    }

    static String relay(String name, String ip, int port, RelayEchoBackend to, String extra) {
        return "relay " + name + " {\n  listen on " + ip + " port " + port + "\n  forward to "
                + to.address.getAddress().getHostAddress() + " port " + to.port() + "\n" + extra + "}\n";
    }

    static String first() {
        return daemon.globals() + "log updates\n" + relay("a", A, portA, x, "") + relay("b", B, portB, y, "");
    }

    /** a: another target and protocol; b: gone; c: new; other worker loops. */
    static String second() {
        return daemon.globals() + "log updates\nprefork 2\n"
                + "protocol fast {\n  tcp { nodelay, socket buffer 65536 }\n}\n"
                + relay("a", A, portA, y, "  protocol fast\n") + relay("c", C, portC, x, "");
    }

    void reload(String config) throws Exception {
        daemon.writeConfig(config);
        Daemon.Result r = daemon.ctl("reload");
        assertEquals(0, r.status(), r.output() + "\n" + daemon.logText());
    }

    /** Waits until nothing listens on {@code ip:port} any more. */
    static void awaitRefused(String what, String ip, int port) {
        daemon.awaitLogged(what, Duration.ofSeconds(10), () -> {
            try {
                RelayClient.session(ip, port);
                return false;
            } catch (ConnectException e) {
                return true;
            }
        });
    }

    @Test
    void reloadsUnderLoadWithoutAFailedSessionAndKeepSessionsInFlight() throws Exception {
        try (Socket before = RelayClient.open(A, portA)) {
            assertEquals("x", RelayClient.readLine(before.getInputStream()));
            assertEquals("one", RelayClient.echo(before, "one"));
            try (RelayClient.Load load = new RelayClient.Load(A, portA)) {
                reload(second());
                daemon.awaitLogged("a forwards to y", Duration.ofSeconds(10), () -> "y".equals(RelayClient.session(A, portA)));
                assertEquals("x", RelayClient.session(C, portC));
                awaitRefused("b closed", B, portB);
                assertEquals("two", RelayClient.echo(before, "two"), "the session from before the reload still relays");
                for (int i = 0; i < 4; i++) {
                    reload(i % 2 == 0 ? first() : second());
                }
                int seen = load.ok.get();
                daemon.awaitLogged("load goes on", Duration.ofSeconds(10), () -> load.ok.get() > seen + 20);
                load.close();
                assertEquals(0, load.failures.size(), load.failures + "\n" + daemon.logText());
                assertTrue(load.ok.get() > 50, "sessions during the reloads: " + load.ok.get());
            }
            assertEquals("three", RelayClient.echo(before, "three"));
            before.shutdownOutput();
            assertEquals(-1, before.getInputStream().read());
        }
    }

    /**
     * The old port stops with the reload: it served new clients up to 92 ms after the reload's
     * answer, until the new port served (probe AP). The engine's close of it may lag its answer
     * by a loop's turn.
     */
    @Test
    void aRelayMovedToAnotherPortListensThereOnly() throws Exception {
        reload(daemon.globals() + relay("a", A, portA2, x, ""));
        long answered = System.nanoTime();
        awaitRefused("old port closed", A, portA);
        assertTrue(System.nanoTime() - answered < java.util.concurrent.TimeUnit.MILLISECONDS.toNanos(50),
                "the old port closed " + (System.nanoTime() - answered) / 1_000_000 + " ms after the reload's answer");
        daemon.awaitLogged("a on its new port", Duration.ofSeconds(10), () -> "x".equals(RelayClient.session(A, portA2)));
        reload(first());
        daemon.awaitLogged("a back", Duration.ofSeconds(10), () -> "x".equals(RelayClient.session(A, portA)));
        assertThrows(ConnectException.class, () -> RelayClient.session(A, portA2));
    }

    /**
     * Relay a on a table named {@code table} whose host is x, checked by {@code script}, which
     * says up after a second: the table has no verdict for that long after a reload brings it in.
     */
    static String tableRelay(String table, Path script) {
        return daemon.globals() + "log updates\ninterval 3\ntimeout 2000\n"
                + "table " + table + " {\n  real port " + x.port() + "\n  check script \"" + script + "\"\n  host "
                + x.address.getAddress().getHostAddress() + "\n}\n"
                + "relay a {\n  listen on " + A + " port " + portA + "\n  table " + table + " roundrobin\n}\n";
    }

    /**
     * A reload that points a relay at a table not checked yet (a new one, then the same one
     * renamed) fails no client: the new generation served at once, knew no host up, and reset
     * every client with "no host available" until the table's first check ended, while the
     * previous generation, whose host was up, could have gone on accepting.
     */
    @Test
    void aRelayMovedToATableNotCheckedYetResetsNoClient() throws Exception {
        // In a directory the unprivileged user who runs check scripts can read.
        Path scripts = Files.createTempDirectory(Path.of("/tmp"), "relay-reload-it-");
        try {
            Files.setPosixFilePermissions(scripts, PosixFilePermissions.fromString("rwxr-xr-x"));
            Path upAfterASecond = Files.writeString(scripts.resolve("check"), "#!/bin/sh\nsleep 1\nexit 1\n");
            Files.setPosixFilePermissions(upAfterASecond, PosixFilePermissions.fromString("rwxr-xr-x"));
            try (RelayClient.Load load = new RelayClient.Load(A, portA)) {
                reload(tableRelay("one", upAfterASecond));
                awaitTableUp("one");
                reload(tableRelay("two", upAfterASecond));
                awaitTableUp("two");
                int seen = load.ok.get();
                daemon.awaitLogged("load goes on", Duration.ofSeconds(10), () -> load.ok.get() > seen + 20);
                load.close();
                assertEquals(0, load.failures.size(), load.failures + "\n" + daemon.logText());
            }
        } finally {
            reload(first());
            try (java.util.stream.Stream<Path> files = Files.walk(scripts)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
            }
        }
    }

    static void awaitTableUp(String table) {
        daemon.awaitLogged("table " + table + " up", Duration.ofSeconds(10),
                () -> daemon.ctl("show", "summary").output().lines()
                        .anyMatch(l -> l.matches("table\\s+\\d+\\s+" + table + "\\s+active.*")));
    }

    /**
     * Reloads that switch {@code prefork} to and fro, faster than an old group of worker loops
     * is shut down (it waits for two idle statistics checks, a minute apart), take the old
     * group back instead of starting another each time: they had the engine run 96 worker
     * loops after 33 such reloads, when the kernel refused another io_uring ring and every
     * further reload failed with "failed to create a child event loop".
     */
    @Test
    void reloadsSwitchingPreforkToAndFroReuseTheirWorkerLoops() throws Exception {
        String base = daemon.globals() + "log updates\n" + relay("a", A, portA, x, "") + relay("b", B, portB, y, "");
        for (int i = 0; i < 12; i++) {
            reload((i % 2 == 0 ? "prefork 3\n" : "prefork 2\n") + base);
            daemon.awaitLogged("a serves after reload " + i, Duration.ofSeconds(10),
                    () -> "x".equals(RelayClient.session(A, portA)));
        }
        long relay = daemon.child("hoststated: relay engine").orElseThrow();
        long loops;
        try (java.util.stream.Stream<Path> tasks = java.nio.file.Files.list(Path.of("/proc/" + relay + "/task"))) {
            loops = tasks.filter(t -> {
                try {
                    return java.nio.file.Files.readString(t.resolve("comm")).startsWith("relay-worker");
                } catch (java.io.IOException e) {
                    return false;
                }
            }).count();
        }
        // At most a group of each size used: the default 5, 3 and 2 (there were 5 + 6 x 3 + 6 x 2).
        assertTrue(loops <= 10, loops + " worker loops");
        reload(first());
    }
}
