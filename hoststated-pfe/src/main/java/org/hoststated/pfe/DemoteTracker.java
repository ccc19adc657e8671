package org.hoststated.pfe;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.hoststated.core.msg.Demote;

/**
 * Per-table carp demotion (SPEC section 4, relayd's pfe_sync): a table with {@code demote
 * <group>} adds one to the group's demote counter while it has no host up, and takes it back
 * when a host returns. Kept across reloads by table name, so a reload never leaks or repeats a
 * demotion; a table that is gone, or moved to another group, gives its demotion back. Owned by
 * pfe's event loop.
 */
final class DemoteTracker {
    /** Table name to the group it demoted. */
    private final Map<String, String> demoted = new HashMap<>();

    /** The demote requests that make the parent's counters match {@code s}. */
    List<Demote> sync(PfeState s) {
        Map<String, String> wanted = new HashMap<>();
        for (TableEntry t : s.tables.values()) {
            if (t.config.demote() != null && (t.disabled || t.upCount == 0)) {
                wanted.put(t.config.name(), t.config.demote());
            }
        }
        List<Demote> out = new ArrayList<>();
        for (var e : new ArrayList<>(demoted.entrySet())) {
            if (!e.getValue().equals(wanted.get(e.getKey()))) {
                demoted.remove(e.getKey());
                out.add(new Demote(e.getValue(), -1));
            }
        }
        for (var e : wanted.entrySet()) {
            if (demoted.putIfAbsent(e.getKey(), e.getValue()) == null) {
                out.add(new Demote(e.getValue(), 1));
            }
        }
        return out;
    }
}
