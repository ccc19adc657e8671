package org.hoststated.core.msg;

import io.netty.buffer.ByteBuf;

/** pfe asks the parent to change a demote group's counter by {@code delta} (DEMOTE). */
public record Demote(String group, int delta) {
    public static final MessageCodec<Demote> CODEC = new MessageCodec<>() {
        @Override
        public Class<Demote> type() {
            return Demote.class;
        }

        @Override
        public void encode(Demote m, ByteBuf out) {
            Wire.putString(out, m.group);
            out.writeInt(m.delta);
        }

        @Override
        public Demote decode(ByteBuf in) throws MalformedMessageException {
            String g = Wire.string(in, "group", 16);
            int d = Wire.i32(in, "delta");
            if (d < -128 || d > 128) {
                throw new MalformedMessageException("demote delta out of range: " + d);
            }
            return new Demote(g, d);
        }
    };
}
