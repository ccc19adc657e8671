package org.hoststated.core.msg;

import io.netty.buffer.ByteBuf;

/**
 * A relay row of {@code show summary} and {@code show relays}, from pfe; the parent sets
 * {@code down} on its way to the client while the relay engine serves no configuration (between
 * its death and its restart, or after it refused the one it was given), which only the parent
 * knows.
 */
public record CtlRelay(int id, String name, boolean disabled, Down down) {
    /** Why the relay engine serves no relay at all, or {@link #NO}. */
    public enum Down {
        NO,
        RESTARTING,
        REFUSED
    }

    public CtlRelay(int id, String name, boolean disabled) {
        this(id, name, disabled, Down.NO);
    }

    public String status() {
        if (disabled) {
            return "disabled";
        }
        return switch (down) {
            case NO -> "active";
            case RESTARTING -> "down (relay engine restarting)";
            case REFUSED -> "down (the relay engine refused the configuration)";
        };
    }

    public CtlRelay withDown(Down why) {
        return new CtlRelay(id, name, disabled, why);
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
            Wire.putEnum(out, m.down);
        }

        @Override
        public CtlRelay decode(ByteBuf in) throws MalformedMessageException {
            return new CtlRelay(Wire.u32(in, "id", Integer.MAX_VALUE), Wire.string(in, "name", Wire.MAX_NAME),
                    Wire.bool(in, "disabled"), Wire.enumValue(in, Down.class, "down"));
        }
    };
}
