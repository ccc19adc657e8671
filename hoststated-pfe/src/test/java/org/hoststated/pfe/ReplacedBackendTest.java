package org.hoststated.pfe;

import static org.hoststated.pfe.PfeFixtures.host;
import static org.hoststated.pfe.PfeFixtures.report;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.List;
import org.hoststated.core.msg.HostState;
import org.hoststated.pfe.backend.FakePfctl;
import org.hoststated.pfe.backend.L3Backend;
import org.hoststated.pfe.backend.L3Backends;
import org.hoststated.pfe.backend.PfBackend;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A reload that removes the last service: pfe closes its backend for {@code none}, and
 * {@link ReplacedBackend} has it cut the flows of the removed service first, unless the rules
 * are kept. Against the pf backend and a stand-in {@code pfctl} ({@link FakePfctl}) listing a
 * fixed set of states: the exact commands OpenBSD's pfctl would get.
 */
class ReplacedBackendTest {
    private static final String BEFORE = """
            l3 backend none
            table dns {
            \treal port 5353
            \tcheck tcp
            \thost 10.21.2.11
            \thost 10.21.2.12
            }
            service dns {
            \tvirtual host 10.21.9.53 udp port 53
            \ttable dns
            \tkill states
            }
            """;
    /** Relays only: pfe runs the none backend for it. */
    private static final String RELAYS_ONLY = """
            l3 backend none
            relay r {
            \tlisten on 127.0.0.1 port 5300
            \tforward to 127.0.0.1 port 80
            }
            """;
    private static final String STATES = """
            all udp 10.21.2.11:5353 (10.21.9.53:53) <- 10.21.1.2:40000       MULTIPLE:SINGLE
               id: 5d1b0b4e00000001 creatorid: 7d1a2b3c
            all udp 10.21.2.12:5353 (10.21.9.53:53) <- 10.21.1.3:40001       MULTIPLE:SINGLE
               id: 5d1b0b4e00000002 creatorid: 7d1a2b3c
            all udp 10.21.2.12:5353 (10.21.9.99:53) <- 10.21.1.3:40002       MULTIPLE:SINGLE
               id: 5d1b0b4e00000003 creatorid: 7d1a2b3c
            """;

    private FakePfctl pfctl;
    private PfeState before;
    private List<L3Backend.StateKill> kills;

    @BeforeEach
    void standIn() throws IOException {
        pfctl = new FakePfctl();
        pfctl.states(STATES);
        before = PfeState.build(1, PfeFixtures.config(BEFORE), null);
        report(before, host(before, "dns", "10.21.2.11"), HostState.UP);
        report(before, host(before, "dns", "10.21.2.12"), HostState.UP);
        var after = PfeFixtures.config(RELAYS_ONLY);
        assertEquals("none", L3Backends.nameFor(after), "the reload switches pfe to the none backend");
        kills = StateKills.removed(before, PfeState.build(2, after, before));
    }

    @AfterEach
    void removeStandIn() throws IOException {
        pfctl.close();
    }

    /** A pf backend that wrote {@link #BEFORE}'s rules; the calls so far are forgotten. */
    private PfBackend backendWithRules(boolean keep) throws Exception {
        PfBackend b = pfctl.backend(keep);
        b.start();
        b.apply(before.redirects(), List.of(), System.nanoTime());
        assertTrue(b.awaitApplied(10_000));
        pfctl.takeCalls();
        return b;
    }

    private String calls() throws IOException {
        return pfctl.takeCalls();
    }

    @Test
    void theLastServiceRemovedHasItsRulesPulledThenItsStatesKilled() throws Exception {
        assertEquals(List.of("dns: virtual host 10.21.9.53:53/udp removed with its service"),
                kills.stream().map(k -> k.service() + ": " + k.what()).toList());
        ReplacedBackend.close(backendWithRules(false), false, kills);
        assertEquals("""
                pfctl -a hoststated/dns -F all
                pfctl -s states -vv
                pfctl -k id -k 5d1b0b4e00000001
                pfctl -k id -k 5d1b0b4e00000002
                """, calls(), "the rules go first, then the states of both hosts; another virtual host's stays");
    }

    @Test
    void withTheRulesKeptTheStatesStay() throws Exception {
        ReplacedBackend.close(backendWithRules(true), true, kills);
        assertEquals("", calls(), "the anchor stays as written, and so do the states its rule would remake");
    }

    @Test
    void theNewConfigurationSaysWhetherTheRulesStay() throws Exception {
        ReplacedBackend.close(backendWithRules(true), false, kills);
        assertTrue(calls().startsWith("pfctl -a hoststated/dns -F all\npfctl -s states -vv\n"), "l3 keep rules dropped");
        ReplacedBackend.close(backendWithRules(false), true, kills);
        assertEquals("", calls(), "l3 keep rules added");
    }

    @Test
    void withoutKillsTheRulesGoAsBefore() throws Exception {
        ReplacedBackend.close(backendWithRules(false), false, List.of());
        assertEquals("pfctl -a hoststated/dns -F all\n", calls());
    }
}
