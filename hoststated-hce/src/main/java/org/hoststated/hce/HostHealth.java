package org.hoststated.hce;

import java.util.Locale;
import org.hoststated.core.msg.HostError;
import org.hoststated.core.msg.HostState;

/**
 * One host's health as hce keeps it: state, counters and the {@code retry N} rule exactly as
 * relayd's {@code hce_notify_done()} (SPEC section 4). Runs in hce; owned by the event loop.
 *
 * <p>The retry counter starts at 0, so the first failure of a host never checked is reported
 * down at once. A down result while the counter is above 0 keeps the previous state and
 * decrements the counter; any other outcome resets the counter to N. The counters then follow
 * the resulting state: {@code check_cnt} counts every state other than unknown, {@code up_cnt}
 * every up.
 */
public final class HostHealth {
    private final int retry;
    private HostState state = HostState.UNKNOWN;
    private HostState lastState = HostState.UNKNOWN;
    private HostError error = HostError.NONE;
    private int retryCount;
    private int checkCount;
    private int upCount;

    public HostHealth(int retry) {
        this.retry = retry;
    }

    /**
     * A new configuration kept this host: its state and counters stay, its retry value is new.
     * The failures it has had in a row still count against the new value: a host given
     * {@code retry 2} by a reload went down at its next failure, its budget capped at the old
     * value, 0 (probe M of session 58). A host never checked keeps none, as at a start.
     */
    public HostHealth carriedOver(int newRetry) {
        HostHealth h = new HostHealth(newRetry);
        h.state = state;
        h.lastState = lastState;
        h.error = error;
        h.retryCount = state == HostState.UNKNOWN ? Math.min(retryCount, newRetry)
                : Math.max(0, Math.min(newRetry, retryCount + newRetry - retry));
        h.checkCount = checkCount;
        h.upCount = upCount;
        return h;
    }

    /**
     * A restarted hce takes over what pfe kept of this host (KEPT_STATE): its state, reason,
     * counters and retry budget (at most {@code retry}), with no transition, so the first check
     * that finds the same state changes nothing and logs nothing.
     */
    public static HostHealth kept(int retry, HostState state, HostError error, int checkCount, int upCount,
            int retryCount) {
        HostHealth h = new HostHealth(retry);
        h.state = state;
        h.lastState = state;
        h.error = error;
        h.retryCount = Math.min(retryCount, retry);
        h.checkCount = checkCount;
        h.upCount = upCount;
        return h;
    }

    /** Applies one check result. Returns true when the state changed. */
    public boolean apply(HostState result, HostError why) {
        lastState = state;
        error = why;
        if (result == HostState.DOWN && retryCount > 0) {
            retryCount--;
        } else {
            retryCount = retry;
            state = result;
        }
        if (state != HostState.UNKNOWN) {
            checkCount++;
            if (state == HostState.UP) {
                upCount++;
            }
        }
        return state != lastState;
    }

    /** The host (or its table) was disabled: unknown, as SPEC section 4 says. */
    public boolean disable() {
        lastState = state;
        state = HostState.UNKNOWN;
        error = HostError.DISABLED;
        return state != lastState;
    }

    public HostState state() {
        return state;
    }

    public HostState lastState() {
        return lastState;
    }

    public HostError error() {
        return error;
    }

    public int retryCount() {
        return retryCount;
    }

    public int checkCount() {
        return checkCount;
    }

    public int upCount() {
        return upCount;
    }

    /** {@code up_cnt/check_cnt*100} printed {@code %.2f%%}, blank if never checked (SPEC 2.2). */
    public String availability() {
        if (checkCount == 0) {
            return "";
        }
        return String.format(Locale.ROOT, "%.2f%%", (double) upCount / checkCount * 100);
    }
}
