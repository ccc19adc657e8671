package org.hoststated.hce.check;

import java.util.function.Consumer;

/**
 * {@code check tcp}: a plain TCP connect (relayd's check_tcp.c without send/expect), on the lean
 * {@link PlainProbe}. A reset right after the handshake counts as up: the port accepted. Runs in
 * hce on the event loop.
 */
public final class TcpCheck implements Check {
    private final PlainProbe probe;

    public TcpCheck(PlainProbe probe) {
        this.probe = probe;
    }

    @Override
    public String kind() {
        return "tcp";
    }

    @Override
    public void start(CheckTarget target, long deadlineNanos, Consumer<CheckResult> done) {
        probe.probe(target, deadlineNanos, null, null, done);
    }
}
