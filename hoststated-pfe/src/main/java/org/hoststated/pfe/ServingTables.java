package org.hoststated.pfe;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.hoststated.pfe.backend.L3Backend;

/**
 * The table whose hosts each service's rules last sent flows of each address family to, so
 * that a backup table hands its flows back when the main table serves again ({@code kill states},
 * {@link StateKills#handedBack}). While no table serves (the service disabled, every host
 * down) the last one that did is remembered: a service disabled while its backup served and
 * enabled after the main table's return kept its UDP clients on the backup host for good
 * (probe J of session 57). Event loop only.
 */
final class ServingTables {
    /**
     * Per service name and address family ({@link #key}), whether its backup table served
     * last: its role, not its name, which a reload may change meanwhile (probe K of session 57:
     * a backup renamed while the service was disabled kept its clients).
     */
    private Map<String, Boolean> backupServed = new HashMap<>();

    /** The kills of the backup tables that {@code state} takes flows back from; remembers its tables. */
    List<L3Backend.StateKill> handBacks(PfeState state) {
        List<L3Backend.StateKill> out = new ArrayList<>();
        Map<String, Boolean> now = new HashMap<>();
        for (ServiceEntry s : state.services) {
            for (boolean ipv6 : s.families) {
                TableEntry t = s.servingTable(ipv6);
                String key = key(s, ipv6);
                boolean was = backupServed.getOrDefault(key, false);
                now.put(key, t == null ? was : t != s.main);
                if (t == s.main && s.backup != null && was) {
                    out.addAll(StateKills.handedBack(s, ipv6));
                }
            }
        }
        backupServed = now;
        return out;
    }

    private static String key(ServiceEntry s, boolean ipv6) {
        return s.config.name() + (ipv6 ? " inet6" : " inet");
    }
}
