package org.hoststated.relay;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.hoststated.core.config.Config;
import org.hoststated.core.config.HostKey;
import org.hoststated.core.config.TableConfig;

/**
 * The table hosts of one configuration generation, by id and by {@link HostKey}. Host ids are
 * numbered anew by each configuration, so a host's state in the applied generation is found for
 * an older one through the key: states that a reload carries over, and the hosts of servers of
 * an older generation (still accepting until their successor's listener is up, or running
 * their failovers while they drain), which would otherwise pick from the snapshot they had
 * when the reload came.
 */
final class GenerationHosts {
    /** The id of a host that is no longer in the configuration. */
    static final int GONE = -1;
    static final GenerationHosts NONE = new GenerationHosts();

    private final Map<Integer, HostKey> keyOf = new HashMap<>();
    private final Map<HostKey, Integer> idOf = new HashMap<>();
    private final Map<String, TableConfig> tables = new HashMap<>();

    private GenerationHosts() {
    }

    GenerationHosts(Config c) {
        for (TableConfig t : c.activeTables()) {
            tables.put(t.name(), t);
            List<HostKey> keys = HostKey.of(t);
            for (int i = 0; i < keys.size(); i++) {
                int id = t.hosts().get(i).id();
                keyOf.put(id, keys.get(i));
                idOf.put(keys.get(i), id);
            }
        }
    }

    /** The host with {@code id} for a log line: {@code host 10.0.0.2 of table web}, or its id alone. */
    String describe(int id) {
        HostKey key = keyOf.get(id);
        return key == null ? "host " + id : "host " + key.address() + " of table " + key.table();
    }

    /** The id in this generation of the host that has {@code id} in {@code older}, or {@link #GONE}. */
    int idOf(GenerationHosts older, int id) {
        if (older == this) {
            return id;
        }
        HostKey key = older.keyOf.get(id);
        Integer now = key == null ? null : idOf.get(key);
        return now == null ? GONE : now;
    }

    /**
     * As {@link #idOf}, for a host whose state a reload carries over: {@link #GONE} too when its
     * table now checks another port or with another check, whose verdict pfe has yet to send.
     */
    int carriedIdOf(GenerationHosts older, int id) {
        int now = idOf(older, id);
        if (now == GONE || older == this) {
            return now;
        }
        String table = older.keyOf.get(id).table();
        return tables.get(table).checksAlike(older.tables.get(table)) ? now : GONE;
    }
}
