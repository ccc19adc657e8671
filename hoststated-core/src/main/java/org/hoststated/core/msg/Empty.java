package org.hoststated.core.msg;

import io.netty.buffer.ByteBuf;

/** The payload of a message that carries nothing (CTL_OK, CTL_END, CTL_POLL, ...). */
public record Empty() {
    public static final Empty INSTANCE = new Empty();

    public static final MessageCodec<Empty> CODEC = new MessageCodec<>() {
        @Override
        public Class<Empty> type() {
            return Empty.class;
        }

        @Override
        public void encode(Empty msg, ByteBuf out) {
        }

        @Override
        public Empty decode(ByteBuf in) {
            return INSTANCE;
        }
    };
}
