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
    /** The answer's first bytes, for the reason of a failure. */
    private final byte[] start = new byte[AnswerStart.BYTES];
    private int startLength;

    public SendExpectValidator(GlobMatcher expect) {
        this.run = expect.start();
    }

    @Override
    public CheckResult onRead(ByteBuf soFar) {
        return matches(soFar) ? CheckResult.up(HostError.SEND_EXPECT_OK) : null;
    }

    @Override
    public CheckResult onEof(ByteBuf all) {
        return matches(all) ? CheckResult.up(HostError.SEND_EXPECT_OK) : failed();
    }

    /**
     * A host that answered what no more bytes can make match, and kept the connection open,
     * failed the send/expect: "tcp read timeout" said it had been silent (probe M of session
     * 58). An answer that could still match is one that did not come whole in time.
     */
    @Override
    public CheckResult readTimeout(HostError probes) {
        return seen > 0 && !run.canStillMatch() ? failed() : CheckResult.down(probes);
    }

    /** A failed send/expect, with the start of what the host answered (the log line shows it). */
    private CheckResult failed() {
        return CheckResult.down(HostError.SEND_EXPECT_FAIL, AnswerStart.quoted(start, startLength, seen));
    }

    private boolean matches(ByteBuf b) {
        int end = b.writerIndex();
        for (int i = b.readerIndex() + seen; i < end; i++) {
            byte c = b.getByte(i);
            if (startLength < start.length) {
                start[startLength++] = c;
            }
            run.feed((char) (c & 0xff));
        }
        seen = end - b.readerIndex();
        return run.matches();
    }
}
