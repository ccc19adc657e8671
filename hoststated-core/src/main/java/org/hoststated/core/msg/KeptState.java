package org.hoststated.core.msg;

import io.netty.buffer.ByteBuf;

/**
 * The state pfe holds of one host, given to a restarted hce (KEPT_STATE, in answer to its
 * STATE_REQUEST, ended by KEPT_STATE_END), which adopts it without a transition: the new hce
 * goes on from the verdicts and counters of the one that died instead of from unknown.
 *
 * @param checkCount the checks with a verdict so far ({@code check_cnt})
 * @param upCount    those that found the host up ({@code up_cnt}); never above checkCount
 * @param retryCount the retry budget left ({@code retry N}, SPEC section 4); at most
 *                   {@link #MAX_RETRY}, the configuration's own bound
 */
public record KeptState(int generation, int hostId, HostState state, HostError error,
                        int checkCount, int upCount, int retryCount) {
    /** The largest {@code retry N} the configuration accepts. */
    public static final int MAX_RETRY = 1000;
    /** Encoded size: five u32 and two enum bytes. */
    public static final int SIZE = 22;

    public static final MessageCodec<KeptState> CODEC = new MessageCodec<>() {
        @Override
        public Class<KeptState> type() {
            return KeptState.class;
        }

        @Override
        public void encode(KeptState m, ByteBuf out) {
            out.writeInt(m.generation);
            out.writeInt(m.hostId);
            Wire.putEnum(out, m.state);
            Wire.putEnum(out, m.error);
            out.writeInt(m.checkCount);
            out.writeInt(m.upCount);
            out.writeInt(m.retryCount);
        }

        @Override
        public KeptState decode(ByteBuf in) throws MalformedMessageException {
            int max = Integer.MAX_VALUE;
            KeptState s = new KeptState(Wire.u32(in, "generation", max), Wire.u32(in, "host id", max),
                    Wire.enumValue(in, HostState.class, "state"), Wire.enumValue(in, HostError.class, "error"),
                    Wire.u32(in, "check count", max), Wire.u32(in, "up count", max),
                    Wire.u32(in, "retry count", MAX_RETRY));
            if (s.upCount > s.checkCount) {
                throw new MalformedMessageException("up count exceeds check count");
            }
            if (s.state == HostState.UP && s.upCount == 0) {
                throw new MalformedMessageException("host up without an up check");
            }
            return s;
        }
    };
}
