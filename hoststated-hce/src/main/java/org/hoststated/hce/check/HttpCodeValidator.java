package org.hoststated.hce.check;

import io.netty.buffer.ByteBuf;
import java.nio.charset.StandardCharsets;
import org.hoststated.core.msg.HostError;

/**
 * {@code check http|https ... code <n>}: the status line must start with {@code HTTP/1.0 } or
 * {@code HTTP/1.1 } and carry the configured 3-digit code (relayd's check_http_code). Decides as
 * soon as the status code has arrived rather than at EOF: nothing after it changes the verdict.
 */
public final class HttpCodeValidator implements ResponseValidator {
    private static final int PREFIX = "HTTP/1.x ".length();
    private final int code;

    public HttpCodeValidator(int code) {
        this.code = code;
    }

    @Override
    public CheckResult onRead(ByteBuf soFar) {
        return soFar.readableBytes() < PREFIX + 3 ? null : verdict(soFar);
    }

    @Override
    public CheckResult onEof(ByteBuf all) {
        return verdict(all);
    }

    private CheckResult verdict(ByteBuf b) {
        if (b.readableBytes() < PREFIX + 3) {
            return CheckResult.down(HostError.HTTP_CODE_ERROR);
        }
        String head = b.toString(b.readerIndex(), PREFIX + 3, StandardCharsets.ISO_8859_1);
        if (!head.startsWith("HTTP/1.0 ") && !head.startsWith("HTTP/1.1 ")) {
            return CheckResult.down(HostError.HTTP_CODE_ERROR);
        }
        String digits = head.substring(PREFIX);
        if (!digits.chars().allMatch(Character::isDigit)) {
            return CheckResult.down(HostError.HTTP_CODE_ERROR);
        }
        return Integer.parseInt(digits) == code ? CheckResult.up(HostError.HTTP_CODE_OK)
                : CheckResult.down(HostError.HTTP_CODE_FAIL);
    }
}
