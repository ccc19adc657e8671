package org.hoststated.hce.check;

import io.netty.buffer.ByteBuf;
import java.nio.charset.StandardCharsets;
import org.hoststated.core.config.Glob;
import org.hoststated.core.msg.HostError;

/**
 * {@code check send ... expect "<glob>"}: the glob is tried on everything read so far after each
 * read; a match is up. EOF without a match is down (DECISIONS.md; the original said unknown).
 */
public final class SendExpectValidator implements ResponseValidator {
    private final String expect;

    public SendExpectValidator(String expect) {
        this.expect = expect;
    }

    @Override
    public CheckResult onRead(ByteBuf soFar) {
        return matches(soFar) ? CheckResult.up(HostError.SEND_EXPECT_OK) : null;
    }

    @Override
    public CheckResult onEof(ByteBuf all) {
        return matches(all) ? CheckResult.up(HostError.SEND_EXPECT_OK) : CheckResult.down(HostError.SEND_EXPECT_FAIL);
    }

    private boolean matches(ByteBuf b) {
        return Glob.matches(expect, b.toString(StandardCharsets.ISO_8859_1));
    }
}
