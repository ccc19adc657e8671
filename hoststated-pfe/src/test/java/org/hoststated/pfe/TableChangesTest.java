package org.hoststated.pfe;

import static org.hoststated.pfe.PfeFixtures.host;
import static org.hoststated.pfe.PfeFixtures.report;
import static org.hoststated.pfe.PfeFixtures.state;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.hoststated.core.msg.HostState;
import org.junit.jupiter.api.Test;

/**
 * CTL_TABLE_CHANGED, which hoststatectl(8) lists among the monitor's events and nothing sent:
 * once per service whose rules send to another table or another set of its hosts.
 */
class TableChangesTest {
    @Test
    void aServiceIsToldOfWhenItsActiveTableOrItsUpHostsChange() {
        PfeState s = state(PfeFixtures.WWW_ALONE);
        TableChanges changes = new TableChanges();
        assertEquals(List.of(), changes.since(s.services, s.redirects()), "no table is up yet");
        int web = s.services.get(0).main.config.id();
        int spare = s.services.get(0).backup.config.id();
        report(s, host(s, "web", "10.21.2.11"), HostState.UP);
        assertEquals(List.of(web), changes.since(s.services, s.redirects()));
        assertEquals(List.of(), changes.since(s.services, s.redirects()), "nothing changed since");
        report(s, host(s, "web", "10.21.2.12"), HostState.UP);
        assertEquals(List.of(web), changes.since(s.services, s.redirects()), "another host up");
        report(s, host(s, "spare", "10.21.2.21"), HostState.UP);
        assertEquals(List.of(), changes.since(s.services, s.redirects()), "the backup's host is not in the rules");
        report(s, host(s, "web", "10.21.2.11"), HostState.DOWN);
        report(s, host(s, "web", "10.21.2.12"), HostState.DOWN);
        assertEquals(List.of(spare), changes.since(s.services, s.redirects()), "the backup table serves");
        changes.clear();
        assertEquals(List.of(spare), changes.since(s.services, s.redirects()), "a new backend's rules are all new");
    }
}
