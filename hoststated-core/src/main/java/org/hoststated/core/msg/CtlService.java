package org.hoststated.core.msg;

import io.netty.buffer.ByteBuf;

/** A service row of {@code show summary}, from pfe. */
public record CtlService(int id, String name, ServiceStatus status) {
    public static final MessageCodec<CtlService> CODEC = new MessageCodec<>() {
        @Override
        public Class<CtlService> type() {
            return CtlService.class;
        }

        @Override
        public void encode(CtlService m, ByteBuf out) {
            out.writeInt(m.id);
            Wire.putString(out, m.name);
            Wire.putEnum(out, m.status);
        }

        @Override
        public CtlService decode(ByteBuf in) throws MalformedMessageException {
            return new CtlService(Wire.u32(in, "id", Integer.MAX_VALUE), Wire.string(in, "name", Wire.MAX_NAME),
                    Wire.enumValue(in, ServiceStatus.class, "status"));
        }
    };
}
