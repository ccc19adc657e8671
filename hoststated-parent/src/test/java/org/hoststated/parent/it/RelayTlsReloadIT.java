package org.hoststated.parent.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A TLS 1.2 client that resumes by session id (no tickets), and a TLS 1.3 one that resumes by
 * ticket, across reloads of the running daemon: a reload that leaves the relay's TLS settings
 * and files as they were keeps the relay engine's TLS context, so its session cache, and the
 * relay's ticket key; a reload with a new certificate and key starts an empty cache and a new
 * ticket key. The relay's backend changes at each reload, so the greeting tells which
 * generation's server answered (the old one accepts until the new listener is up).
 */
class RelayTlsReloadIT {
    static final String ADDR = "127.22.4.1";
    /** A TLS 1.3 client, which resumes by ticket only. */
    static final String TICKET = "-tls1_3";

    @TempDir
    static Path dir;
    static RelayKeyFiles files;
    static Daemon daemon;
    static RelayEchoBackend first;
    static RelayEchoBackend second;
    static int port;

    @BeforeAll
    static void start() throws Exception {
        files = new RelayKeyFiles(ADDR);
        first = new RelayEchoBackend("first", "127.22.4.11");
        second = new RelayEchoBackend("second", "127.22.4.12");
        port = RelayClient.freePort(ADDR);
        daemon = new Daemon(dir);
        daemon.writeConfig(config(first));
        daemon.start();
    }

    @AfterAll
    static void stop() throws Exception {
        if (daemon != null) {
            daemon.close();
            Files.writeString(Path.of("target", "RelayTlsReloadIT-daemon.log"), daemon.logText());
        }
        for (RelayEchoBackend b : new RelayEchoBackend[] {first, second}) {
            if (b != null) {
                b.close();
            }
        }
        if (files != null) {
            files.close();
        }
    }

    /** The relay, forwarding to {@code to}; the rest stays the same across reloads. */
    static String config(RelayEchoBackend to) {
        return daemon.globals() + "protocol secure {\n  ssl { ciphers \"HIGH:!ADH\", session cache 100 }\n}\n"
                + "relay tls {\n  listen on " + ADDR + " port " + port + " ssl\n  forward to "
                + to.address.getAddress().getHostAddress() + " port " + to.port() + "\n  protocol secure\n}\n";
    }

    @Test
    void sessionIdResumptionSurvivesAReloadThatKeepsTheTlsSettings() throws Exception {
        Path sess = dir.resolve("session.pem");
        String flags = "-tls1_2 -no_ticket";
        String[] out = new String[1];
        daemon.awaitLogged("a TLS 1.2 session from the relay", Duration.ofSeconds(20), () -> {
            out[0] = sClient(flags + " -sess_out " + sess);
            return out[0].contains("\nfirst\n") && Files.size(sess) > 0;
        });
        assertTrue(out[0].contains("New,"), out[0]);
        Path ticket = dir.resolve("ticket.pem");
        assertTrue(sClient(TICKET + " -sess_out " + ticket).contains("New,"));

        // Only the backend changes: the parent reads the same certificate and key again.
        daemon.writeConfig(config(second));
        assertEquals(new Daemon.Result(0, "command succeeded\n"), daemon.ctl("reload"));
        String resumed = served("second", flags + " -sess_in " + sess);
        assertTrue(resumed.contains("Reused,"), "no resumption after a reload with the same TLS settings:\n" + resumed);
        String byTicket = served("second", TICKET + " -sess_in " + ticket);
        assertTrue(byTicket.contains("Reused,"), "no resumption by ticket after the same reload:\n" + byTicket);

        // A new certificate and key: a new context, whose cache never saw the session, and a
        // new ticket key (the old one let the ticket resume, and the client kept the old certificate).
        assertTrue(files.renew(), "openssl failed");
        daemon.writeConfig(config(first));
        assertEquals(new Daemon.Result(0, "command succeeded\n"), daemon.ctl("reload"));
        String fresh = served("first", flags + " -sess_in " + sess);
        assertTrue(fresh.contains("New,"), "resumed with a session of the old certificate:\n" + fresh);
        String freshTicket = served("first", TICKET + " -sess_in " + ticket);
        assertTrue(freshTicket.contains("New,"), "resumed with a ticket of the old certificate:\n" + freshTicket);
    }

    /** s_client's output once the generation whose backend greets with {@code greeting} serves. */
    private static String served(String greeting, String flags) {
        String[] out = new String[1];
        daemon.awaitLogged("the new generation's listener", Duration.ofSeconds(20), () -> {
            out[0] = sClient(flags);
            return out[0].contains("\n" + greeting + "\n");
        });
        return out[0];
    }

    /** Runs s_client against the relay until the backend's greeting came through, then quits. */
    static String sClient(String flags) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("openssl", "s_client", "-connect", ADDR + ":" + port));
        cmd.addAll(List.of(flags.split(" ")));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        StringBuilder text = new StringBuilder();
        try (BufferedReader in = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.US_ASCII))) {
            for (String line = in.readLine(); line != null; line = in.readLine()) {
                text.append(line).append('\n');
                if (line.equals(first.name) || line.equals(second.name)) {
                    break;
                }
            }
            p.getOutputStream().close();
            if (!p.waitFor(10, TimeUnit.SECONDS)) {
                throw new IllegalStateException("s_client did not quit");
            }
        } finally {
            p.destroyForcibly();
        }
        return text.toString();
    }
}
