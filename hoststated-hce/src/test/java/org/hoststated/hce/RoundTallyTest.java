package org.hoststated.hce;

import static org.junit.jupiter.api.Assertions.assertTrue;

import org.hoststated.core.msg.HostError;
import org.hoststated.hce.check.CheckResult;
import org.junit.jupiter.api.Test;

/** A round's line counts its verdicts; a round that starts before the last ended joins it. */
class RoundTallyTest {
    @Test
    void aRoundSaysItsHostsAndVerdicts() {
        RoundTally t = new RoundTally();
        t.start(3, 4);
        t.count(CheckResult.up(HostError.TCP_CONNECT_OK));
        t.count(CheckResult.down(HostError.TCP_CONNECT_REFUSED));
        t.count(CheckResult.OVERLOAD);
        t.count(null);
        String line = t.summary();
        assertTrue(line.matches("check round 3: 4 hosts in \\d+ ms, 1 up, 1 down, 2 without a verdict"), line);
    }

    @Test
    void aRoundStartedBeforeTheLastEndedIsSaidWithIt() {
        RoundTally t = new RoundTally();
        t.start(7, 1);
        t.join(8, 2);
        for (int i = 0; i < 3; i++) {
            t.count(CheckResult.up(HostError.TCP_CONNECT_OK));
        }
        String line = t.summary();
        assertTrue(line.matches("check rounds 7-8: 3 hosts in \\d+ ms, 3 up, 0 down"), line);
    }
}
