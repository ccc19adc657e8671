package org.hoststated.parent.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
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

    private L3Fixture l3;
    private L3PinnedClient killing;
    private L3PinnedClient keeping;

    @BeforeAll
    void start() throws Exception {
        l3 = L3Fixture.openOrSkip("l3killstates");
        l3.startBackends("chat", "10.21.2.11/" + PORT, "10.21.2.12/" + PORT);
        l3.startDaemon(CONFIG);
    }

    @AfterAll
    void stop() throws Exception {
        if (l3 != null) {
            l3.close();
        }
    }

    @Test
    void aHostGoingDownCutsTheFlowsOfTheKillingServiceOnly() throws Exception {
        l3.daemon.daemon.awaitLogged("both hosts in both rules", WAIT, () -> l3.netns.rules().lines()
                .filter(l -> l.contains(" dnat ") && l.contains("10.21.2.11") && l.contains("10.21.2.12")).count() >= 2);
        killing = l3.pinnedClient("pin", "10.21.9.100", PORT, "10.21.2.12");
        keeping = l3.pinnedClient("pin", "10.21.9.101", PORT, "10.21.2.12");
        l3.daemon.daemon.awaitLogged("both clients on .12", WAIT,
                () -> killing.count("10.21.2.12", 0) > 3 && keeping.count("10.21.2.12", 0) > 3);

        long down = System.currentTimeMillis();
        l3.backend("down 10.21.2.12");
        l3.daemon.daemon.awaitLogged("the killing client on .11", WAIT, () -> killing.first("10.21.2.11", down) > 0);
        long moved = killing.first("10.21.2.11", down) - down;
        assertTrue(killing.first("reset", down) > 0, "the cut flow was reset by .11, not left hanging");
        l3.daemon.daemon.awaitLogged("the kill logged", WAIT,
                () -> l3.daemon.daemon.logText().contains("service killing: host 10.21.2.12 down, 1 state killed"));

        // The control case: given the same time and a second more, the other client is still on .12.
        long deadline = down + moved + 1000;
        l3.daemon.daemon.awaitLogged("the control client still talking", WAIT,
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
        assertTrue(!l3.daemon.daemon.logText().contains("service keeping: host"), l3.daemon.daemon.logText());
    }
}
