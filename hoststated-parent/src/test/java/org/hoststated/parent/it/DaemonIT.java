package org.hoststated.parent.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * The whole daemon, end to end, as root: four JVMs, a table checked with {@code check tcp}
 * over two real loopback backends, and a TCP relay that forwards to the hosts that are up.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class DaemonIT {
    @TempDir
    static Path dir;
    static Daemon daemon;
    static Backend one;
    static Backend two;
    static InetSocketAddress relay;
    static int backendPort;

    @BeforeAll
    static void start() throws Exception {
        Assumptions.assumeTrue("root".equals(System.getProperty("user.name")), "needs root: skipped");
        backendPort = freePort();
        one = new Backend("one", "127.0.0.11", backendPort);
        two = new Backend("two", "127.0.0.12", backendPort);
        relay = new InetSocketAddress(InetAddress.getLoopbackAddress(), freePort());
        daemon = new Daemon(dir);
        daemon.writeConfig(config(""));
        daemon.start();
        daemon.awaitLogged("both hosts up", Duration.ofSeconds(20), () ->
                daemon.hostLine("127.0.0.11").endsWith("up") && daemon.hostLine("127.0.0.12").endsWith("up"));
        awaitRelayServing("at start");
    }

    /**
     * Waits until a connection through the relay is answered by a backend. pfe may report the
     * hosts up before the relay engine (which starts, drops privileges and gets its listener
     * and host states in parallel) serves; connections meanwhile wait in the kept listener's
     * queue, longer than a fetch's read timeout on a loaded machine.
     */
    static void awaitRelayServing(String when) throws Exception {
        daemon.awaitLogged("relay serving " + when, Duration.ofSeconds(30), () -> {
            try {
                return Set.of("one", "two").contains(Daemon.fetch(relay));
            } catch (IOException e) {
                return false;
            }
        });
    }

    static String config(String extra) {
        return daemon.globals() + "interval 1\ntimeout 300\n"
                + "table web {\n  real port " + backendPort + "\n  check tcp\n  host 127.0.0.11\n  host 127.0.0.12\n}\n"
                + "relay www {\n  listen on 127.0.0.1 port " + relay.getPort() + "\n  table web roundrobin\n}\n" + extra;
    }

    @AfterAll
    static void stop() throws Exception {
        if (daemon != null) {
            daemon.close();
        }
        if (one != null) {
            one.close();
        }
        if (two != null) {
            two.close();
        }
    }

    @Test
    @Order(1)
    void engines_run_as_separate_jvms_with_their_titles_privileges_and_no_leaked_fds() throws Exception {
        long pfe = daemon.child("hoststated: pf engine").orElseThrow();
        long hce = daemon.child("hoststated: health check engine").orElseThrow();
        long rel = daemon.child("hoststated: relay engine").orElseThrow();
        // pfe too, with l3 backend none: it writes no kernel rules (probe AN: it ran as full root).
        for (long pid : List.of(pfe, hce, rel)) {
            String status = Files.readString(Path.of("/proc/" + pid + "/status"));
            assertTrue(status.contains("\nUid:\t65534\t65534\t65534\t65534"), "uid of " + pid + ":\n" + status);
            assertTrue(status.contains("\nGid:\t65534\t65534\t65534\t65534"), "gid of " + pid);
            assertEquals(daemon.chroot.toRealPath(), Files.readSymbolicLink(Path.of("/proc/" + pid + "/root")));
            // No exec gives privileges back: every thread has no_new_privs (probe F), and the
            // engine's loops, which handle what peers send, an empty bounding set too.
            try (var tasks = Files.list(Path.of("/proc/" + pid + "/task"))) {
                for (Path t : tasks.toList()) {
                    String ts;
                    try {
                        ts = Files.readString(t.resolve("status"));
                    } catch (java.nio.file.NoSuchFileException ended) {
                        continue; // a JVM thread that ended after the listing
                    }
                    assertTrue(ts.contains("\nNoNewPrivs:\t1\n"), t + ":\n" + ts);
                    if (Files.readString(t.resolve("comm")).contains("-loop-")) {
                        assertTrue(ts.contains("\nCapBnd:\t0000000000000000\n"), t + ":\n" + ts);
                    }
                }
            }
        }
        // The control socket is the parent's alone; the relay's listening socket goes to the relay only.
        String control = socketInode(daemon.socket.toString());
        String listener = tcpListenInode(relay.getPort());
        for (long pid : List.of(pfe, hce, rel)) {
            Set<String> fds = fdTargets(pid);
            assertFalse(fds.contains("socket:[" + control + "]"), "control socket leaked into " + Daemon.cmdline(pid));
            assertEquals(pid == rel, fds.contains("socket:[" + listener + "]"), "listener in " + Daemon.cmdline(pid));
            assertFalse(fds.stream().anyMatch(f -> f.endsWith("hoststated.conf")), "config file open in " + pid);
            // Not the parent's stdin and stderr (the operator's terminal under -d): /dev/null,
            // and a socket the parent copies into its log (EngineOutput).
            assertEquals("/dev/null", fdTarget(pid, 0), "stdin of " + pid);
            assertTrue(fdTarget(pid, 2).startsWith("socket:["), "stderr of " + pid + ": " + fdTarget(pid, 2));
            assertEquals(fdTarget(pid, 2), fdTarget(pid, 1), "stdout of " + pid);
        }
        assertTrue(daemon.logText().contains("\nhce: "), "engine lines in the log:\n" + daemon.logText());
    }

    static String fdTarget(long pid, int fd) throws IOException {
        return Files.readSymbolicLink(Path.of("/proc/" + pid + "/fd/" + fd)).toString();
    }

    @Test
    @Order(2)
    void relay_forwards_round_robin_to_up_hosts() throws Exception {
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < 10; i++) {
            seen.add(Daemon.fetch(relay));
        }
        assertEquals(Set.of("one", "two"), seen);
    }

    @Test
    @Order(3)
    void a_killed_backend_goes_down_and_gets_no_new_connections() throws Exception {
        two.close();
        long t0 = System.nanoTime();
        daemon.awaitLogged("host two down", Duration.ofSeconds(10), () -> daemon.hostLine("127.0.0.12").endsWith("down"));
        // interval 1 s + timeout 0.3 s, plus one hoststatectl start-up of slack.
        assertTrue(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0) < 4000, "down detected late");
        for (int i = 0; i < 10; i++) {
            assertEquals("one", Daemon.fetch(relay));
        }
        String summary = daemon.ctl("show", "summary").output();
        assertTrue(summary.contains("active (1 hosts up)"), summary);
        two = new Backend("two", "127.0.0.12", backendPort);
        daemon.awaitLogged("host two up again", Duration.ofSeconds(10), () -> daemon.hostLine("127.0.0.12").endsWith("up"));
    }

    @Test
    @Order(4)
    void a_killed_engine_is_restarted_and_the_daemon_keeps_serving() throws Exception {
        for (String title : List.of("hoststated: relay engine", "hoststated: health check engine", "hoststated: pf engine")) {
            long old = daemon.child(title).orElseThrow();
            ProcessHandle.of(old).ifPresent(ProcessHandle::destroyForcibly);
            daemon.awaitLogged(title + " restarted", Duration.ofSeconds(20),
                    () -> daemon.child(title).filter(p -> p != old).isPresent());
            daemon.awaitLogged("both hosts up after restart of " + title, Duration.ofSeconds(20), () ->
                    daemon.hostLine("127.0.0.11").endsWith("up") && daemon.hostLine("127.0.0.12").endsWith("up"));
            awaitRelayServing("after restart of " + title);
            Set<String> seen = new HashSet<>();
            for (int i = 0; i < 6; i++) {
                seen.add(Daemon.fetch(relay));
            }
            assertEquals(Set.of("one", "two"), seen, "after restart of " + title);
        }
        assertTrue(daemon.logText().contains("lost child"), daemon.logText());
    }

    /**
     * Connections made while the relay engine restarts wait in the listener the parent keeps
     * and are served by the new engine once pfe told it which hosts are up. It used to accept
     * at once, knowing no host up, and closed the first queued clients with "no host
     * available" (seen live under load). pfe is held stopped over the restart here so that
     * its answer comes after the new engine has its listener and configuration.
     */
    @Test
    @Order(5)
    void connections_queued_while_the_relay_engine_restarts_are_served() throws Exception {
        long pfe = daemon.child("hoststated: pf engine").orElseThrow();
        long old = daemon.child("hoststated: relay engine").orElseThrow();
        int started = count(daemon.logText(), "relay: using the ");
        List<CompletableFuture<String>> clients = new ArrayList<>();
        sh("kill -STOP " + pfe);
        try {
            ProcessHandle.of(old).ifPresent(ProcessHandle::destroyForcibly);
            daemon.awaitLogged("relay engine gone", Duration.ofSeconds(10),
                    () -> !ProcessHandle.of(old).map(ProcessHandle::isAlive).orElse(false));
            // Connected before the new engine runs: each waits in the listener's queue.
            for (int i = 0; i < 4; i++) {
                clients.add(CompletableFuture.supplyAsync(DaemonIT::fetchWaiting));
            }
            daemon.awaitLogged("new relay engine running", Duration.ofSeconds(20),
                    () -> count(daemon.logText(), "relay: using the ") > started);
            // Its configuration and listener arrive from the parent meanwhile, well within
            // the 3 s it waits for pfe.
            Thread.sleep(1000);
        } finally {
            sh("kill -CONT " + pfe);
        }
        for (CompletableFuture<String> c : clients) {
            String got = c.get(40, TimeUnit.SECONDS);
            assertTrue(Set.of("one", "two").contains(got), "a queued client got '" + got + "'\n" + daemon.logText());
        }
        assertFalse(daemon.logText().contains("no host available"), daemon.logText());
    }

    /**
     * A stopped (or deadlocked) engine keeps its channel open, so only the parent's watchdog
     * notices it: unanswered pings for 10 s, then a kill and the usual restart. A client that
     * connected meanwhile waits in the kept listener and is served by the new engine.
     */
    @Test
    @Order(6)
    void a_stopped_engine_is_killed_by_the_watchdog_and_restarted() throws Exception {
        long old = daemon.child("hoststated: relay engine").orElseThrow();
        sh("kill -STOP " + old);
        // kill returns once the signal is sent; a thread still finishing its turn could take
        // the connection before it stops, and the kill then closes it. Connect once all stopped.
        daemon.awaitLogged("every thread of the relay engine stopped", Duration.ofSeconds(5), () -> allStopped(old));
        CompletableFuture<String> waiting = CompletableFuture.supplyAsync(DaemonIT::fetchWaiting);
        daemon.awaitLogged("watchdog kills the stopped relay engine", Duration.ofSeconds(30),
                () -> daemon.logText().lines().anyMatch(l -> l.contains("relay engine (pid " + old + ") ")
                        && l.contains("has not answered for")));
        daemon.awaitLogged("relay engine restarted", Duration.ofSeconds(20),
                () -> daemon.child("hoststated: relay engine").filter(p -> p != old).isPresent());
        String got = waiting.get(40, TimeUnit.SECONDS);
        assertTrue(Set.of("one", "two").contains(got), "the waiting client got '" + got + "'\n" + daemon.logText());
        awaitRelayServing("after the watchdog restarted the relay engine");
    }

    /** Whether every thread of process {@code pid} is in the stopped state (T in its stat). */
    private static boolean allStopped(long pid) {
        try (Stream<Path> tasks = Files.list(Path.of("/proc/" + pid + "/task"))) {
            return tasks.allMatch(t -> {
                try {
                    String stat = Files.readString(t.resolve("stat"));
                    return stat.substring(stat.lastIndexOf(')') + 2).startsWith("T");
                } catch (IOException e) {
                    return true; // the thread is gone
                }
            });
        } catch (IOException e) {
            return false;
        }
    }

    private static String fetchWaiting() {
        try (Socket s = new Socket()) {
            s.connect(relay, 2000);
            s.setSoTimeout(30_000);
            return new String(s.getInputStream().readAllBytes(), StandardCharsets.US_ASCII).trim();
        } catch (IOException e) {
            return e.toString();
        }
    }

    private static int count(String text, String what) {
        int n = 0;
        for (int i = text.indexOf(what); i >= 0; i = text.indexOf(what, i + 1)) {
            n++;
        }
        return n;
    }

    private static void sh(String command) throws IOException, InterruptedException {
        new ProcessBuilder("sh", "-c", command).inheritIO().start().waitFor();
    }

    @Test
    @Order(7)
    void sighup_with_a_broken_config_keeps_the_old_one() throws Exception {
        String good = Files.readString(daemon.config);
        daemon.writeConfig(good + "table broken {\n  check nonsense\n}\n");
        daemon.signal("HUP");
        daemon.awaitLogged("reload refused", Duration.ofSeconds(10), () -> daemon.logText().contains("reload failed"));
        assertTrue(daemon.hostLine("127.0.0.11").endsWith("up"));
        assertEquals("one", fetchFrom("one"));
        daemon.writeConfig(good);
    }

    /**
     * A second daemon given the running one's socket (another relay port, so only the socket
     * clashes) must refuse to start, not unlink the socket and leave the first one beyond
     * hoststatectl's reach; run both ways: in the foreground and detaching. Given the same
     * configuration (the relay's port clashes too), it says that a daemon runs: in the
     * foreground it said "cannot listen on ...: Address already in use", which sends an
     * operator after another program.
     */
    @Test
    @Order(8)
    void a_second_daemon_on_the_same_socket_is_refused_and_the_first_keeps_it() throws Exception {
        Path other = Files.writeString(dir.resolve("second.conf"), config("")
                .replace("port " + relay.getPort(), "port " + freePort()));
        Path same = Files.writeString(dir.resolve("same.conf"), config(""));
        for (String mode : List.of("-d", "-f", "-d same", "-f same")) {
            Path conf = mode.endsWith("same") ? same : other;
            List<String> cmd = new java.util.ArrayList<>(List.of(Daemon.java(), "-XX:TieredStopAtLevel=1",
                    "-XX:-UsePerfData", "-cp", Daemon.classpath(), "org.hoststated.parent.Hoststated"));
            if (mode.startsWith("-d")) {
                cmd.add("-d");
            }
            cmd.addAll(List.of("-f", conf.toString()));
            Path log = dir.resolve("second.log");
            Process second = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
            boolean exited = second.waitFor(30, TimeUnit.SECONDS);
            // One that started anyway runs until stopped (its engines with it).
            second.destroy();
            second.waitFor(15, TimeUnit.SECONDS);
            String out = Files.readString(log);
            assertTrue(exited, "second daemon " + mode + " started:\n" + out);
            assertEquals(1, second.exitValue(), out);
            assertTrue(out.contains("is in use"), out);
            assertTrue(Files.exists(daemon.socket), mode);
            assertEquals(0, daemon.ctl("show", "summary").status(), mode);
        }
    }

    /**
     * A daemon started without -d whose relay port another program holds exits 1 and says
     * why on the terminal, as nginx and HAProxy do: it said only "the daemon failed to start
     * (exited with code 1); see the system log", and where no syslog daemon runs (a
     * container, a minimal system) the reason was nowhere.
     */
    @Test
    @Order(8)
    void a_detaching_daemon_that_cannot_listen_says_why() throws Exception {
        try (ServerSocket holder = new ServerSocket(0, 5, InetAddress.getLoopbackAddress())) {
            int port = holder.getLocalPort();
            Path sock = dir.resolve("detached.sock");
            Path conf = Files.writeString(dir.resolve("detached.conf"), config("")
                    .replace(daemon.socket.toString(), sock.toString())
                    .replace("port " + relay.getPort(), "port " + port));
            Path log = dir.resolve("detached.log");
            Process p = new ProcessBuilder(Daemon.java(), "-XX:TieredStopAtLevel=1", "-XX:-UsePerfData",
                    "-cp", Daemon.classpath(), "org.hoststated.parent.Hoststated", "-f", conf.toString())
                    .redirectErrorStream(true).redirectOutput(log.toFile()).start();
            boolean exited = p.waitFor(60, TimeUnit.SECONDS);
            p.destroy();
            p.waitFor(15, TimeUnit.SECONDS);
            String out = Files.readString(log);
            assertTrue(exited, "the detaching daemon started:\n" + out);
            assertEquals(1, p.exitValue(), out);
            assertTrue(out.contains("cannot listen on 127.0.0.1 port " + port + ": Address already in use"), out);
            assertTrue(out.contains("the daemon failed to start"), out);
            // Not sent to a system log it has just said is not there (probe AC 4).
            assertEquals(out.contains("no syslog daemon listens"), !out.contains("see the system log"), out);
            assertFalse(Files.exists(sock), out);
        }
    }

    /**
     * The OpenBSD rc.d script finds its daemon by {@code pexp}, with {@code pgrep -xf}: the
     * whole command line must match. rc.d starts the daemon without -d, so the process that
     * runs is the copy it detaches, whose command line has {@code --detached} before the
     * flags; pexp left that out, so rcctl check, stop and reload found no daemon. procps'
     * pgrep reads pexp as OpenBSD's does (an extended regular expression, -x: all of it).
     */
    @Test
    @Order(8)
    void the_rc_d_script_finds_the_daemon_it_started() throws Exception {
        Assumptions.assumeTrue(Daemon.installed("pgrep"), "no pgrep: skipped");
        Path sock = dir.resolve("rcd.sock");
        Path conf = Files.writeString(dir.resolve("rcd.conf"), config("")
                .replace(daemon.socket.toString(), sock.toString())
                .replace("port " + relay.getPort(), "port " + freePort()));
        Path log = dir.resolve("rcd.log");
        Process p = new ProcessBuilder(Daemon.java(), "-XX:TieredStopAtLevel=1", "-XX:-UsePerfData",
                "-cp", Daemon.classpath(), "org.hoststated.parent.Hoststated", "-f", conf.toString())
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        try {
            assertTrue(p.waitFor(60, TimeUnit.SECONDS), "did not detach: " + Files.readString(log));
            assertEquals(0, p.exitValue(), Files.readString(log));
            Path rc = Path.of(System.getProperty("user.dir")).getParent().resolve("etc/hoststated.rc");
            Process pgrep = new ProcessBuilder("sh", "-c", "daemon_flags=\"-f " + conf + "\"\n"
                    + "eval \"$(grep '^pexp=' " + rc + ")\"\npgrep -xf \"$pexp\"")
                    .redirectErrorStream(true).start();
            String found = new String(pgrep.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            pgrep.waitFor(30, TimeUnit.SECONDS);
            List<Long> detached = ProcessHandle.allProcesses()
                    .filter(h -> Daemon.cmdline(h.pid()).startsWith("hoststated: parent ")
                            && Daemon.cmdline(h.pid()).trim().endsWith(" -f " + conf))
                    .map(ProcessHandle::pid).toList();
            assertEquals(1, detached.size(), detached.toString());
            assertEquals(String.valueOf(detached.get(0)), found, "pgrep -xf pexp of " + rc);
        } finally {
            new ProcessBuilder(Daemon.java(), "-XX:TieredStopAtLevel=1", "-XX:-UsePerfData", "-cp",
                    Daemon.classpath(), "org.hoststated.ctl.Hoststatectl", "-s", sock.toString(), "stop")
                    .inheritIO().start().waitFor(60, TimeUnit.SECONDS);
            Daemon.await("the detached daemon gone", Duration.ofSeconds(30), () -> !Files.exists(sock));
        }
    }

    /**
     * SIGUSR1, which log rotation scripts send to daemons to reopen their logs, ended the
     * parent JVM (the default action) without a word, its control socket left behind; relayd
     * ignores it.
     */
    @Test
    @Order(9)
    void sigusr1_is_ignored() throws Exception {
        daemon.signal("USR1");
        daemon.awaitLogged("the parent's word on SIGUSR1", Duration.ofSeconds(10),
                () -> daemon.logText().contains("parent: SIGUSR1 ignored") || !daemon.process().isAlive());
        assertTrue(daemon.process().isAlive(), daemon.logText());
        assertEquals(0, daemon.ctl("show", "summary").status(), daemon.logText());
        // "pkill -USR1 hoststated" (or -HUP) reaches the engines too: they ignore both, as
        // relayd's children do; the JVM's default ended each one, and the parent restarted it.
        List<Long> children = Stream.of("hoststated: pf engine", "hoststated: health check engine",
                "hoststated: relay engine").map(t -> daemon.child(t).orElseThrow()).toList();
        for (long pid : children) {
            for (String sig : List.of("USR1", "HUP")) {
                assertEquals(0, new ProcessBuilder("kill", "-" + sig, Long.toString(pid)).start().waitFor());
            }
        }
        for (long pid : children) {
            ProcessHandle h = ProcessHandle.of(pid).orElseThrow();
            // An engine that took the signal's default action is gone well within 2 s.
            assertThrows(java.util.concurrent.TimeoutException.class, () -> h.onExit().get(2, TimeUnit.SECONDS),
                    "engine " + pid + " ended on USR1 or HUP: " + daemon.logText());
        }
        assertEquals(0, daemon.ctl("show", "summary").status(), daemon.logText());
    }

    @Test
    @Order(10)
    void sigterm_stops_everything_and_removes_the_socket() throws Exception {
        List<Long> children = Stream.of("hoststated: pf engine", "hoststated: health check engine",
                "hoststated: relay engine").map(t -> daemon.child(t).orElseThrow()).toList();
        daemon.signal("TERM");
        assertTrue(daemon.process().waitFor(15, TimeUnit.SECONDS), "daemon did not stop");
        assertEquals(0, daemon.process().exitValue(), daemon.logText());
        assertFalse(Files.exists(daemon.socket));
        for (long pid : children) {
            assertFalse(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false), "child " + pid + " survived");
        }
    }

    private static String fetchFrom(String expected) throws IOException {
        for (int i = 0; i < 4; i++) {
            String got = Daemon.fetch(relay);
            if (got.equals(expected)) {
                return got;
            }
        }
        return "";
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    static Set<String> fdTargets(long pid) throws IOException {
        Set<String> out = new HashSet<>();
        try (Stream<Path> s = Files.list(Path.of("/proc/" + pid + "/fd"))) {
            for (Path p : s.toList()) {
                try {
                    out.add(Files.readSymbolicLink(p).toString());
                } catch (IOException e) {
                    // The descriptor closed while we listed: not a leak.
                }
            }
        }
        return out;
    }

    static String socketInode(String path) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/net/unix"))) {
            if (line.endsWith(" " + path)) {
                String[] f = line.trim().split("\\s+");
                return f[6];
            }
        }
        throw new IllegalStateException("no unix socket " + path);
    }

    static String tcpListenInode(int port) throws IOException {
        String hexPort = String.format(":%04X", port);
        // The parent's listeners are dual-stack sockets where the host has IPv6: look in both.
        for (String table : List.of("/proc/net/tcp", "/proc/net/tcp6")) {
            for (String line : Files.readAllLines(Path.of(table))) {
                String[] f = line.trim().split("\\s+");
                if (f.length > 9 && f[1].endsWith(hexPort) && f[3].equals("0A")) {
                    return f[9];
                }
            }
        }
        throw new IllegalStateException("no listener on port " + port);
    }

}
