package org.hoststated.core.msg;

import io.netty.buffer.ByteBuf;

/**
 * The result of a host's check (hce to pfe after every check, pfe to relay on a change). The
 * counters are hce's; pfe keeps them for {@code show hosts}.
 *
 * @param retryCount the host's remaining retry budget (SPEC section 4 {@code retry N})
 * @param latencyMs  how long the check took
 */
public record HostStatus(int generation, int hostId, HostState state, HostError error,
                         int checkCount, int upCount, int retryCount, int latencyMs) {

    public static final MessageCodec<HostStatus> CODEC = new MessageCodec<>() {
        @Override
        public Class<HostStatus> type() {
            return HostStatus.class;
        }

        @Override
        public void encode(HostStatus m, ByteBuf out) {
            out.writeInt(m.generation);
            out.writeInt(m.hostId);
            Wire.putEnum(out, m.state);
            Wire.putEnum(out, m.error);
            out.writeInt(m.checkCount);
            out.writeInt(m.upCount);
            out.writeInt(m.retryCount);
            out.writeInt(m.latencyMs);
        }

        @Override
        public HostStatus decode(ByteBuf in) throws MalformedMessageException {
            int max = Integer.MAX_VALUE;
            HostStatus s = new HostStatus(Wire.u32(in, "generation", max), Wire.u32(in, "host id", max),
                    Wire.enumValue(in, HostState.class, "state"), Wire.enumValue(in, HostError.class, "error"),
                    Wire.u32(in, "check count", max), Wire.u32(in, "up count", max),
                    Wire.u32(in, "retry count", max), Wire.u32(in, "latency", max));
            if (s.upCount > s.checkCount) {
                throw new MalformedMessageException("up count exceeds check count");
            }
            return s;
        }
    };
}
