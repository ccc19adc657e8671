package org.hoststated.pfe;

import java.net.Inet6Address;
import org.hoststated.core.config.HostConfig;
import org.hoststated.core.config.HostKey;
import org.hoststated.core.msg.CtlHost;
import org.hoststated.core.msg.HostError;
import org.hoststated.core.msg.HostState;
import org.hoststated.core.msg.HostStatus;

/** pfe's record of one host: its last reported state and counters. Owned by pfe's event loop. */
final class HostEntry {
    final HostConfig config;
    private final HostKey key;
    final TableEntry table;
    HostState state = HostState.UNKNOWN;
    HostError lastError = HostError.NONE;
    boolean disabled;
    int checkCount;
    int upCount;
    int retryCount;

    HostEntry(HostConfig config, HostKey key, TableEntry table) {
        this.config = config;
        this.key = key;
        this.table = table;
    }

    /** Up and not disabled: the kernel's rules may send flows to it. */
    boolean serving() {
        return state == HostState.UP && !disabled;
    }

    boolean ipv6() {
        return config.address() instanceof Inet6Address;
    }

    /** The key under which a host keeps its state across a reload. */
    HostKey key() {
        return key;
    }

    void copyStateFrom(HostEntry old) {
        state = old.state;
        lastError = old.lastError;
        checkCount = old.checkCount;
        upCount = old.upCount;
        retryCount = old.retryCount;
    }

    void reset() {
        state = HostState.UNKNOWN;
        lastError = HostError.NONE;
        checkCount = 0;
        upCount = 0;
        retryCount = 0;
    }

    /** Its state and counters: sent to the relay, and to a restarted hce to take over (KEPT_STATE). */
    HostStatus status(int generation) {
        return new HostStatus(generation, config.id(), state, lastError, checkCount, upCount, retryCount, 0);
    }

    CtlHost row() {
        return new CtlHost(config.id(), table.config.id(), config.name(), state, disabled,
                checkCount, upCount, retryCount, lastError);
    }
}
