package org.hoststated.hce.check;

import org.hoststated.core.msg.HostError;
import org.hoststated.core.msg.HostState;

/**
 * What one check found: the host's state and why. A check reports exactly one per start, on the
 * event loop. {@link #overloaded()} is not a verdict on the host but on the engine (out of file
 * descriptors): the scheduler keeps the host's state and tries again next round.
 */
public record CheckResult(HostState state, HostError error, String detail) {
    public static final CheckResult OVERLOAD = new CheckResult(HostState.UNKNOWN, HostError.ENGINE_OVERLOAD);

    /** A result whose reason says all. */
    public CheckResult(HostState state, HostError error) {
        this(state, error, null);
    }

    public static CheckResult up(HostError why) {
        return new CheckResult(HostState.UP, why);
    }

    public static CheckResult down(HostError why) {
        return new CheckResult(HostState.DOWN, why);
    }

    /**
     * Down, with what the host said for the log line ("answered 405, expected 200"); the reason
     * alone goes to pfe and {@code show hosts} (probe AF: the code appeared nowhere).
     */
    public static CheckResult down(HostError why, String detail) {
        return new CheckResult(HostState.DOWN, why, detail);
    }

    public static CheckResult unknown(HostError why) {
        return new CheckResult(HostState.UNKNOWN, why);
    }

    /** The reason, with the detail where there is one: "http code mismatch: answered 405, expected 200". */
    public String reason() {
        return detail == null ? error.toString() : error + ": " + detail;
    }

    /** True when the engine, not the host, failed: no verdict. */
    public boolean overloaded() {
        return error == HostError.ENGINE_OVERLOAD;
    }
}
