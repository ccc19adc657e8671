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

    /**
     * Where a piece of {@code text} that would end at {@code end} ends: one character earlier
     * when {@code end} falls inside a surrogate pair (a character beyond the BMP, an emoji in a
     * name), whose halves each became "?" in UTF-8, so the engines rebuilt another text than
     * the parent's (review S).
     */
    public static int pieceEnd(String text, int end) {
        return end < text.length() && end > 0 && Character.isHighSurrogate(text.charAt(end - 1)) ? end - 1 : end;
    }

    /** {@code text} in pieces of at most {@link #MAX_CHUNK} characters, each pair kept whole. */
    public static java.util.List<String> pieces(String text) {
        java.util.List<String> out = new java.util.ArrayList<>();
        for (int i = 0; i < text.length(); ) {
            int end = pieceEnd(text, Math.min(text.length(), i + MAX_CHUNK));
            out.add(text.substring(i, end));
            i = end;
        }
        return out;
    }

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
