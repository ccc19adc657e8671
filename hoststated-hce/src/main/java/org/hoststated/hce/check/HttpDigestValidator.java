package org.hoststated.hce.check;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Locale;
import org.hoststated.core.config.DigestType;
import org.hoststated.core.msg.HostError;

/**
 * {@code check http|https ... digest "<hex>"}: reads to EOF, hashes the body after the first
 * blank line with SHA1 (40 hex digits) or MD5 (32) and compares (relayd's check_http_digest).
 */
public final class HttpDigestValidator implements ResponseValidator {
    private static final byte[] BLANK = {'\r', '\n', '\r', '\n'};
    /** Bodies larger than this are not hashed: a health page is small. */
    static final int MAX_BYTES = 1 << 20;
    private final String algorithm;
    private final String expected;

    public HttpDigestValidator(DigestType type, String hex) {
        this.algorithm = type == DigestType.MD5 ? "MD5" : "SHA-1";
        this.expected = hex.toLowerCase(Locale.ROOT);
    }

    @Override
    public CheckResult onRead(ByteBuf soFar) {
        return null; // the body ends at EOF
    }

    @Override
    public CheckResult onEof(ByteBuf all) {
        int at = ByteBufUtil.indexOf(io.netty.buffer.Unpooled.wrappedBuffer(BLANK), all);
        if (at < 0) {
            return CheckResult.down(HostError.HTTP_DIGEST_ERROR);
        }
        int from = at + BLANK.length;
        MessageDigest md;
        try {
            md = MessageDigest.getInstance(algorithm);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(algorithm + " is a required JDK algorithm", e);
        }
        md.update(all.nioBuffer(from, all.writerIndex() - from));
        String got = HexFormat.of().formatHex(md.digest());
        return got.equals(expected) ? CheckResult.up(HostError.HTTP_DIGEST_OK)
                : CheckResult.down(HostError.HTTP_DIGEST_FAIL);
    }

    @Override
    public int maxBytes() {
        return MAX_BYTES;
    }
}
