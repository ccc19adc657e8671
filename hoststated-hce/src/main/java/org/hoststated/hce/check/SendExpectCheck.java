package org.hoststated.hce.check;

import java.nio.charset.StandardCharsets;
import java.util.function.Consumer;
import org.hoststated.core.config.GlobMatcher;

/**
 * {@code check send "<data>"|nothing expect "<glob>" [ssl]}: sends the data (nothing for banner
 * protocols) and matches what comes back with a {@link SendExpectValidator}, a new one per
 * attempt. Runs in hce on the event loop.
 */
public final class SendExpectCheck implements Check {
    private final Probe probe;
    private final byte[] send;
    private final GlobMatcher expect;

    /** @param probe a {@link TlsProbe} for {@code ... ssl}, else a {@link PlainProbe} */
    public SendExpectCheck(Probe probe, String send, String expect) {
        this.probe = probe;
        // The file is UTF-8 text, sent as written (relayd sends its bytes): as ISO-8859-1, "€"
        // went out as "?" (probe AF). The pattern is matched byte by byte (SendExpectValidator),
        // so its characters are made the bytes of their UTF-8 too.
        this.send = send == null ? null : send.getBytes(StandardCharsets.UTF_8);
        this.expect = new GlobMatcher(new String(expect.getBytes(StandardCharsets.UTF_8), StandardCharsets.ISO_8859_1));
    }

    @Override
    public String kind() {
        return "send expect";
    }

    @Override
    public boolean ssl() {
        return probe.tls();
    }

    @Override
    public void start(CheckTarget target, long deadlineNanos, Consumer<CheckResult> done) {
        probe.probe(target, deadlineNanos, send, new SendExpectValidator(expect), done);
    }
}
