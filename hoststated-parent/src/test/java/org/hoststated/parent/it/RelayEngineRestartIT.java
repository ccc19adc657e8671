package org.hoststated.parent.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * What {@code show relays} says while the relay engine restarts after it was killed: its
 * relays are down from the engine's death until the new engine runs the configuration. The
 * parent said "active" again as soon as it had started the new process, a JVM that served
 * nothing yet. {@code -Dhoststated.it.relayrestart} moves the test to other loopback
 * addresses.
 */
class RelayEngineRestartIT {
    private static final String NET = System.getProperty("hoststated.it.relayrestart", "127.39.8");
    private static final Duration WAIT = Duration.ofSeconds(20);
    private static final String TITLE = "hoststated: relay engine";

    @Test
    void relaysAreDownUntilTheNewRelayEngineRunsTheConfiguration(@TempDir Path dir) throws Exception {
        Assumptions.assumeTrue("root".equals(System.getProperty("user.name")), "needs root: skipped");
        InetSocketAddress relay = new InetSocketAddress(NET + ".1", CtlIT.freePort(NET + ".1"));
        try (Backend one = new Backend("one", NET + ".11", 0); Daemon d = new Daemon(dir)) {
            d.writeConfig(d.globals() + "interval 1\ntimeout 300\n"
                    + "table web {\n  real port " + one.address.getPort() + "\n  check tcp\n  host " + NET + ".11\n}\n"
                    + "relay www {\n  listen on " + relay.getHostString() + " port " + relay.getPort()
                    + "\n  table web\n}\n");
            d.start();
            d.awaitLogged("relay www serves", WAIT, () -> "one".equals(Daemon.fetch(relay)));
            assertTrue(relays(d).contains("active"), relays(d));

            long old = d.child(TITLE).orElseThrow();
            new ProcessBuilder("kill", "-KILL", Long.toString(old)).start().waitFor();
            // Stop the new engine as soon as it exists: a JVM needs far longer than this to
            // answer its configuration, so it stays one that has not.
            long next = successor(d, old);
            stop(next);
            try {
                String shown = relays(d);
                assertTrue(shown.contains("down (relay engine restarting)"), shown + "\n" + d.logText());
            } finally {
                new ProcessBuilder("kill", "-CONT", Long.toString(next)).start().waitFor();
            }
            d.awaitLogged("relay www active again", WAIT, () -> relays(d).contains("active"));
            assertEquals("one", Daemon.fetch(relay));
        }
    }

    /**
     * An upgrade that removes the installed jars while the daemon runs (their names carry
     * versions) left a relay engine restarted afterwards without its classes: "Could not find
     * or load main class", and a restart every few seconds, serving nothing, until the daemon
     * was restarted. The engines now run from the jars the parent opened at its start.
     */
    @Test
    void anEngineRestartedAfterItsJarsWereRemovedRunsTheParentsBuild(@TempDir Path dir) throws Exception {
        Assumptions.assumeTrue("root".equals(System.getProperty("user.name")), "needs root: skipped");
        InetSocketAddress relay = new InetSocketAddress(NET + ".1", CtlIT.freePort(NET + ".1"));
        Path lib = Files.createDirectories(dir.resolve("lib"));
        List<String> jars = new ArrayList<>();
        for (String jar : Daemon.classpath().split(File.pathSeparator)) {
            Path copy = lib.resolve(Path.of(jar).getFileName());
            if (!Files.exists(copy)) { // the build's hoststated-parent jar is in target and target/lib
                jars.add(Files.copy(Path.of(jar), copy).toString());
            }
        }
        try (Backend one = new Backend("one", NET + ".11", 0); Daemon d = new Daemon(dir)) {
            d.writeConfig(d.globals() + "interval 1\ntimeout 300\n"
                    + "table web {\n  real port " + one.address.getPort() + "\n  check tcp\n  host " + NET + ".11\n}\n"
                    + "relay www {\n  listen on " + relay.getHostString() + " port " + relay.getPort()
                    + "\n  table web\n}\n");
            d.runFrom(String.join(File.pathSeparator, jars));
            d.start();
            d.awaitLogged("relay www serves", WAIT, () -> "one".equals(Daemon.fetch(relay)));
            for (String jar : jars) {
                Files.delete(Path.of(jar));
            }
            long old = d.child(TITLE).orElseThrow();
            new ProcessBuilder("kill", "-KILL", Long.toString(old)).start().waitFor();
            successor(d, old);
            d.awaitLogged("relay www active again", WAIT, () -> relays(d).contains("active"));
            assertEquals("one", Daemon.fetch(relay));
            assertFalse(d.logText().contains("Could not find or load main class"), d.logText());
        }
    }

    /**
     * A relay engine that does not read the descriptors passed to it (stopped here; a frozen or
     * still starting JVM alike) held the parent: past about 280 unread, sendmsg blocked the
     * parent's loop, and with it the control socket, the signals and the watchdog, for good.
     * They now wait in the parent until the engine reads them.
     */
    @Test
    void aRelayEngineThatReadsNoDescriptorsDoesNotHoldTheParent(@TempDir Path dir) throws Exception {
        Assumptions.assumeTrue("root".equals(System.getProperty("user.name")), "needs root: skipped");
        String listen = NET + ".2";
        List<Integer> ports = new ArrayList<>();
        StringBuilder relays = new StringBuilder();
        for (int i = 0; i < 400; i++) {
            int port = CtlIT.freePort(listen);
            if (ports.contains(port)) {
                continue;
            }
            ports.add(port);
            relays.append("relay r").append(i).append(" {\n  listen on ").append(listen).append(" port ").append(port)
                    .append("\n  table web\n}\n");
        }
        InetSocketAddress first = new InetSocketAddress(listen, ports.get(0));
        InetSocketAddress last = new InetSocketAddress(listen, ports.get(ports.size() - 1));
        try (Backend one = new Backend("one", NET + ".11", 0); Daemon d = new Daemon(dir)) {
            d.writeConfig(d.globals() + "interval 1\ntimeout 300\n"
                    + "table web {\n  real port " + one.address.getPort() + "\n  check tcp\n  host " + NET + ".11\n}\n"
                    + relays);
            d.start();
            d.awaitLogged("the relays serve", WAIT, () -> "one".equals(Daemon.fetch(last)));
            long engine = d.child(TITLE).orElseThrow();
            stop(engine);
            try {
                d.signal("HUP");
                d.awaitLogged("the reload", WAIT, () -> d.logText().contains("reloading configuration"));
                // The file read, the configuration and the listeners go at once.
                Thread.sleep(1000);
                long t0 = System.nanoTime();
                Daemon.Result summary = d.ctl("show", "summary");
                assertEquals(0, summary.status(), summary.output() + "\n" + d.logText());
                assertTrue(Duration.ofNanos(System.nanoTime() - t0).compareTo(Duration.ofSeconds(10)) < 0,
                        "show summary answered late");
            } finally {
                new ProcessBuilder("kill", "-CONT", Long.toString(engine)).start().waitFor();
            }
            d.awaitLogged("the reload in force", WAIT, () -> relays(d).contains("active"));
            assertEquals("one", Daemon.fetch(first));
            assertEquals("one", Daemon.fetch(last));
            assertEquals(Optional.of(engine), d.child(TITLE), "the same relay engine");
        }
    }

    /**
     * An engine stopped while a reload waits for it was given the minute a busy one gets to
     * apply a configuration, and the relays answered nothing for that minute (probe U). The
     * kernel says it is stopped, so the watchdog's usual 10 s apply.
     */
    @Test
    void aRelayEngineStoppedDuringAReloadIsKilledAfterTheUsualWait(@TempDir Path dir) throws Exception {
        Assumptions.assumeTrue("root".equals(System.getProperty("user.name")), "needs root: skipped");
        InetSocketAddress relay = new InetSocketAddress(NET + ".3", CtlIT.freePort(NET + ".3"));
        try (Backend one = new Backend("one", NET + ".11", 0); Daemon d = new Daemon(dir)) {
            String config = d.globals() + "interval 1\ntimeout 300\n"
                    + "table web {\n  real port " + one.address.getPort() + "\n  check tcp\n  host " + NET + ".11\n}\n"
                    + "relay www {\n  listen on " + relay.getHostString() + " port " + relay.getPort()
                    + "\n  table web\n}\n";
            d.writeConfig(config);
            d.start();
            d.awaitLogged("relay www serves", WAIT, () -> "one".equals(Daemon.fetch(relay)));
            long engine = d.child(TITLE).orElseThrow();
            stop(engine);
            long t0 = System.nanoTime();
            d.writeConfig(config + "# reloaded\n");
            d.signal("HUP");
            d.awaitLogged("the stopped engine killed", Duration.ofSeconds(30),
                    () -> d.logText().lines().anyMatch(l -> l.contains("relay engine (pid " + engine + ") has not answered for")
                            && l.contains(" s and is stopped; killing it")));
            Duration took = Duration.ofNanos(System.nanoTime() - t0);
            assertTrue(took.compareTo(Duration.ofSeconds(25)) < 0, "killed after " + took);
            successor(d, engine);
            d.awaitLogged("relay www serves again", WAIT, () -> "one".equals(Daemon.fetch(relay)));
        }
    }

    /**
     * A relay engine that dies resets its sessions' peers: a client whose download it cut, and
     * a server whose upload it cut, each learn that their stream was cut. The kernel's close of
     * a dead process's sockets sent each a FIN after what the engine had queued for it, and a
     * plain TCP client took the cut download for a whole one (probe C, session 55).
     */
    @ParameterizedTest
    @ValueSource(strings = {"io_uring", "epoll"})
    void aKilledRelayEngineResetsItsSessionsPeers(String transport, @TempDir Path dir) throws Exception {
        Assumptions.assumeTrue("root".equals(System.getProperty("user.name")), "needs root: skipped");
        InetSocketAddress relay = new InetSocketAddress(NET + ".4", CtlIT.freePort(NET + ".4"));
        try (StreamingServer server = new StreamingServer(NET + ".12"); Daemon d = new Daemon(dir)) {
            d.writeConfig(d.globals() + "interval 1\ntimeout 300\n"
                    + "table web {\n  real port " + server.port() + "\n  check tcp\n  host " + NET + ".12\n}\n"
                    + "relay www {\n  listen on " + relay.getHostString() + " port " + relay.getPort()
                    + "\n  table web\n}\n");
            d.start(transport.equals("epoll") ? Map.of("HOSTSTATED_RELAY_TRANSPORT", "epoll") : Map.of());
            Socket[] download = new Socket[1];
            d.awaitLogged("a download through relay www", WAIT, () -> (download[0] = StreamingServer.open(relay, 'D')) != null);
            try (Socket client = download[0]; Socket upload = StreamingServer.open(relay, 'U')) {
                Socket uploaded = server.uploads.poll(20, TimeUnit.SECONDS);
                assertNotNull(uploaded, "the upload's server side");
                Thread writer = new Thread(() -> {
                    byte[] chunk = new byte[64 * 1024];
                    try {
                        while (true) {
                            upload.getOutputStream().write(chunk);
                        }
                    } catch (IOException e) {
                        // the relay engine's end
                    }
                });
                writer.setDaemon(true);
                writer.start();
                Thread.sleep(1000); // every buffer on the way fills: the client and the server read nothing
                new ProcessBuilder("kill", "-KILL", Long.toString(d.child(TITLE).orElseThrow())).start().waitFor();
                assertEquals("reset", StreamingServer.end(client), "the client of the cut download");
                assertEquals("reset", StreamingServer.end(uploaded), "the server of the cut upload");
            }
        }
    }

    /**
     * A backend of its own for {@link #aKilledRelayEngineResetsItsSessionsPeers}: a connection
     * that sends 'D' gets bytes until it resets, one that sends 'U' is handed to the test; any
     * other (the checks') is closed.
     */
    private static final class StreamingServer implements AutoCloseable {
        final ServerSocket listening = new ServerSocket();
        final BlockingQueue<Socket> uploads = new LinkedBlockingQueue<>();

        StreamingServer(String address) throws IOException {
            listening.bind(new InetSocketAddress(address, 0));
            Thread t = new Thread(this::accept);
            t.setDaemon(true);
            t.start();
        }

        int port() {
            return listening.getLocalPort();
        }

        private void accept() {
            while (!listening.isClosed()) {
                try {
                    Socket s = listening.accept();
                    Thread t = new Thread(() -> serve(s));
                    t.setDaemon(true);
                    t.start();
                } catch (IOException e) {
                    return;
                }
            }
        }

        private void serve(Socket s) {
            try {
                int kind = s.getInputStream().read();
                if (kind == 'U') {
                    uploads.add(s);
                    return;
                }
                if (kind == 'D') {
                    byte[] chunk = new byte[64 * 1024];
                    while (true) {
                        s.getOutputStream().write(chunk);
                    }
                }
                s.close();
            } catch (IOException e) {
                // a check's close, or the relay engine's end
            }
        }

        /** A connection through {@code relay} of {@code kind}, once its server serves it; null before. */
        static Socket open(InetSocketAddress relay, char kind) throws IOException {
            Socket s = new Socket();
            s.connect(relay, 2000);
            s.setSoTimeout(5000);
            s.getOutputStream().write(kind);
            if (kind == 'D' && s.getInputStream().read() < 0) {
                s.close();
                return null;
            }
            return s;
        }

        /** How what {@code s} receives ends: "reset", or "FIN" (the end of a whole stream). */
        static String end(Socket s) throws IOException {
            s.setSoTimeout(20_000);
            byte[] b = new byte[64 * 1024];
            try {
                while (s.getInputStream().read(b) >= 0) {
                    // what was queued before the end
                }
                return "FIN";
            } catch (SocketException e) {
                return e.getMessage().contains("reset") ? "reset" : e.getMessage();
            }
        }

        @Override
        public void close() throws IOException {
            listening.close();
        }
    }

    private static String relays(Daemon d) throws Exception {
        return d.ctl("show", "relays").output();
    }

    /**
     * Stops process {@code pid} (SIGSTOP) and waits until the kernel shows each of its threads
     * stopped: kill(1) returns once the signal is sent, and a thread stops only when it next
     * runs. Once (a CI run beside a probe's load) an engine stopped just before a reload still
     * took the new configuration.
     */
    private static void stop(long pid) throws IOException, InterruptedException {
        new ProcessBuilder("kill", "-STOP", Long.toString(pid)).start().waitFor();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (!allStopped(pid)) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("process " + pid + " not stopped 5 s after SIGSTOP");
            }
            Thread.sleep(2);
        }
    }

    private static boolean allStopped(long pid) throws IOException {
        try (var tasks = Files.list(Path.of("/proc/" + pid + "/task"))) {
            for (Path t : (Iterable<Path>) tasks::iterator) {
                String stat = Files.readString(t.resolve("stat"));
                char state = stat.charAt(stat.lastIndexOf(')') + 2);
                if (state != 'T' && state != 't') {
                    return false;
                }
            }
        } catch (java.nio.file.NoSuchFileException e) {
            return false; // a thread that ended meanwhile: look again
        }
        return true;
    }

    private static long successor(Daemon d, long old) throws InterruptedException {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (System.nanoTime() < deadline) {
            Optional<Long> p = d.child(TITLE).filter(x -> x != old);
            if (p.isPresent()) {
                return p.get();
            }
            Thread.sleep(2);
        }
        throw new AssertionError("no new relay engine\n" + d.logText());
    }
}
