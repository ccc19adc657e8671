package org.hoststated.hce;

import java.util.function.Consumer;
import org.hoststated.core.config.HostConfig;
import org.hoststated.core.config.LogMode;
import org.hoststated.core.msg.HostError;
import org.hoststated.core.msg.HostState;
import org.hoststated.core.msg.HostStatus;
import org.hoststated.hce.check.Check;
import org.hoststated.hce.check.CheckResult;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns a finished check into the host's new health, the state-change log line and the
 * HOST_STATUS for pfe (relayd's {@code hce_notify_done()}). Runs in hce on the event loop.
 */
public final class CheckResults {
    private static final Logger log = LoggerFactory.getLogger(CheckResults.class);

    private final int generation;
    private final LogMode logMode;
    private final Consumer<HostStatus> out;

    public CheckResults(int generation, LogMode logMode, Consumer<HostStatus> out) {
        this.generation = generation;
        this.logMode = logMode;
        this.out = out;
    }

    /**
     * Applies {@code r} to {@code health}, logs as SPEC section 4 says, and sends the status.
     * {@code label} names the host in the lines: its name, and its table's too where another
     * table has a host of that name (the original's line could not tell them apart).
     */
    public void report(String label, HostConfig host, Check check, HostHealth health, CheckResult r, long latencyMs) {
        boolean changed = health.apply(r.state(), r.error());
        if (changed ? logMode != LogMode.NONE : logMode == LogMode.ALL) {
            // The original's line, then why a host that is not up failed its check (relayd put
            // it in the parentheses; after the line, a parser of the original's keeps working).
            log.info("host {}, check {}{} ({}ms), state {} -> {}, availability {}{}", label, check.kind(),
                    check.ssl() ? " use ssl" : "", latencyMs, health.lastState(), health.state(),
                    health.availability(), why(health, r));
        }
        log.debug("host {}: {}", label, r.reason());
        out.accept(status(host, health, (int) Math.min(Integer.MAX_VALUE, latencyMs)));
    }

    /** {@code " (tcp connection refused)"} for a host that is not up after a failed check, else "". */
    private static String why(HostHealth health, CheckResult r) {
        return health.state() == HostState.UP || r.error() == HostError.NONE ? "" : " (" + r.reason() + ")";
    }

    /** The status pfe gets for {@code host}, also when resending all after a pfe restart. */
    public HostStatus status(HostConfig host, HostHealth h, int latencyMs) {
        return new HostStatus(generation, host.id(), h.state(), h.error(), h.checkCount(), h.upCount(),
                h.retryCount(), latencyMs);
    }
}
