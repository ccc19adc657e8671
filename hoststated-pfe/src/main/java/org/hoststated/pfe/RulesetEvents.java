package org.hoststated.pfe;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.hoststated.core.msg.MessageType;
import org.hoststated.pfe.backend.L3Backend;

/**
 * What monitor clients are told of the services' layer-3 rules since the last look, as the
 * original's pfe_sync told them: CTL_PUSH_RULESET (service id) when a service's rules come,
 * CTL_PULL_RULESET when they go, and CTL_TABLE_CHANGED (the active table's id) when they send
 * to another table or another set of its hosts. On pfe's loop.
 */
final class RulesetEvents {
    /** One event: its type, and the service's or the table's id. */
    record Event(MessageType type, int id) {
    }

    /** Per service whose rules are in the kernel: its active table's id and up hosts as last seen. */
    private final Map<String, String> seen = new HashMap<>();

    /** The events since the last look; {@code redirects} are the services' own, in their order ({@link PfeState#redirects}). */
    List<Event> since(List<ServiceEntry> services, List<L3Backend.Redirect> redirects) {
        List<Event> events = new ArrayList<>();
        for (int i = 0; i < services.size(); i++) {
            ServiceEntry s = services.get(i);
            TableEntry active = s.activeTable();
            String set = active == null ? null : active.config.id() + " " + redirects.get(i).hosts();
            String before = set == null ? seen.remove(s.config.name()) : seen.put(s.config.name(), set);
            if (set != null && !set.equals(before)) {
                events.add(new Event(MessageType.CTL_TABLE_CHANGED, active.config.id()));
            }
            if ((set == null) != (before == null)) {
                MessageType t = set != null ? MessageType.CTL_PUSH_RULESET : MessageType.CTL_PULL_RULESET;
                events.add(new Event(t, s.config.id()));
            }
        }
        return events;
    }

    /** Forgets what was seen: a new backend's rules are all new. */
    void clear() {
        seen.clear();
    }
}
