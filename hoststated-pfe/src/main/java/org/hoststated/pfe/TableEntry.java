package org.hoststated.pfe;

import java.util.ArrayList;
import java.util.List;
import org.hoststated.core.config.TableConfig;
import org.hoststated.core.msg.CtlTable;

/** pfe's record of one table: its hosts and how many are up. Owned by pfe's event loop. */
final class TableEntry {
    final TableConfig config;
    final List<HostEntry> hosts = new ArrayList<>();
    boolean disabled;
    /**
     * Disabled only because the last service on it was ({@code service disable}), not by
     * {@code table disable}: at a reload it follows its service and the new users of the table
     * ({@link PfeState#build}) instead of staying disabled by name.
     */
    boolean withService;
    int upCount;

    TableEntry(TableConfig config) {
        this.config = config;
        this.disabled = config.disabled();
    }

    /** Recounts after a reload carried host states over. */
    void recount() {
        upCount = 0;
        for (HostEntry h : hosts) {
            if (h.serving()) {
                upCount++;
            }
        }
    }

    CtlTable row() {
        return new CtlTable(config.id(), config.name(), disabled, disabled ? 0 : upCount, hosts.size());
    }
}
