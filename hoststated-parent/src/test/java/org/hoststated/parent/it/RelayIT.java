package org.hoststated.parent.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;
import org.hoststated.core.msg.CtlSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The relay engine in the running daemon: live sessions listed through the control socket,
 * one log line per closed session, the session timeout, a disabled relay.
 */
class RelayIT {
    static final String S = "127.22.1.1";
    static final String T = "127.22.1.2";
    static final String OFF = "127.22.1.3";

    @TempDir
    static Path dir;
    static Daemon daemon;
    static RelayEchoBackend echo;
    static int portS;
    static int portT;
    static int portOff;

    @BeforeAll
    static void start() throws Exception {
        Assumptions.assumeTrue("root".equals(System.getProperty("user.name")), "needs root: skipped");
        echo = new RelayEchoBackend("echo", "127.22.1.11");
        portS = RelayClient.freePort(S);
        portT = RelayClient.freePort(T);
        portOff = RelayClient.freePort(OFF);
        String fwd = "  forward to 127.22.1.11 port " + echo.port() + "\n";
        daemon = new Daemon(dir);
        daemon.writeConfig(daemon.globals() + "log updates\nprefork 2\n"
                + "relay s {\n  listen on " + S + " port " + portS + "\n" + fwd + "}\n"
                + "relay t {\n  listen on " + T + " port " + portT + "\n" + fwd + "  timeout 1\n}\n"
                + "relay off {\n  listen on " + OFF + " port " + portOff + "\n" + fwd + "  disable\n}\n");
        daemon.start();
        daemon.awaitLogged("relay s serving", Duration.ofSeconds(20), () -> "echo".equals(RelayClient.session(S, portS)));
    }

    @AfterAll
    static void stop() throws Exception {
        if (daemon != null) {
            daemon.close();
            Files.writeString(Path.of("target", "RelayIT-daemon.log"), daemon.logText());
        }
        if (echo != null) {
            echo.close();
        }
    }

    @Test
    void liveSessionsAreListedAndEachClosedSessionLogsOneLine() throws Exception {
        int clientPort;
        try (Socket c = RelayClient.open(S, portS)) {
            clientPort = c.getLocalPort();
            assertEquals("echo", RelayClient.readLine(c.getInputStream()));
            List<CtlSession> rows = RelayControl.sessions(daemon.socket);
            CtlSession row = rows.stream().filter(r -> r.clientPort() == clientPort).findFirst()
                    .orElseThrow(() -> new AssertionError("session not listed: " + rows));
            assertEquals(echo.port(), row.targetPort());
            assertEquals("127.22.1.11", row.target().getHostAddress());
            assertFalse(row.done());
            assertTrue(row.loop() == 0 || row.loop() == 1, "prefork 2: loop " + row.loop());
            c.shutdownOutput();
            assertEquals(-1, c.getInputStream().read());
        }
        daemon.awaitLogged("session gone from the list", Duration.ofSeconds(10),
                () -> RelayControl.sessions(daemon.socket).stream().noneMatch(r -> r.clientPort() == clientPort));
        // Duration and bytes come between the addresses and the reason.
        Pattern line = Pattern.compile(":" + clientPort + " -> 127\\.22\\.1\\.11:" + echo.port()
                + ", \\d+ ms, \\d+ bytes to server, \\d+ bytes to client, done");
        daemon.awaitLogged("close line", Duration.ofSeconds(10), () -> line.matcher(daemon.logText()).find());
        assertEquals(1, daemon.logText().lines().filter(l -> l.contains(":" + clientPort + " -> ")).count());
    }

    /**
     * A client that resets at once is logged with its address, or as "unknown" when it reset
     * before the relay asked for it (io_uring's multishot accept), never as 0.0.0.0:0.
     */
    @Test
    void aClientThatResetsAtOnceIsNotLoggedWithAZeroAddress() throws Exception {
        long before = sessionLines();
        for (int i = 0; i < 20; i++) {
            try (Socket c = new Socket()) {
                c.setSoLinger(true, 0);
                c.connect(new InetSocketAddress(S, portS));
            }
        }
        daemon.awaitLogged("a close line per client", Duration.ofSeconds(10), () -> sessionLines() >= before + 20);
        assertFalse(daemon.logText().contains("0.0.0.0:0"), daemon.logText());
    }

    private static long sessionLines() {
        return daemon.logText().lines().filter(l -> l.contains("relay s, session ")).count();
    }

    @Test
    void anIdleSessionEndsAtTheRelaysTimeout() throws Exception {
        try (Socket c = RelayClient.open(T, portT)) {
            assertEquals("echo", RelayClient.readLine(c.getInputStream()));
            long t0 = System.nanoTime();
            assertEquals(-1, c.getInputStream().read());
            long ms = (System.nanoTime() - t0) / 1_000_000;
            assertTrue(ms >= 800, "closed after " + ms + " ms");
            int clientPort = c.getLocalPort();
            daemon.awaitLogged("timeout line", Duration.ofSeconds(10),
                    () -> Pattern.compile(":" + clientPort + " -> 127\\.22\\.1\\.11:" + echo.port()
                            + ", \\d+ ms, \\d+ bytes to server, \\d+ bytes to client, session timeout")
                            .matcher(daemon.logText()).find());
        }
    }

    /**
     * relayd reported a relay's sessions once a minute; here {@code show relays} has them
     * within a refresh step (5 s) of the sessions.
     */
    @Test
    void showRelaysCountsSessionsWithinSeconds() throws Exception {
        for (int i = 0; i < 3; i++) {
            assertEquals("echo", RelayClient.session(S, portS));
        }
        daemon.awaitLogged("relay s statistics", Duration.ofSeconds(12), () -> {
            String out = daemon.ctl("show", "relays").output();
            String below = out.substring(out.indexOf("\ts "));
            return below.contains("total: ") && below.contains("/60s");
        });
    }

    /**
     * The engine's buffers are counted by Netty, so an allocation past the limit fails at once
     * instead of stalling a loop, and the limit follows the machine's memory.
     */
    @Test
    void theRelayEngineLogsItsDirectMemoryAllocatedByNetty() {
        String line = daemon.logText().lines().filter(l -> l.contains("relay: using the")).findFirst().orElse("");
        assertTrue(line.matches(".*, \\d+ MiB of direct memory"), line);
    }

    /**
     * Clients asking for the sessions all at once are served by a few listings of the relay
     * engine, each sent to every client that asked before it began: one listing per client let
     * 50 clients with 5,000 sessions hold the relay engine's loop past the supervisor's 10 s,
     * and the relay engine was killed with every session. The relay engine is stopped
     * (SIGSTOP) while the requests arrive, so that they all come while the first listing is
     * under way: the others must share the second. A listing is told apart by the ages in it,
     * which the relay engine reads from its clock when it makes the listing.
     */
    @Test
    void aBurstOfSessionListingsIsServedByFewListingsOfEverySession() throws Exception {
        List<Socket> sessions = new ArrayList<>();
        List<SocketChannel> clients = new ArrayList<>();
        try {
            Set<Integer> ports = new HashSet<>();
            for (int i = 0; i < 200; i++) {
                Socket c = RelayClient.open(S, portS);
                sessions.add(c);
                assertEquals("echo", RelayClient.readLine(c.getInputStream()));
                ports.add(c.getLocalPort());
            }
            for (int i = 0; i < 100; i++) {
                SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX);
                clients.add(ch);
                ch.connect(UnixDomainSocketAddress.of(daemon.socket));
            }
            long relay = daemon.child("hoststated: relay engine").orElseThrow();
            signal("STOP", relay);
            try {
                for (SocketChannel ch : clients) {
                    RelayControl.ask(ch);
                }
                Thread.sleep(1000); // the parent reads them; well within its 10 s patience with an engine
            } finally {
                signal("CONT", relay);
            }
            int first = sessions.get(0).getLocalPort();
            Set<Long> listings = new HashSet<>();
            for (SocketChannel ch : clients) {
                List<CtlSession> rows = RelayControl.rows(ch);
                Set<Integer> listed = new HashSet<>();
                rows.forEach(r -> listed.add(r.clientPort()));
                assertTrue(listed.containsAll(ports), "a session missing from a listing of " + rows.size());
                listings.add(rows.stream().filter(r -> r.clientPort() == first).findFirst().orElseThrow().ageMs());
            }
            assertTrue(listings.size() <= 3, listings.size() + " listings for 100 clients");
        } finally {
            for (SocketChannel ch : clients) {
                ch.close();
            }
            for (Socket c : sessions) {
                c.close();
            }
        }
    }

    private static void signal(String sig, long pid) throws Exception {
        assertEquals(0, new ProcessBuilder("kill", "-" + sig, Long.toString(pid)).inheritIO().start().waitFor());
    }

    /** ... and says so in the log, at most once a minute: it was silent (probe X). */
    @Test
    void aDisabledRelayAcceptsAndCloses() throws Exception {
        try (Socket c = RelayClient.open(OFF, portOff)) {
            assertEquals(-1, c.getInputStream().read());
        }
        daemon.awaitLogged("the disabled relay's line", Duration.ofSeconds(10), () -> daemon.logText()
                .contains("relay off: disabled in the configuration: 1 connection closed as accepted since the last such line"));
    }
}
