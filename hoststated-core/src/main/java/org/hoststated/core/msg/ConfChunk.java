package org.hoststated.core.msg;

import io.netty.buffer.ByteBuf;

/**
 * A piece of a configuration in its canonical text (what {@code hoststated -nv} prints),
 * sent by the parent between RECONF_BEGIN and RECONF_END. The engines parse the joined text
 * with the same strict parser; there is no second encoding of the model to keep in step.
 */
public record ConfChunk(int generation, String text) {
    /** Largest chunk; a configuration of any size is sent as several. */
    public static final int MAX_CHUNK = 60 * 1024;

    public static final MessageCodec<ConfChunk> CODEC = new MessageCodec<>() {
        @Override
        public Class<ConfChunk> type() {
            return ConfChunk.class;
        }

        @Override
        public void encode(ConfChunk m, ByteBuf out) {
            out.writeInt(m.generation);
            Wire.putString(out, m.text);
        }

        @Override
        public ConfChunk decode(ByteBuf in) throws MalformedMessageException {
            return new ConfChunk(Wire.u32(in, "generation", Integer.MAX_VALUE),
                    Wire.string(in, "config text", MAX_CHUNK * 4));
        }
    };
}
