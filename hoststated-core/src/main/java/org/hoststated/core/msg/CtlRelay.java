package org.hoststated.core.msg;

import io.netty.buffer.ByteBuf;

/**
 * A relay row of {@code show summary} and {@code show relays}, from pfe; the parent sets
 * {@code engineDown} on its way to the client while the relay engine is not running (between
 * its death and its restart), which only the parent knows.
 */
public record CtlRelay(int id, String name, boolean disabled, boolean engineDown) {
    public CtlRelay(int id, String name, boolean disabled) {
        this(id, name, disabled, false);
    }

    public String status() {
        return disabled ? "disabled" : engineDown ? "down (relay engine restarting)" : "active";
    }

    public CtlRelay withEngineDown() {
        return new CtlRelay(id, name, disabled, true);
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
            Wire.putBool(out, m.engineDown);
        }

        @Override
        public CtlRelay decode(ByteBuf in) throws MalformedMessageException {
            return new CtlRelay(Wire.u32(in, "id", Integer.MAX_VALUE), Wire.string(in, "name", Wire.MAX_NAME),
                    Wire.bool(in, "disabled"), Wire.bool(in, "engineDown"));
        }
    };
}
