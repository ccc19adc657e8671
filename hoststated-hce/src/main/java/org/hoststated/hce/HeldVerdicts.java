package org.hoststated.hce;

import java.util.ArrayList;
import java.util.List;

/**
 * The verdicts a new hce holds back until it has taken over what pfe kept of its hosts
 * (KEPT_STATE, up to KEPT_STATE_END): reported before that, a host whose check confirms the
 * state pfe has would be logged and sent as a transition from unknown, with its counters
 * restarted. Runs in hce, owned by the event loop of its {@link CheckScheduler}.
 */
final class HeldVerdicts {
    private List<Runnable> verdicts;

    /** From now on {@link #hold} keeps verdicts instead of letting them be reported. */
    void start() {
        if (verdicts == null) {
            verdicts = new ArrayList<>();
        }
    }

    boolean holding() {
        return verdicts != null;
    }

    /** Keeps {@code report} for {@link #release}; returns false when not holding (report now). */
    boolean hold(Runnable report) {
        if (verdicts == null) {
            return false;
        }
        verdicts.add(report);
        return true;
    }

    /** Stops holding and runs the verdicts held, in the order they came. */
    void release() {
        List<Runnable> held = verdicts;
        verdicts = null;
        if (held != null) {
            held.forEach(Runnable::run);
        }
    }
}
