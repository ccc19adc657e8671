package org.hoststated.core.msg;

import io.netty.buffer.ByteBuf;

/** A relay row of {@code show summary} and {@code show relays}, from pfe. */
public record CtlRelay(int id, String name, boolean disabled) {
    public String status() {
        return disabled ? "disabled" : "active";
    }

    public static final MessageCodec<CtlRelay> CODEC = new MessageCodec<>() {
        @Override
        public Class<CtlRelay> type() {
            return CtlRelay.class;
        }

        @Override
        public void encode(CtlRelay m, ByteBuf out) {
            out.writeInt(m.id);
            Wire.putString(out, m.name);
            Wire.putBool(out, m.disabled);
        }

        @Override
        public CtlRelay decode(ByteBuf in) throws MalformedMessageException {
            return new CtlRelay(Wire.u32(in, "id", Integer.MAX_VALUE), Wire.string(in, "name", Wire.MAX_NAME),
                    Wire.bool(in, "disabled"));
        }
    };
}
