package org.hoststated.hce.check;

import io.netty.buffer.ByteBuf;

/** A validator that counts the reads a probe hands it, and leaves the verdicts to another. */
final class CountingValidator implements ResponseValidator {
    private final ResponseValidator judge;
    private volatile int reads;

    CountingValidator(ResponseValidator judge) {
        this.judge = judge;
    }

    int reads() {
        return reads;
    }

    @Override
    public CheckResult onRead(ByteBuf soFar) {
        reads++;
        return judge.onRead(soFar);
    }

    @Override
    public CheckResult onEof(ByteBuf all) {
        return judge.onEof(all);
    }

    @Override
    public int maxBytes() {
        return judge.maxBytes();
    }
}
