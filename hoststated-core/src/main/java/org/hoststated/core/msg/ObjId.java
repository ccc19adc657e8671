package org.hoststated.core.msg;

import io.netty.buffer.ByteBuf;

/**
 * An object id within one configuration generation: the payload of the internal
 * SERVICE/TABLE/HOST_ENABLE/DISABLE notices and of the monitor's table events.
 */
public record ObjId(int generation, int id) {
    public static final MessageCodec<ObjId> CODEC = new MessageCodec<>() {
        @Override
        public Class<ObjId> type() {
            return ObjId.class;
        }

        @Override
        public void encode(ObjId msg, ByteBuf out) {
            out.writeInt(msg.generation);
            out.writeInt(msg.id);
        }

        @Override
        public ObjId decode(ByteBuf in) throws MalformedMessageException {
            return new ObjId(Wire.u32(in, "generation", Integer.MAX_VALUE), Wire.u32(in, "id", Integer.MAX_VALUE));
        }
    };
}
