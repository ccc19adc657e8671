package org.hoststated.pfe;

import static org.hoststated.pfe.PfeFixtures.WWW;
import static org.hoststated.pfe.PfeFixtures.host;
import static org.hoststated.pfe.PfeFixtures.report;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.hoststated.core.msg.HostState;
import org.junit.jupiter.api.Test;

/** When pfe may replace the kernel's rules after its start (the whole daemon: L3KeepIT). */
class L3HoldTest {
    private final PfeState s = PfeFixtures.state(WWW);

    @Test
    void endsWhenEveryHostHasAVerdict() {
        L3Hold h = new L3Hold(true);
        assertFalse(h.allows(s));
        assertTrue(h.keepsPreviousRules());
        report(s, host(s, "web", "10.21.2.11"), HostState.UP);
        report(s, host(s, "web", "10.21.2.12"), HostState.DOWN);
        assertFalse(h.allows(s));
        report(s, host(s, "spare", "10.21.2.21"), HostState.DOWN);
        assertTrue(h.allows(s));
        assertFalse(h.keepsPreviousRules());
    }

    @Test
    void endsWhenTheSameHceStartsItsSecondRound() {
        L3Hold h = new L3Hold(true);
        h.hceConnected();
        assertFalse(h.roundStarted());
        assertTrue(h.roundStarted());
        assertTrue(h.allows(s));
    }

    /** A crash loop: each new hce starts its first round and dies before it has checked all. */
    @Test
    void firstRoundsOfSuccessiveHcesDoNotEndIt() {
        L3Hold h = new L3Hold(true);
        for (int i = 0; i < 5; i++) {
            h.hceConnected();
            assertFalse(h.roundStarted(), "restart " + i);
        }
        h.newGeneration();
        assertFalse(h.roundStarted(), "a reload's first round");
        assertFalse(h.allows(s));
    }

    /** l3 keep rules: the rules of a previous run serve for as long as hce cannot check. */
    @Test
    void theTimeLimitLeavesAPreviousRunsRulesInPlace() {
        L3Hold h = new L3Hold(true);
        report(s, host(s, "web", "10.21.2.11"), HostState.UP);
        assertFalse(h.limitPassed(s, 30_000));
        assertFalse(h.limitPassed(s, 30_000));
        assertFalse(h.allows(s));
        assertTrue(h.keepsPreviousRules());
    }

    /** Nothing to keep: after the limit, the hosts known up are better than no rule. */
    @Test
    void theTimeLimitEndsItWhenTheKernelHadNoRules() {
        L3Hold h = new L3Hold(false);
        assertFalse(h.keepsPreviousRules());
        assertFalse(h.allows(s));
        assertTrue(h.limitPassed(s, 30_000));
        assertTrue(h.allows(s));
        assertFalse(h.limitPassed(s, 30_000));
    }
}
