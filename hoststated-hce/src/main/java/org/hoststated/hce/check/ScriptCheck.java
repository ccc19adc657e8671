package org.hoststated.hce.check;

import java.util.function.Consumer;
import org.hoststated.core.msg.HostError;
import org.hoststated.core.msg.ScriptResult;

/**
 * {@code check script "<path>"}: the parent runs {@code <path> <host>} as the unprivileged user
 * and kills it at the table timeout; exit status above 0 is up, 0 is down (relayd's
 * check_script.c). A killed script, one that could not run, or no answer in time is down.
 * Runs in hce on the event loop.
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

    static CheckResult verdict(ScriptResult r) {
        if (r == null || r.timedOut()) {
            return CheckResult.down(HostError.SCRIPT_TIMEOUT);
        }
        if (r.exitStatus() < 0) {
            return CheckResult.down(HostError.SCRIPT_FAIL);
        }
        return r.exitStatus() > 0 ? CheckResult.up(HostError.SCRIPT_OK) : CheckResult.down(HostError.SCRIPT_FAIL);
    }
}
