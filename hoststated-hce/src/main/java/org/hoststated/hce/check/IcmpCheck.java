package org.hoststated.hce.check;

import java.util.function.Consumer;

/**
 * {@code check icmp}: one echo request per host and round, v4 or v6 by the host's address, down
 * when no reply arrived by the table timeout (DECISIONS.md: icmp honours the table timeout).
 * Runs in hce on the event loop; holds no descriptor of its own, so it is not capped.
 */
public final class IcmpCheck implements Check {
    private final IcmpPinger pinger;

    public IcmpCheck(IcmpPinger pinger) {
        this.pinger = pinger;
    }

    @Override
    public String kind() {
        return "icmp";
    }

    @Override
    public boolean holdsDescriptor() {
        return false;
    }

    @Override
    public void start(CheckTarget target, long deadlineNanos, Consumer<CheckResult> done) {
        pinger.ping(target, deadlineNanos, done);
    }
}
