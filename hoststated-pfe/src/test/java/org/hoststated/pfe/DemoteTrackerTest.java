package org.hoststated.pfe;

import static org.hoststated.pfe.PfeFixtures.WWW;
import static org.hoststated.pfe.PfeFixtures.host;
import static org.hoststated.pfe.PfeFixtures.report;
import static org.hoststated.pfe.PfeFixtures.state;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.hoststated.core.msg.Demote;
import org.hoststated.core.msg.HostState;
import org.junit.jupiter.api.Test;

class DemoteTrackerTest {
    private final DemoteTracker tracker = new DemoteTracker();

    @Test
    void demotesWhileTheTableHasNoHostUpAndOnlyOnce() {
        PfeState s = state(WWW);
        assertEquals(List.of(new Demote("web", 1)), tracker.sync(s));
        assertEquals(List.of(), tracker.sync(s));
        report(s, host(s, "web", "10.21.2.11"), HostState.UP);
        assertEquals(List.of(new Demote("web", -1)), tracker.sync(s));
        assertEquals(List.of(), tracker.sync(s));
        report(s, host(s, "web", "10.21.2.11"), HostState.DOWN);
        assertEquals(List.of(new Demote("web", 1)), tracker.sync(s));
    }

    @Test
    void aReloadNeitherRepeatsNorLeaksADemotion() {
        PfeState s = state(WWW);
        tracker.sync(s);
        PfeState same = PfeState.build(2, PfeFixtures.config(WWW), s);
        assertEquals(List.of(), tracker.sync(same));
        PfeState moved = PfeState.build(3, PfeFixtures.config(WWW.replace("demote web", "demote edge")), same);
        assertEquals(List.of(new Demote("web", -1), new Demote("edge", 1)), tracker.sync(moved));
        PfeState gone = PfeState.build(4, PfeFixtures.config(WWW.replace("\tdemote web\n", "")), moved);
        assertEquals(List.of(new Demote("edge", -1)), tracker.sync(gone));
    }
}
