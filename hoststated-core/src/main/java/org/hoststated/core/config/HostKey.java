package org.hoststated.core.config;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * What makes a host "the same host" in two configuration generations: its table's name, its
 * address, and which of the table's hosts of that address it is (0 for the first). A reload
 * keeps the state of such hosts in every engine (hce's check results, pfe's verdicts and
 * counters, what {@code hoststatectl} disabled, the relay's up set), so all three must agree on
 * this one key: a name that now resolves to another address is another machine, with no
 * verdict yet. A table may list an address twice (a double share, and {@code hoststatectl}
 * names one of them by id); keyed by address alone, a reload gave the disable of one to every
 * copy, and a table of copies went down with it (probe E).
 */
public record HostKey(String table, String address, int occurrence) {
    /** The keys of {@code table}'s hosts, in the order of {@link TableConfig#hosts()}. */
    public static List<HostKey> of(TableConfig table) {
        List<HostKey> keys = new ArrayList<>(table.hosts().size());
        Map<String, Integer> seen = new HashMap<>();
        for (HostConfig h : table.hosts()) {
            String address = h.address().getHostAddress();
            keys.add(new HostKey(table.name(), address, seen.merge(address, 1, Integer::sum) - 1));
        }
        return keys;
    }
}
