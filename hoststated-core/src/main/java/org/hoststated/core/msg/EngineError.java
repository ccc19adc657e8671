package org.hoststated.core.msg;

import io.netty.buffer.ByteBuf;

/**
 * ENGINE_ERROR: an engine could not run configuration {@code generation}, and why. The
 * generation lets the parent tell a refusal of the reload it waits for from a late one of a
 * reload that was replaced since.
 */
public record EngineError(int generation, String reason) {
    public EngineError {
        if (reason.length() > Wire.MAX_TEXT) {
            reason = reason.substring(0, Wire.MAX_TEXT);
        }
    }

    public static final MessageCodec<EngineError> CODEC = new MessageCodec<>() {
        @Override
        public Class<EngineError> type() {
            return EngineError.class;
        }

        @Override
        public void encode(EngineError msg, ByteBuf out) {
            out.writeInt(msg.generation);
            Wire.putString(out, msg.reason);
        }

        @Override
        public EngineError decode(ByteBuf in) throws MalformedMessageException {
            return new EngineError(Wire.u32(in, "generation", Integer.MAX_VALUE),
                    Wire.string(in, "reason", Wire.MAX_TEXT * 4));
        }
    };
}
