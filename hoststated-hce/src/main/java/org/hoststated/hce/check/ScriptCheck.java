package org.hoststated.hce.check;

import java.util.function.Consumer;
import org.hoststated.core.msg.HostError;
import org.hoststated.core.msg.ScriptResult;

/**
 * {@code check script "<path>"}: the parent runs {@code <path> <host>} as the unprivileged user
 * and kills it at the table timeout; exit status above 0 is up, 0 is down (relayd's
 * check_script.c). A script killed at the timeout or one that could not run is down. No answer
 * from the parent by the deadline (its script pool is full) is the daemon's overload, not the
 * host's: no verdict, the next round tries again. Runs in hce on the event loop; holds no
 * descriptor here (the parent bounds the scripts it runs at once).
 */
public final class ScriptCheck implements Check {
    private final ScriptBroker broker;
    private final String path;
    private final int timeoutMs;

    public ScriptCheck(ScriptBroker broker, String path, int timeoutMs) {
        this.broker = broker;
        this.path = path;
        this.timeoutMs = timeoutMs;
    }

    @Override
    public String kind() {
        return "script";
    }

    @Override
    public void start(CheckTarget target, long deadlineNanos, Consumer<CheckResult> done) {
        broker.run(target, path, timeoutMs, deadlineNanos, r -> done.accept(verdict(r)));
    }

    @Override
    public boolean holdsDescriptor() {
        return false;
    }

    static CheckResult verdict(ScriptResult r) {
        if (r == null) {
            return CheckResult.OVERLOAD;
        }
        if (r.timedOut()) {
            return CheckResult.down(HostError.SCRIPT_TIMEOUT);
        }
        if (r.exitStatus() == ScriptResult.NOT_RUN) {
            return CheckResult.down(HostError.SCRIPT_NOT_RUN);
        }
        if (r.exitStatus() < 0) {
            return CheckResult.down(HostError.SCRIPT_KILLED);
        }
        return r.exitStatus() > 0 ? CheckResult.up(HostError.SCRIPT_OK) : CheckResult.down(HostError.SCRIPT_FAIL);
    }
}
