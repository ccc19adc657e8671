package org.hoststated.hce.check;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.hoststated.core.config.DigestType;
import org.hoststated.core.config.GlobMatcher;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The validators remember how far they have looked: fed an answer in pieces (byte by byte, or
 * cut at random), each gives after every piece, and at EOF after any prefix, the verdict a new
 * one gives on that prefix read at once; and an answer trickled byte by byte up to the read cap
 * costs time of its length (it cost the square: 130 ms of hce's loop per check at 64 KiB, the
 * 1 MiB digest far more).
 */
class TrickledAnswerTest {
    private static final String BODY = "<html>ok</html>\n";
    private static final String[] ANSWERS = {
        "HTTP/1.1 200 OK\r\nContent-Length: 16\r\n\r\n" + BODY + "junk",
        "HTTP/1.0 200 OK\r\nContent-Type: text/html\r\n\r\n" + BODY,
        "HTTP/1.1 103 Early Hints\r\nLink: </a.css>\r\n\r\nHTTP/1.1 100 Continue\n\nHTTP/1.1 200 OK\n\n" + BODY,
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n6;x=y\r\n<html>\r\na\r\nok</html>\n\r\n0\r\nX-T: 1\r\n\r\n",
        "HTTP/1.1 200 OK\r\ntransfer-encoding: Chunked\n\n10\n" + BODY + "\n0\n\n",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n6\r\n<html>\r\rzz",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nxyz\r\n",
        "HTTP/1.1 2000 OK\r\n\r\n", "HTTP/1.1 404 Not Found\r\n\r\n", "HTTP/2.0 200 OK\r\n\r\n", "HTTP/1.0 2",
        "HTTP/1.1 200\r\n\r\n" + BODY, "\0\u00ffGARBAGE 200 OK\r\n\r\n" + BODY, "220 mail.example.org ESMTP\r\n",
        "xx220 ok\r\nmore", "ababababc", "",
    };

    static Stream<Arguments> cases() {
        List<Arguments> all = new ArrayList<>();
        List<Supplier<ResponseValidator>> validators = List.of(
                () -> new HttpCodeValidator(200),
                () -> new HttpDigestValidator(DigestType.SHA1, sha1(BODY)),
                () -> new SendExpectValidator(new GlobMatcher("*220 ok*")),
                () -> new SendExpectValidator(new GlobMatcher("220 *")),
                () -> new SendExpectValidator(new GlobMatcher("*a*b*c")));
        String[] names = {"code 200", "digest", "expect *220 ok*", "expect 220 *", "expect *a*b*c"};
        for (int v = 0; v < validators.size(); v++) {
            for (String answer : ANSWERS) {
                all.add(Arguments.of(names[v], answer.replace("\r", "\\r").replace("\n", "\\n"),
                        validators.get(v), answer));
            }
        }
        return all.stream();
    }

    @ParameterizedTest(name = "{0} on {1}")
    @MethodSource("cases")
    void piecesGiveTheVerdictOfTheWhole(String name, String shown, Supplier<ResponseValidator> make, String answer) {
        byte[] bytes = answer.getBytes(StandardCharsets.ISO_8859_1);
        Random random = new Random(answer.hashCode());
        for (int run = 0; run < 4; run++) {
            ResponseValidator v = make.get();
            ByteBuf got = Unpooled.buffer();
            int at = 0;
            CheckResult r = null;
            while (r == null && at < bytes.length) {
                int piece = run == 0 ? 1 : 1 + random.nextInt(8);
                got.writeBytes(bytes, at, Math.min(piece, bytes.length - at));
                at = got.writerIndex();
                r = v.onRead(got);
                assertEquals(make.get().onRead(got.copy()), r, () -> "after " + got.writerIndex() + " bytes");
            }
            if (r == null) { // else the probe stops at the verdict
                assertEquals(make.get().onEof(got.copy()), v.onEof(got), "at EOF");
            }
            got.release();
        }
        for (int k = 0; k <= bytes.length; k++) {
            assertEofAfterPrefix(make, bytes, k);
        }
    }

    /** Read byte by byte up to {@code k} (if no verdict came), then EOF: as a new validator says. */
    private static void assertEofAfterPrefix(Supplier<ResponseValidator> make, byte[] bytes, int k) {
        ResponseValidator v = make.get();
        ByteBuf got = Unpooled.buffer();
        for (int i = 0; i < k; i++) {
            got.writeByte(bytes[i]);
            if (v.onRead(got) != null) {
                got.release();
                return;
            }
        }
        assertEquals(make.get().onEof(got.copy()), v.onEof(got), () -> "EOF after " + k + " bytes");
        got.release();
    }

    static Stream<Arguments> trickles() {
        String filler = "X-Filler: " + "y".repeat(54) + "\r\n";
        String chunk = "3e8\r\n" + "x".repeat(1000) + "\r\n";
        return Stream.of(
                Arguments.of("expect *a*b*c*", (Supplier<ResponseValidator>) () ->
                        new SendExpectValidator(new GlobMatcher("*a*b*c*")), "ab", "", 64 * 1024),
                Arguments.of("code behind an endless interim head", (Supplier<ResponseValidator>) () ->
                        new HttpCodeValidator(200), filler, "HTTP/1.1 100 Continue\r\n", 64 * 1024),
                Arguments.of("digest of a close-delimited body", digest(), "x", "HTTP/1.0 200 OK\r\n\r\n",
                        HttpDigestValidator.MAX_BYTES),
                Arguments.of("digest of a long Content-Length", digest(), "x",
                        "HTTP/1.0 200 OK\r\nContent-Length: 9999999\r\n\r\n", HttpDigestValidator.MAX_BYTES),
                Arguments.of("digest of endless chunks", digest(), chunk,
                        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", HttpDigestValidator.MAX_BYTES),
                Arguments.of("digest of an endless head", digest(), filler, "HTTP/1.1 200 OK\r\n",
                        HttpDigestValidator.MAX_HEAD));
    }

    /** Up to the cap one byte per read: no verdict yet, and no time of the square of the cap. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("trickles")
    void trickledToTheCapInLinearTime(String name, Supplier<ResponseValidator> make, String repeat, String head,
            int cap) {
        byte[] unit = repeat.getBytes(StandardCharsets.ISO_8859_1);
        byte[] start = head.getBytes(StandardCharsets.ISO_8859_1);
        assertTimeoutPreemptively(Duration.ofSeconds(10), () -> {
            ResponseValidator v = make.get();
            ByteBuf got = Unpooled.buffer(cap);
            for (int i = 0; got.writerIndex() < cap; i++) {
                got.writeByte(i < start.length ? start[i] : unit[(i - start.length) % unit.length]);
                assertNull(v.onRead(got));
            }
            got.release();
        });
    }

    private static Supplier<ResponseValidator> digest() {
        return () -> new HttpDigestValidator(DigestType.SHA1, sha1(BODY));
    }

    private static String sha1(String s) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-1")
                    .digest(s.getBytes(StandardCharsets.ISO_8859_1)));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
