package org.hoststated.pfe;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.hoststated.pfe.backend.L3Backend;

/**
 * The table whose hosts each service's rules last sent flows to, by service name, so that a
 * backup table hands its flows back when the main table serves again ({@code kill states},
 * {@link StateKills#handedBack}). While no table serves (the service disabled, every host
 * down) the last one that did is remembered: a service disabled while its backup served and
 * enabled after the main table's return kept its UDP clients on the backup host for good
 * (probe J of session 57). Event loop only.
 */
final class ServingTables {
    /**
     * Per service name, whether its backup table served last: its role, not its name, which a
     * reload may change meanwhile (probe K of session 57: a backup renamed while the service was
     * disabled kept its clients).
     */
    private Map<String, Boolean> backupServed = new HashMap<>();

    /** The kills of the backup tables that {@code state} takes flows back from; remembers its tables. */
    List<L3Backend.StateKill> handBacks(PfeState state) {
        List<L3Backend.StateKill> out = new ArrayList<>();
        Map<String, Boolean> now = new HashMap<>();
        for (ServiceEntry s : state.services) {
            TableEntry t = s.activeTable();
            boolean was = backupServed.getOrDefault(s.config.name(), false);
            now.put(s.config.name(), t == null ? was : t != s.main);
            if (t == s.main && s.backup != null && was) {
                out.addAll(StateKills.handedBack(s));
            }
        }
        backupServed = now;
        return out;
    }
}
