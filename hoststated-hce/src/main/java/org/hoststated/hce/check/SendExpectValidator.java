package org.hoststated.hce.check;

import io.netty.buffer.ByteBuf;
import org.hoststated.core.config.GlobMatcher;
import org.hoststated.core.msg.HostError;

/**
 * {@code check send ... expect "<glob>"}: after each read, whether everything read so far
 * matches the glob; a match is up. EOF without a match is down (DECISIONS.md; the original said
 * unknown). The bytes are read as ISO-8859-1 characters, each fed once to a
 * {@link GlobMatcher.Run}. One per attempt.
 */
public final class SendExpectValidator implements ResponseValidator {
    private final GlobMatcher.Run run;
    /** How many bytes of the buffer the glob has seen. */
    private int seen;

    public SendExpectValidator(GlobMatcher expect) {
        this.run = expect.start();
    }

    @Override
    public CheckResult onRead(ByteBuf soFar) {
        return matches(soFar) ? CheckResult.up(HostError.SEND_EXPECT_OK) : null;
    }

    @Override
    public CheckResult onEof(ByteBuf all) {
        return matches(all) ? CheckResult.up(HostError.SEND_EXPECT_OK) : CheckResult.down(HostError.SEND_EXPECT_FAIL);
    }

    /**
     * A host that answered what no more bytes can make match, and kept the connection open,
     * failed the send/expect: "tcp read timeout" said it had been silent (probe M of session
     * 58). An answer that could still match is one that did not come whole in time.
     */
    @Override
    public HostError readTimeout(HostError probes) {
        return seen > 0 && !run.canStillMatch() ? HostError.SEND_EXPECT_FAIL : probes;
    }

    private boolean matches(ByteBuf b) {
        int end = b.writerIndex();
        for (int i = b.readerIndex() + seen; i < end; i++) {
            run.feed((char) (b.getByte(i) & 0xff));
        }
        seen = end - b.readerIndex();
        return run.matches();
    }
}
