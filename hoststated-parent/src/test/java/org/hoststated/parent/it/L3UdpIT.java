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
 * UDP services end to end, with the real daemon, nftables and connection tracking in network
 * namespaces (root needed; skipped otherwise; {@code -Dhoststated.it.netns=PREFIX} names
 * them). relayd's DNS example: one service with a tcp and a udp virtual host on one address
 * and port, and {@code kill states}; a second service (the control case) on UDP without it.
 * Both use a table of two hosts checked over TCP, whose UDP echo answers with the host's
 * address. A client of each sends a datagram every 100 ms from one source port, pinned to
 * .12; then .12's checked TCP service stops while its UDP echo goes on answering. The client
 * of the killing service is answered by .11 within a check interval and a second; the other
 * stays on .12 for as long as it sends (its conntrack entry never times out).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class L3UdpIT {
    private static final int PORT = 46053;
    private static final String CONFIG = """
            interval 1
            timeout 300
            table dns {
            \treal port %1$d
            \tcheck tcp
            \thost 10.21.2.11
            \thost 10.21.2.12
            }
            service killing {
            \tvirtual host 10.21.9.100 port %1$d
            \tvirtual host 10.21.9.100 udp port %1$d
            \ttable dns
            \tkill states
            }
            service keeping {
            \tvirtual host 10.21.9.101 udp port %1$d
            \ttable dns
            }
            """.formatted(PORT);
    private static final Duration WAIT = Duration.ofSeconds(15);
    /** How long the control client is watched after the host went down. */
    private static final long WATCH_MS = 5000;

    private Path dir;
    private L3Netns netns;
    private L3Daemon daemon;
    private Process backends;
    private PrintWriter backendCommands;
    private BufferedReader backendAcks;
    private Client killing;
    private Client keeping;

    /** A {@code udppin} probe and the answers it printed, each with its time. */
    private static final class Client {
        final Process process;
        final List<String[]> answers = new CopyOnWriteArrayList<>();

        Client(String vip) throws IOException {
            process = L3Netns.probe(L3Netns.CLI, "udppin", vip, Integer.toString(PORT), "10.21.2.12");
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
        dir = Files.createTempDirectory(Files.createDirectories(Path.of("/tmp/hsudp")), "udp-it");
        backends = L3Netns.probe(L3Netns.SRV, "udp", "10.21.2.11/" + PORT, "10.21.2.12/" + PORT);
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
            Files.copy(daemon.daemon.log, Path.of(System.getProperty("user.dir"), "target", "l3udp-daemon.log"),
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
    void aHostGoingDownMovesTheUdpClientOfTheKillingServiceOnly() throws Exception {
        daemon.daemon.awaitLogged("both hosts in the three rules", WAIT, () -> netns.rules().lines()
                .filter(l -> l.contains(" dnat ") && l.contains("10.21.2.11") && l.contains("10.21.2.12")).count() >= 3);
        String rules = netns.rules();
        assertTrue(rules.contains("ip daddr 10.21.9.100 tcp dport " + PORT + " dnat")
                && rules.contains("ip daddr 10.21.9.100 udp dport " + PORT + " dnat")
                && rules.contains("ip daddr 10.21.9.101 udp dport " + PORT + " dnat"), rules);
        assertTrue(L3Netns.fetchIn(L3Netns.CLI, "10.21.9.100", PORT, 2).stream().allMatch(a -> a.startsWith("10.21.2.1")),
                "the tcp virtual host of the same address and port redirects TCP");
        assertTrue(L3Netns.fetchIn(L3Netns.CLI, "10.21.9.101", PORT, 1).equals(List.of("-")),
                "the udp-only virtual host redirects no TCP");

        killing = new Client("10.21.9.100");
        keeping = new Client("10.21.9.101");
        daemon.daemon.awaitLogged("both clients on .12", WAIT,
                () -> killing.count("10.21.2.12", 0) > 3 && keeping.count("10.21.2.12", 0) > 3);

        long down = System.currentTimeMillis();
        backendCommands.println("down 10.21.2.12");
        assertEquals("ok", backendAcks.readLine());
        daemon.daemon.awaitLogged("the killing client on .11", WAIT, () -> killing.first("10.21.2.11", down) > 0);
        long moved = killing.first("10.21.2.11", down) - down;
        // The UDP flow, and the TCP fetches' closed connections to .12 that linger in TIME_WAIT.
        java.util.regex.Pattern killed = java.util.regex.Pattern.compile("service killing: host 10.21.2.12 down, [1-9]\\d* states killed");
        daemon.daemon.awaitLogged("the kill logged", WAIT, () -> killed.matcher(daemon.daemon.logText()).find());

        // The control case: the same host down, watched for a while; its client never leaves .12.
        long deadline = down + WATCH_MS;
        daemon.daemon.awaitLogged("the control client watched", WAIT, () -> System.currentTimeMillis() > deadline);
        long lastKeeping = keeping.answers.stream().mapToLong(a -> Long.parseLong(a[0])).max().orElse(0);
        System.out.printf("udp kill states: host down to the client answered by another host %d ms (check interval 1 s); "
                + "without: %d answers from the failed host in %d ms since, none from another%n",
                moved, keeping.count("10.21.2.12", down), WATCH_MS);
        assertTrue(moved <= 1000 + 300 + 1000, "host down to the client on .11 took " + moved + " ms");
        assertEquals(0, killing.count("10.21.2.12", down + moved), "once on .11, the killing client stays there");
        assertEquals(0, keeping.count("10.21.2.11", down), "the service without kill states keeps its flow on .12");
        assertTrue(keeping.count("10.21.2.12", down) >= WATCH_MS / 100 / 2 && lastKeeping >= deadline - 500,
                "the control flow goes on answering from .12");
        assertTrue(!daemon.daemon.logText().contains("service keeping: host"), daemon.daemon.logText());
    }
}
