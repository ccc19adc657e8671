package org.hoststated.pfe;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.hoststated.pfe.backend.L3Backend;

/**
 * Which services' rules now send to another table, or to another set of its hosts, since the
 * last look: monitor clients are told of each as CTL_TABLE_CHANGED with the active table's id,
 * as the original's pfe_sync told them. The manual named the event, and nothing sent it. On
 * pfe's loop.
 */
final class TableChanges {
    /** Per service with an active table: that table's id and up hosts as last seen. */
    private final Map<String, String> seen = new HashMap<>();

    /**
     * The ids of the active tables that changed; {@code redirects} are the services' own, in
     * their order ({@link PfeState#redirects}).
     */
    List<Integer> since(List<ServiceEntry> services, List<L3Backend.Redirect> redirects) {
        List<Integer> changed = new ArrayList<>();
        for (int i = 0; i < services.size(); i++) {
            ServiceEntry s = services.get(i);
            TableEntry active = s.activeTable();
            String set = active == null ? null : active.config.id() + " " + redirects.get(i).hosts();
            String before = set == null ? seen.remove(s.config.name()) : seen.put(s.config.name(), set);
            if (set != null && !set.equals(before)) {
                changed.add(active.config.id());
            }
        }
        return changed;
    }

    /** Forgets what was seen: a new backend's rules are all new. */
    void clear() {
        seen.clear();
    }
}
