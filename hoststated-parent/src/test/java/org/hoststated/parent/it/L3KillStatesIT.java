package org.hoststated.parent.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * {@code kill states} end to end, with the real daemon, nftables and connection tracking in
 * network namespaces (root needed; skipped otherwise; {@code -Dhoststated.it.netns=PREFIX}
 * names them). Two services share a table of two hosts; one has {@code kill states}, the
 * other (the control case) not. A client of each keeps one connection on host .12 and sends a
 * line every 100 ms; then .12's checked service stops (its listening socket closes, its open
 * connections go on). The client of the killing service is reset and reaches .11 within a
 * check interval and a second; the other goes on talking to .12.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class L3KillStatesIT {
    private static final int PORT = 47080;
    private static final String CONFIG = """
            interval 1
            timeout 300
            table web {
            \treal port %1$d
            \tcheck tcp
            \thost 10.21.2.11
            \thost 10.21.2.12
            }
            service killing {
            \tvirtual host 10.21.9.100 port %1$d
            \ttable web
            \tkill states
            }
            service keeping {
            \tvirtual host 10.21.9.101 port %1$d
            \ttable web
            }
            """.formatted(PORT);
    private static final Duration WAIT = Duration.ofSeconds(15);

    private Path dir;
    private L3Netns netns;
    private L3Daemon daemon;
    private Process backends;
    private PrintWriter backendCommands;
    private BufferedReader backendAcks;
    private Client killing;
    private Client keeping;

    /** A {@code pin} probe and the answers it printed, each with its time. */
    private static final class Client {
        final Process process;
        final List<String[]> answers = new CopyOnWriteArrayList<>();

        Client(String vip) throws IOException {
            process = L3Netns.probe(L3Netns.CLI, "pin", vip, Integer.toString(PORT), "10.21.2.12");
            BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.US_ASCII));
            Thread t = new Thread(() -> {
                try {
                    for (String line; (line = out.readLine()) != null;) {
                        answers.add(line.split(" "));
                    }
                } catch (IOException e) {
                    // The probe was stopped.
                }
            });
            t.setDaemon(true);
            t.start();
        }

        /** The first answer at or after {@code since} (ms) that is {@code what}, or -1. */
        long first(String what, long since) {
            for (String[] a : answers) {
                if (Long.parseLong(a[0]) >= since && a[1].equals(what)) {
                    return Long.parseLong(a[0]);
                }
            }
            return -1;
        }

        long count(String what, long since) {
            return answers.stream().filter(a -> Long.parseLong(a[0]) >= since && a[1].equals(what)).count();
        }
    }

    @BeforeAll
    void start() throws Exception {
        netns = L3Netns.openOrSkip();
        dir = Files.createTempDirectory(Files.createDirectories(Path.of("/tmp/hsct")), "killstates-it");
        backends = L3Netns.probe(L3Netns.SRV, "chat", "10.21.2.11/" + PORT, "10.21.2.12/" + PORT);
        backendCommands = new PrintWriter(backends.getOutputStream(), true, StandardCharsets.US_ASCII);
        backendAcks = new BufferedReader(new InputStreamReader(backends.getInputStream(), StandardCharsets.US_ASCII));
        assertEquals("ok", backendAcks.readLine());
        daemon = new L3Daemon(dir);
        daemon.start(CONFIG);
    }

    @AfterAll
    void stop() throws Exception {
        for (Client c : new Client[] {killing, keeping}) {
            if (c != null) {
                c.process.destroyForcibly().waitFor();
            }
        }
        if (daemon != null) {
            daemon.close();
            Files.copy(daemon.daemon.log, Path.of(System.getProperty("user.dir"), "target", "l3killstates-daemon.log"),
                    java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        }
        if (backends != null) {
            backends.destroyForcibly().waitFor();
        }
        if (netns != null) {
            netns.close();
        }
        if (dir != null) {
            L3Netns.sh("rm -rf " + dir);
        }
    }

    @Test
    void aHostGoingDownCutsTheFlowsOfTheKillingServiceOnly() throws Exception {
        daemon.daemon.awaitLogged("both hosts in both rules", WAIT, () -> netns.rules().lines()
                .filter(l -> l.contains(" dnat ") && l.contains("10.21.2.11") && l.contains("10.21.2.12")).count() >= 2);
        killing = new Client("10.21.9.100");
        keeping = new Client("10.21.9.101");
        daemon.daemon.awaitLogged("both clients on .12", WAIT,
                () -> killing.count("10.21.2.12", 0) > 3 && keeping.count("10.21.2.12", 0) > 3);

        long down = System.currentTimeMillis();
        backendCommands.println("down 10.21.2.12");
        assertEquals("ok", backendAcks.readLine());
        daemon.daemon.awaitLogged("the killing client on .11", WAIT, () -> killing.first("10.21.2.11", down) > 0);
        long moved = killing.first("10.21.2.11", down) - down;
        assertTrue(killing.first("reset", down) > 0, "the cut flow was reset by .11, not left hanging");
        daemon.daemon.awaitLogged("the kill logged", WAIT,
                () -> daemon.daemon.logText().contains("service killing: host 10.21.2.12 down, 1 states killed"));

        // The control case: given the same time and a second more, the other client is still on .12.
        long deadline = down + moved + 1000;
        daemon.daemon.awaitLogged("the control client still talking", WAIT,
                () -> System.currentTimeMillis() > deadline);
        long lastKeeping = keeping.answers.stream().mapToLong(a -> Long.parseLong(a[0])).max().orElse(0);
        System.out.printf("kill states: host down to the client on another host %d ms (check interval 1 s); "
                + "without: %d answers from the failed host since, none from another%n",
                moved, keeping.count("10.21.2.12", down));
        assertTrue(moved <= 1000 + 300 + 1000, "host down to the client on .11 took " + moved + " ms");
        assertEquals(0, keeping.count("10.21.2.11", down) + keeping.count("reset", down),
                "the service without kill states keeps its flow on .12");
        assertTrue(keeping.count("10.21.2.12", down) >= 10 && lastKeeping >= deadline - 500,
                "the control flow goes on answering from .12");
        assertTrue(!daemon.daemon.logText().contains("service keeping: host"), daemon.daemon.logText());
    }
}
