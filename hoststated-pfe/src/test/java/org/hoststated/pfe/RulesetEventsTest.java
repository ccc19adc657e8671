package org.hoststated.pfe;

import static org.hoststated.core.msg.MessageType.CTL_PULL_RULESET;
import static org.hoststated.core.msg.MessageType.CTL_PUSH_RULESET;
import static org.hoststated.core.msg.MessageType.CTL_TABLE_CHANGED;
import static org.hoststated.pfe.PfeFixtures.host;
import static org.hoststated.pfe.PfeFixtures.report;
import static org.hoststated.pfe.PfeFixtures.state;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.hoststated.core.msg.HostState;
import org.hoststated.core.msg.MessageType;
import org.junit.jupiter.api.Test;

/**
 * The monitor's ruleset events. CTL_TABLE_CHANGED, which hoststatectl(8) lists and nothing
 * sent: once per service whose rules send to another table or another set of its hosts.
 * CTL_PUSH_RULESET and CTL_PULL_RULESET when a service's rules come and go.
 */
class RulesetEventsTest {
    private static List<RulesetEvents.Event> events(MessageType t, int id) {
        return List.of(new RulesetEvents.Event(t, id));
    }

    @Test
    void aServiceIsToldOfWhenItsActiveTableOrItsUpHostsChange() {
        PfeState s = state(PfeFixtures.WWW_ALONE);
        RulesetEvents changes = new RulesetEvents();
        assertEquals(List.of(), changes.since(s.services, s.redirects()), "no table is up yet");
        int www = s.services.get(0).config.id();
        int web = s.services.get(0).main.config.id();
        int spare = s.services.get(0).backup.config.id();
        report(s, host(s, "web", "10.21.2.11"), HostState.UP);
        assertEquals(List.of(new RulesetEvents.Event(CTL_TABLE_CHANGED, web), new RulesetEvents.Event(CTL_PUSH_RULESET,
                www)), changes.since(s.services, s.redirects()));
        assertEquals(List.of(), changes.since(s.services, s.redirects()), "nothing changed since");
        report(s, host(s, "web", "10.21.2.12"), HostState.UP);
        assertEquals(events(CTL_TABLE_CHANGED, web), changes.since(s.services, s.redirects()), "another host up");
        report(s, host(s, "spare", "10.21.2.21"), HostState.UP);
        assertEquals(List.of(), changes.since(s.services, s.redirects()), "the backup's host is not in the rules");
        report(s, host(s, "web", "10.21.2.11"), HostState.DOWN);
        report(s, host(s, "web", "10.21.2.12"), HostState.DOWN);
        assertEquals(events(CTL_TABLE_CHANGED, spare), changes.since(s.services, s.redirects()),
                "the backup table serves");
        report(s, host(s, "spare", "10.21.2.21"), HostState.DOWN);
        assertEquals(events(CTL_PULL_RULESET, www), changes.since(s.services, s.redirects()), "no host up: rules go");
        report(s, host(s, "spare", "10.21.2.21"), HostState.UP);
        changes.since(s.services, s.redirects());
        changes.clear();
        assertEquals(List.of(new RulesetEvents.Event(CTL_TABLE_CHANGED, spare), new RulesetEvents.Event(
                CTL_PUSH_RULESET, www)), changes.since(s.services, s.redirects()), "a new backend's rules are all new");
    }
}
