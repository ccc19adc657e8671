package org.hoststated.hce.check;

import io.netty.buffer.ByteBuf;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Locale;
import org.hoststated.core.config.DigestType;
import org.hoststated.core.msg.HostError;

/**
 * {@code check http|https ... digest "<hex>"}: hashes the body of the answer with SHA1 (40 hex
 * digits) or MD5 (32) and compares (relayd's check_http_digest).
 *
 * <p>The body is what an HTTP client would take for it: that of the final answer (after any
 * interim {@code 1xx}), of {@code Content-Length} bytes, or decoded when chunked, else
 * everything up to EOF. relayd hashed all after the first blank line at EOF, so a server that
 * kept the connection open despite HTTP/1.0 timed out every check, and one that sent chunks or
 * an interim answer never matched the digest of its page. A body whose length is known is
 * judged as soon as it is complete.
 */
public final class HttpDigestValidator implements ResponseValidator {
    /** Bodies larger than this are not hashed: a health page is small. */
    static final int MAX_BYTES = 1 << 20;
    /** A head longer than this is not HTTP (servers refuse far shorter ones). */
    static final int MAX_HEAD = 64 * 1024;
    private final String algorithm;
    private final String expected;

    public HttpDigestValidator(DigestType type, String hex) {
        this.algorithm = type == DigestType.MD5 ? "MD5" : "SHA-1";
        this.expected = hex.toLowerCase(Locale.ROOT);
    }

    @Override
    public CheckResult onRead(ByteBuf soFar) {
        HttpAnswer a = HttpAnswer.find(soFar, false);
        if (a.kind == HttpAnswer.Kind.INCOMPLETE) {
            return null;
        }
        int start = a.kind == HttpAnswer.Kind.FINAL ? a.start : soFar.readerIndex();
        int body = HttpAnswer.headEnd(soFar, start);
        if (body < 0) {
            return soFar.writerIndex() - start > MAX_HEAD ? CheckResult.down(HostError.HTTP_DIGEST_ERROR) : null;
        }
        if (chunked(soFar, start, body)) {
            int r = ChunkedBody.scan(soFar, body);
            return r == ChunkedBody.INCOMPLETE ? null : judgeChunked(soFar, body, r);
        }
        long length = contentLength(soFar, start, body);
        if (length >= 0 && soFar.writerIndex() - body >= length) {
            return judge(soFar, body, (int) length);
        }
        return null; // the body ends at EOF
    }

    @Override
    public CheckResult onEof(ByteBuf all) {
        HttpAnswer a = HttpAnswer.find(all, true);
        int start = a.kind == HttpAnswer.Kind.FINAL ? a.start : all.readerIndex();
        int body = HttpAnswer.headEnd(all, start);
        if (body < 0) {
            return CheckResult.down(HostError.HTTP_DIGEST_ERROR);
        }
        if (chunked(all, start, body)) {
            return judgeChunked(all, body, ChunkedBody.scan(all, body));
        }
        long length = contentLength(all, start, body);
        int available = all.writerIndex() - body;
        return judge(all, body, length >= 0 && length < available ? (int) length : available);
    }

    @Override
    public int maxBytes() {
        return MAX_BYTES;
    }

    private static boolean chunked(ByteBuf b, int start, int body) {
        String te = HttpAnswer.header(b, start, body, "Transfer-Encoding");
        return te != null && te.toLowerCase(Locale.ROOT).contains("chunked");
    }

    /** The Content-Length, or -1 when there is none or it is no number. */
    private static long contentLength(ByteBuf b, int start, int body) {
        String cl = HttpAnswer.header(b, start, body, "Content-Length");
        if (cl == null || cl.isEmpty() || cl.length() > 18 || !cl.chars().allMatch(c -> c >= '0' && c <= '9')) {
            return -1;
        }
        return Long.parseLong(cl);
    }

    private CheckResult judgeChunked(ByteBuf b, int body, int scan) {
        if (scan != ChunkedBody.COMPLETE) {
            return CheckResult.down(HostError.HTTP_DIGEST_ERROR); // cut short or not chunks at all
        }
        MessageDigest md = digest();
        ChunkedBody.feed(b, body, md);
        return verdict(md);
    }

    private CheckResult judge(ByteBuf b, int from, int length) {
        MessageDigest md = digest();
        md.update(b.nioBuffer(from, length));
        return verdict(md);
    }

    private CheckResult verdict(MessageDigest md) {
        String got = HexFormat.of().formatHex(md.digest());
        return got.equals(expected) ? CheckResult.up(HostError.HTTP_DIGEST_OK)
                : CheckResult.down(HostError.HTTP_DIGEST_FAIL);
    }

    private MessageDigest digest() {
        try {
            return MessageDigest.getInstance(algorithm);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(algorithm + " is a required JDK algorithm", e);
        }
    }
}
