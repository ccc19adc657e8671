package org.hoststated.hce.check;

import io.netty.buffer.ByteBuf;
import org.hoststated.core.msg.HostError;

/**
 * {@code check http|https ... code <n>}: the status line must start with {@code HTTP/1.0 } or
 * {@code HTTP/1.1 } and carry the configured 3-digit code (relayd's check_http_code). Interim
 * {@code 1xx} answers are skipped ({@link HttpAnswerFinder}). Decides as soon as the final status
 * code has arrived rather than at EOF: nothing after it changes the verdict. One per attempt.
 */
public final class HttpCodeValidator implements ResponseValidator {
    private final int code;
    private final HttpAnswerFinder answers = new HttpAnswerFinder();

    public HttpCodeValidator(int code) {
        this.code = code;
    }

    @Override
    public CheckResult onRead(ByteBuf soFar) {
        HttpAnswer a = answers.find(soFar, false);
        return a.kind == HttpAnswer.Kind.INCOMPLETE ? null : verdict(a);
    }

    @Override
    public CheckResult onEof(ByteBuf all) {
        return verdict(answers.find(all, true));
    }

    private CheckResult verdict(HttpAnswer a) {
        if (a.kind != HttpAnswer.Kind.FINAL) {
            return CheckResult.down(HostError.HTTP_CODE_ERROR);
        }
        return a.code == code ? CheckResult.up(HostError.HTTP_CODE_OK)
                : CheckResult.down(HostError.HTTP_CODE_FAIL, "answered " + a.code + ", expected " + code);
    }
}
