package org.hoststated.pfe;

import org.hoststated.core.config.RelayConfig;
import org.hoststated.core.msg.CtlRelay;
import org.hoststated.core.msg.RelayStatistics;

/** pfe's record of one relay for the control socket: its table and last statistics. */
final class RelayEntry {
    final RelayConfig config;
    /** The table the relay forwards to, or null for other targets. */
    final TableEntry table;
    RelayStatistics statistics;

    RelayEntry(RelayConfig config, TableEntry table) {
        this.config = config;
        this.table = table;
    }

    CtlRelay row() {
        return new CtlRelay(config.id(), config.name(), config.disabled());
    }
}
