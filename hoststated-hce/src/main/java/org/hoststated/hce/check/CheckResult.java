package org.hoststated.hce.check;

import org.hoststated.core.msg.HostError;
import org.hoststated.core.msg.HostState;

/**
 * What one check found: the host's state and why. A check reports exactly one per start, on the
 * event loop. {@link #overloaded()} is not a verdict on the host but on the engine (out of file
 * descriptors): the scheduler keeps the host's state and tries again next round.
 */
public record CheckResult(HostState state, HostError error) {
    public static final CheckResult OVERLOAD = new CheckResult(HostState.UNKNOWN, HostError.ENGINE_OVERLOAD);

    public static CheckResult up(HostError why) {
        return new CheckResult(HostState.UP, why);
    }

    public static CheckResult down(HostError why) {
        return new CheckResult(HostState.DOWN, why);
    }

    public static CheckResult unknown(HostError why) {
        return new CheckResult(HostState.UNKNOWN, why);
    }

    /** True when the engine, not the host, failed: no verdict. */
    public boolean overloaded() {
        return error == HostError.ENGINE_OVERLOAD;
    }
}
