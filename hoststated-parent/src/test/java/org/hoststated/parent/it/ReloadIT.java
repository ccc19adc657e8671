package org.hoststated.parent.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * Reload as an operator uses it, through {@code hoststatectl reload} and SIGHUP: a relay added,
 * one removed, one kept (same listening socket, a session through it lives on), hosts that
 * stay keep their state and counters, and a configuration with errors is refused with its
 * first error while the old one keeps serving.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ReloadIT {
    private static final String RELAY_IP = "127.25.2.1";

    @TempDir
    static Path dir;
    static Daemon daemon;
    static EchoBackend one;
    static EchoBackend two;
    static int port;
    static int kept;
    static int added;

    @BeforeAll
    static void start() throws Exception {
        Assumptions.assumeTrue("root".equals(System.getProperty("user.name")), "needs root: skipped");
        one = new EchoBackend("127.25.2.11", 0);
        port = one.port();
        two = new EchoBackend("127.25.2.12", port);
        kept = CtlIT.freePort(RELAY_IP);
        added = CtlIT.freePort(RELAY_IP);
        daemon = new Daemon(dir);
        daemon.writeConfig(config(""));
        daemon.start();
        daemon.awaitLogged("both hosts up", Duration.ofSeconds(20), () ->
                daemon.hostLine("127.25.2.11").endsWith("up") && daemon.hostLine("127.25.2.12").endsWith("up"));
    }

    static String config(String extra) {
        return daemon.globals() + "interval 1\ntimeout 300\n"
                + "table web {\n  real port " + port + "\n  check tcp\n  host 127.25.2.11\n  host 127.25.2.12\n}\n"
                + "relay kept {\n  listen on " + RELAY_IP + " port " + kept + "\n  table web roundrobin\n}\n" + extra;
    }

    static String addedRelay() {
        return "relay added {\n  listen on " + RELAY_IP + " port " + added + "\n  table web roundrobin\n}\n";
    }

    @AfterAll
    static void stop() throws Exception {
        if (daemon != null) {
            daemon.close();
        }
        for (EchoBackend b : new EchoBackend[] {one, two}) {
            if (b != null) {
                b.close();
            }
        }
    }

    @Test
    @Order(1)
    void reloadAddsARelayKeepsTheListenerThatStaysAndTheSessionThroughIt() throws Exception {
        String inode = DaemonIT.tcpListenInode(kept);
        int checksBefore = checks("127.25.2.11");
        try (EchoSession s = new EchoSession(new InetSocketAddress(RELAY_IP, kept))) {
            assertEquals("hello", s.echo("hello"));
            daemon.writeConfig(config(addedRelay()));
            assertEquals(new Daemon.Result(0, "command succeeded\n"), daemon.ctl("reload"));
            // The session in flight goes on after the reload.
            assertEquals("still here", s.echo("still here"));
        }
        assertEquals(inode, DaemonIT.tcpListenInode(kept), "the kept relay's listening socket was replaced");
        try (EchoSession s = new EchoSession(new InetSocketAddress(RELAY_IP, added))) {
            assertEquals("new relay", s.echo("new relay"));
        }
        assertTrue(daemon.ctl("show", "relays").output().contains("\tadded "));
        // Hosts that stay keep their state and their counters.
        assertTrue(daemon.hostLine("127.25.2.11").endsWith("up"));
        assertTrue(checks("127.25.2.11") >= checksBefore, "check counters were reset");
    }

    @Test
    @Order(2)
    void aConfigurationWithErrorsIsRefusedWithItsFirstError() throws Exception {
        String good = Files.readString(daemon.config);
        daemon.writeConfig(good + "table broken {\n  check nonsense\n}\n");
        int line = (int) good.lines().count() + 2;
        Daemon.Result r = daemon.ctl("reload");
        assertEquals(1, r.status());
        assertTrue(r.output().startsWith("command failed: " + daemon.config + ":" + line + ": "), r.output());
        assertEquals(1, r.output().lines().count(), r.output());
        try (EchoSession s = new EchoSession(new InetSocketAddress(RELAY_IP, added))) {
            assertEquals("old config serves", s.echo("old config serves"));
        }
        daemon.writeConfig(good);
    }

    @Test
    @Order(3)
    void sighupRemovesARelayAndClosesItsListener() throws Exception {
        daemon.writeConfig(config(""));
        daemon.signal("HUP");
        daemon.awaitLogged("relay removed", Duration.ofSeconds(15),
                () -> !daemon.ctl("show", "relays").output().contains("\tadded "));
        daemon.awaitLogged("listener closed", Duration.ofSeconds(15), () -> {
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress(RELAY_IP, added), 1000);
                return false;
            } catch (IOException e) {
                return true;
            }
        });
        try (EchoSession s = new EchoSession(new InetSocketAddress(RELAY_IP, kept))) {
            assertEquals("kept", s.echo("kept"));
        }
        assertThrows(IOException.class, () -> new Socket(RELAY_IP, added).close());
    }

    @Test
    @Order(4)
    void twoReloadsAtOnceBothSucceed() throws Exception {
        daemon.writeConfig(config(addedRelay()));
        List<String> cmd = List.of(Daemon.java(), "-XX:-UsePerfData", "-cp", Daemon.classpath(),
                "org.hoststated.ctl.Hoststatectl", "-s", daemon.socket.toString(), "reload");
        Process a = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        Process b = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        // The later reload supersedes the earlier; whoever asked for the earlier hears how it ended.
        for (Process p : List.of(a, b)) {
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(p.waitFor(30, java.util.concurrent.TimeUnit.SECONDS));
            assertEquals("command succeeded\n", out);
            assertEquals(0, p.exitValue());
        }
        try (EchoSession s = new EchoSession(new InetSocketAddress(RELAY_IP, added))) {
            assertEquals("both", s.echo("both"));
        }
    }

    @Test
    @Order(5)
    void showSessionsListsASessionInFlight() throws Exception {
        try (EchoSession s = new EchoSession(new InetSocketAddress(RELAY_IP, kept))) {
            assertEquals("listed", s.echo("listed"));
            Daemon.Result r = daemon.ctl("show", "sessions");
            Assumptions.assumeFalse(r.output().contains("stopped before it answered"),
                    "this relay engine does not list its sessions yet: skipped");
            assertEquals(0, r.status(), r.output());
            String local = s.localPort();
            assertTrue(r.output().lines().anyMatch(l -> l.startsWith("session ") && l.contains(":" + local + " -> ")
                    && l.endsWith("\tRUNNING")), r.output());
            assertTrue(r.output().contains("\tage "), r.output());
            // "listed\n" went each way, the payload as relayed.
            assertTrue(sessionLine(s).endsWith(", 7 bytes to server, 7 bytes to client"), r.output());
        }
    }

    @Test
    @Order(6)
    void aConfigurationWithAnUnusableCertificateIsRefusedBeforeAnyEngineTakesIt() throws Exception {
        // The parent reads and parses the key files before it sends a generation (going back
        // when an engine refuses one that the parent accepted is ReloaderTest's).
        String addr = "127.25.2.5";
        Path crt = Path.of("/etc/ssl", addr + ".crt");
        Path key = Path.of("/etc/ssl/private", addr + ".key");
        Files.createDirectories(key.getParent());
        Files.writeString(crt, "-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n");
        Files.writeString(key, "-----BEGIN PRIVATE KEY-----\nbm90IGEga2V5\n-----END PRIVATE KEY-----\n");
        String good = Files.readString(daemon.config);
        try {
            daemon.writeConfig(good + "table extra {\n  real port " + port + "\n  check tcp\n  host 127.25.2.13\n}\n"
                    + "relay broken {\n  listen on " + addr + " port " + CtlIT.freePort(addr) + " ssl\n"
                    + "  table web roundrobin\n}\n");
            Daemon.Result r = daemon.ctl("reload");
            assertEquals(1, r.status(), r.output());
            assertTrue(r.output().startsWith("command failed: relay broken: " + crt + ", " + key + ": "), r.output());
            assertEquals(1, r.output().lines().count(), r.output());
            // No engine took it: neither the table nor the relay of the refused configuration shows.
            String summary = daemon.ctl("show", "summary").output();
            assertTrue(!summary.contains("extra") && !summary.contains("broken"), summary);
            try (EchoSession s = new EchoSession(new InetSocketAddress(RELAY_IP, kept))) {
                assertEquals("still serving", s.echo("still serving"));
            }
            daemon.writeConfig(good);
            assertEquals(new Daemon.Result(0, "command succeeded\n"), daemon.ctl("reload"));
        } finally {
            Files.deleteIfExists(crt);
            Files.deleteIfExists(key);
        }
    }

    /** A reload for another change does not put a host under maintenance back into service. */
    @Test
    @Order(7)
    void aHostDisabledWithHoststatectlStaysDisabledAfterAReload() throws Exception {
        assertEquals(0, daemon.ctl("host", "disable", "127.25.2.12").status());
        daemon.awaitLogged("host disabled", Duration.ofSeconds(10),
                () -> daemon.hostLine("127.25.2.12").endsWith("disabled"));
        daemon.writeConfig(config(addedRelay()).replace("timeout 300", "timeout 400"));
        assertEquals(new Daemon.Result(0, "command succeeded\n"), daemon.ctl("reload"));
        Thread.sleep(2500); // two check intervals: a checked host would be up again
        assertTrue(daemon.hostLine("127.25.2.12").endsWith("disabled"), daemon.hostLine("127.25.2.12"));
        List<EchoSession> open = new ArrayList<>();
        try {
            for (int i = 0; i < 4; i++) {
                EchoSession e = new EchoSession(new InetSocketAddress(RELAY_IP, kept));
                open.add(e);
                assertEquals("to the host in service", e.echo("to the host in service"));
            }
            String sessions = daemon.ctl("show", "sessions").output();
            assertFalse(sessions.contains("-> 127.25.2.12:"), sessions);
        } finally {
            for (EchoSession e : open) {
                e.close();
            }
        }
        assertEquals(0, daemon.ctl("host", "enable", "127.25.2.12").status());
        daemon.awaitLogged("host back", Duration.ofSeconds(10), () -> daemon.hostLine("127.25.2.12").endsWith("up"));
    }

    /**
     * A reload that adds a relay before one with a session in flight gives that relay another
     * id: {@code show sessions} lists the session under the relay's id now, the one {@code show
     * relays} gives, not the id of the generation the session started in (then the new relay's).
     */
    @Test
    @Order(8)
    void aSessionInFlightIsListedUnderItsRelaysIdAfterAReloadMovedIt() throws Exception {
        daemon.writeConfig(config(""));
        assertEquals(new Daemon.Result(0, "command succeeded\n"), daemon.ctl("reload"));
        try (EchoSession s = new EchoSession(new InetSocketAddress(RELAY_IP, kept))) {
            assertEquals("before", s.echo("before"));
            String before = relayId("kept");
            daemon.writeConfig(config("").replace("relay kept {", addedRelay() + "relay kept {"));
            assertEquals(new Daemon.Result(0, "command succeeded\n"), daemon.ctl("reload"));
            assertEquals("after", s.echo("after"));
            String now = relayId("kept");
            assertFalse(now.equals(before), "the reload did not move relay kept's id: " + now);
            assertTrue(sessionLine(s).contains(", relay " + now + " (kept), "), sessionLine(s) + ": relay kept is " + now);
            // A session of a relay the next reload removes keeps that relay's id, which relay
            // kept has again then: its name tells them apart (probe B of session 55).
            try (EchoSession gone = new EchoSession(new InetSocketAddress(RELAY_IP, added))) {
                assertEquals("going", gone.echo("going"));
                String addedId = relayId("added");
                daemon.writeConfig(config(""));
                assertEquals(new Daemon.Result(0, "command succeeded\n"), daemon.ctl("reload"));
                assertEquals("still", gone.echo("still"));
                assertTrue(sessionLine(gone).contains(", relay " + addedId + " (added, removed), "), sessionLine(gone));
                assertTrue(sessionLine(s).contains(", relay " + before + " (kept), "), sessionLine(s));
            }
        } finally {
            daemon.writeConfig(config(addedRelay()));
            daemon.ctl("reload");
        }
    }

    /** The second line of the {@code show sessions} entry of {@code s}. */
    private static String sessionLine(EchoSession s) throws Exception {
        List<String> lines = daemon.ctl("show", "sessions").output().lines().toList();
        for (int i = 0; i + 1 < lines.size(); i++) {
            if (lines.get(i).startsWith("session ") && lines.get(i).contains(":" + s.localPort() + " -> ")) {
                return lines.get(i + 1);
            }
        }
        throw new AssertionError("no session from port " + s.localPort() + ":\n" + String.join("\n", lines));
    }

    /** A relay's id as {@code show summary} gives it. */
    private static String relayId(String name) throws Exception {
        for (String l : daemon.ctl("show", "summary").output().split("\n")) {
            String[] f = l.split("\t");
            if (f.length > 2 && f[0].equals("relay") && f[2].trim().equals(name)) {
                return f[1].trim();
            }
        }
        throw new AssertionError("no relay " + name);
    }

    private static int checks(String host) throws Exception {
        String[] lines = daemon.ctl("show", "hosts").output().split("\n");
        for (int i = 0; i + 1 < lines.length; i++) {
            if (lines[i].startsWith("host\t") && lines[i].split("\t")[2].trim().equals(host)) {
                String total = lines[i + 1].trim();
                return Integer.parseInt(total.substring(total.indexOf('/') + 1, total.indexOf(" checks")));
            }
        }
        throw new AssertionError("no counters for " + host);
    }

    /** A connection through a relay to an {@link EchoBackend}: one line out, the same line back. */
    static final class EchoSession implements AutoCloseable {
        private final Socket socket;
        private final PrintWriter out;
        private final BufferedReader in;

        EchoSession(InetSocketAddress relay) throws IOException {
            socket = new Socket();
            socket.connect(relay, 2000);
            socket.setSoTimeout(5000);
            out = new PrintWriter(socket.getOutputStream(), true, StandardCharsets.US_ASCII);
            in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.US_ASCII));
        }

        String localPort() {
            return Integer.toString(socket.getLocalPort());
        }

        String echo(String line) throws IOException {
            out.println(line);
            return in.readLine();
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }

    /** A backend that echoes every line back, one thread per connection, until the client closes. */
    static final class EchoBackend implements AutoCloseable {
        private final ServerSocket server;

        EchoBackend(String ip, int port) throws IOException {
            server = new ServerSocket();
            server.setReuseAddress(true);
            server.bind(new InetSocketAddress(InetAddress.getByName(ip), port), 128);
            Thread t = new Thread(this::serve, "echo-" + ip);
            t.setDaemon(true);
            t.start();
        }

        int port() {
            return server.getLocalPort();
        }

        private void serve() {
            while (!server.isClosed()) {
                try {
                    Socket s = server.accept();
                    Thread t = new Thread(() -> echo(s), "echo-session");
                    t.setDaemon(true);
                    t.start();
                } catch (IOException e) {
                    // Closed at the end of the test.
                }
            }
        }

        private static void echo(Socket s) {
            try (s; OutputStream out = s.getOutputStream()) {
                s.getInputStream().transferTo(out);
            } catch (IOException e) {
                // A health check that connects and leaves, or the end of a session.
            }
        }

        @Override
        public void close() throws IOException {
            server.close();
        }
    }
}
