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
 * interim {@code 1xx}), of {@code Content-Length} bytes (fewer before the close: malformed), or
 * decoded when chunked, else everything up to EOF. relayd hashed all after the first blank
 * line at EOF, so a server that kept the connection open despite HTTP/1.0 timed out every
 * check, and one that sent chunks or an interim answer never matched the digest of its page. A body whose length is known is
 * judged as soon as it is complete.
 *
 * <p>One per attempt: the answer, its head and its framing are each read once as they arrive
 * (a trickled answer costs time of its length), then only the body's progress is followed.
 */
public final class HttpDigestValidator implements ResponseValidator {
    /** Bodies larger than this are not hashed: a health page is small. */
    static final int MAX_BYTES = 1 << 20;
    /** A head longer than this is not HTTP (servers refuse far shorter ones). */
    static final int MAX_HEAD = 64 * 1024;

    /** How the body ends. */
    private enum Framing { LENGTH, CHUNKED, CLOSE, INVALID }

    /** {@link #contentLength}: a Content-Length no client could frame the body by. */
    private static final long INVALID_LENGTH = -2;

    private final String algorithm;
    private final String expected;
    private final HttpAnswerFinder answers = new HttpAnswerFinder();
    /** Where the head judged starts: the final answer's, or the buffer's when that is malformed. */
    private int start = -1;
    private HeadEndFinder head;
    /** Index of the body's first byte, once the head is in. */
    private int body = -1;
    private Framing framing;
    private long length;
    private ChunkedBodyDecoder chunks;

    /** @param hex the expected digest, already checked by the configuration's validator */
    public HttpDigestValidator(DigestType type, String hex) {
        this.algorithm = type == DigestType.MD5 ? "MD5" : "SHA-1";
        this.expected = hex.toLowerCase(Locale.ROOT);
    }

    @Override
    public CheckResult onRead(ByteBuf soFar) {
        if (!headIn(soFar, false)) {
            return start >= 0 && soFar.writerIndex() - start > MAX_HEAD ? CheckResult.down(HostError.HTTP_DIGEST_ERROR)
                    : null;
        }
        return switch (framing) {
            case CHUNKED -> {
                int r = chunks.scan(soFar);
                yield r == ChunkedBodyDecoder.INCOMPLETE ? null : judgeChunked(r);
            }
            case LENGTH -> soFar.writerIndex() - body >= length ? judge(soFar, body, (int) length) : null;
            case CLOSE -> null; // the body ends at EOF
            case INVALID -> CheckResult.down(HostError.HTTP_DIGEST_ERROR);
        };
    }

    @Override
    public CheckResult onEof(ByteBuf all) {
        if (!headIn(all, true)) {
            return CheckResult.down(HostError.HTTP_DIGEST_ERROR);
        }
        if (framing == Framing.CHUNKED) {
            return judgeChunked(chunks.scan(all));
        }
        if (framing == Framing.INVALID) {
            return CheckResult.down(HostError.HTTP_DIGEST_ERROR);
        }
        int available = all.writerIndex() - body;
        if (framing == Framing.LENGTH && available < length) {
            // Cut short, as a chunked body without its last chunk is: a client takes no page from
            // it, though the bytes that came may hash to the digest (probe E).
            return CheckResult.down(HostError.HTTP_DIGEST_ERROR);
        }
        return judge(all, body, framing == Framing.LENGTH ? (int) length : available);
    }

    @Override
    public int maxBytes() {
        return MAX_BYTES;
    }

    /** Reads on until the head is in and its framing known; whether it is. */
    private boolean headIn(ByteBuf b, boolean atEof) {
        if (body >= 0) {
            return true;
        }
        if (start < 0) {
            HttpAnswer a = answers.find(b, atEof);
            if (a.kind == HttpAnswer.Kind.INCOMPLETE) {
                return false;
            }
            start = a.kind == HttpAnswer.Kind.FINAL ? a.start : b.readerIndex();
            head = new HeadEndFinder(start);
        }
        body = head.end(b);
        if (body < 0) {
            return false;
        }
        if (chunked(b, start, body)) {
            framing = Framing.CHUNKED;
            chunks = new ChunkedBodyDecoder(body, digest());
        } else {
            length = contentLength(b, start, body);
            framing = length >= 0 ? Framing.LENGTH : length == INVALID_LENGTH ? Framing.INVALID : Framing.CLOSE;
        }
        return true;
    }

    private static boolean chunked(ByteBuf b, int start, int body) {
        String te = HttpAnswer.header(b, start, body, "Transfer-Encoding");
        return te != null && te.toLowerCase(Locale.ROOT).contains("chunked");
    }

    /**
     * The Content-Length; -1 when there is none; {@link #INVALID_LENGTH} when one is no number or
     * two differ, which RFC 9112 (6.3) makes an unrecoverable error for the client: the body's
     * end is unknown. A list of one repeated value ({@code 5, 5}) is that value.
     */
    private static long contentLength(ByteBuf b, int start, int body) {
        long found = -1;
        for (String header : HttpAnswer.headers(b, start, body, "Content-Length")) {
            for (String v : header.split(",", -1)) {
                String cl = v.trim();
                if (cl.isEmpty() || cl.length() > 18 || !cl.chars().allMatch(c -> c >= '0' && c <= '9')) {
                    return INVALID_LENGTH;
                }
                long n = Long.parseLong(cl);
                if (found >= 0 && n != found) {
                    return INVALID_LENGTH;
                }
                found = n;
            }
        }
        return found;
    }

    private CheckResult judgeChunked(int scan) {
        if (scan != ChunkedBodyDecoder.COMPLETE) {
            return CheckResult.down(HostError.HTTP_DIGEST_ERROR); // cut short or not chunks at all
        }
        return verdict(chunks.digest());
    }

    private CheckResult judge(ByteBuf b, int from, int length) {
        MessageDigest md = digest();
        md.update(b.nioBuffer(from, length));
        return verdict(md);
    }

    private CheckResult verdict(MessageDigest md) {
        String got = HexFormat.of().formatHex(md.digest());
        return got.equals(expected) ? CheckResult.up(HostError.HTTP_DIGEST_OK)
                : CheckResult.down(HostError.HTTP_DIGEST_FAIL, "body's digest " + got + ", expected " + expected);
    }

    private MessageDigest digest() {
        try {
            return MessageDigest.getInstance(algorithm);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(algorithm + " is a required JDK algorithm", e);
        }
    }
}
