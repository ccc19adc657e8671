package org.hoststated.hce.check;

import java.util.function.Consumer;

/** {@code check ssl}: TCP connect plus a full TLS handshake. Runs in hce on the event loop. */
public final class SslCheck implements Check {
    private final TlsProbe probe;

    public SslCheck(TlsProbe probe) {
        this.probe = probe;
    }

    @Override
    public String kind() {
        return "tcp";
    }

    @Override
    public boolean ssl() {
        return true;
    }

    @Override
    public void start(CheckTarget target, long deadlineNanos, Consumer<CheckResult> done) {
        probe.probe(target, deadlineNanos, null, null, done);
    }
}
