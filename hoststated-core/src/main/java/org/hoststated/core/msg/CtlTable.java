package org.hoststated.core.msg;

import io.netty.buffer.ByteBuf;

/**
 * A table row of {@code show summary}, from pfe.
 *
 * @param upCount how many of its hosts are up
 */
public record CtlTable(int id, String name, boolean disabled, int upCount, int hostCount) {
    /** The status column: {@code disabled}, {@code empty} or {@code active (N hosts up)}. */
    public String status() {
        if (disabled) {
            return "disabled";
        }
        return upCount == 0 ? "empty" : "active (" + upCount + " hosts up)";
    }

    public static final MessageCodec<CtlTable> CODEC = new MessageCodec<>() {
        @Override
        public Class<CtlTable> type() {
            return CtlTable.class;
        }

        @Override
        public void encode(CtlTable m, ByteBuf out) {
            out.writeInt(m.id);
            Wire.putString(out, m.name);
            Wire.putBool(out, m.disabled);
            out.writeInt(m.upCount);
            out.writeInt(m.hostCount);
        }

        @Override
        public CtlTable decode(ByteBuf in) throws MalformedMessageException {
            CtlTable t = new CtlTable(Wire.u32(in, "id", Integer.MAX_VALUE), Wire.string(in, "name", Wire.MAX_NAME),
                    Wire.bool(in, "disabled"), Wire.u32(in, "up count", Integer.MAX_VALUE),
                    Wire.u32(in, "host count", Integer.MAX_VALUE));
            if (t.upCount > t.hostCount) {
                throw new MalformedMessageException("up count exceeds host count");
            }
            return t;
        }
    };
}
