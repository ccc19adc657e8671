package org.hoststated.core.msg;

import io.netty.buffer.ByteBuf;

/**
 * A configuration generation number: RECONF_BEGIN, RECONF_END, SYNC, ENGINE_READY. The parent
 * counts generations from 1; every message whose meaning depends on the configuration carries
 * one, so that after a reload stale messages are recognised and dropped.
 */
public record Generation(int generation) {
    public static final MessageCodec<Generation> CODEC = new MessageCodec<>() {
        @Override
        public Class<Generation> type() {
            return Generation.class;
        }

        @Override
        public void encode(Generation msg, ByteBuf out) {
            out.writeInt(msg.generation);
        }

        @Override
        public Generation decode(ByteBuf in) throws MalformedMessageException {
            return new Generation(Wire.u32(in, "generation", Integer.MAX_VALUE));
        }
    };
}
