package org.hoststated.core.msg;

import io.netty.buffer.ByteBuf;

/** One boolean, e.g. verbose logging on or off (CTL_LOG_VERBOSE, LOG_VERBOSE). */
public record Flag(boolean on) {
    public static final MessageCodec<Flag> CODEC = new MessageCodec<>() {
        @Override
        public Class<Flag> type() {
            return Flag.class;
        }

        @Override
        public void encode(Flag msg, ByteBuf out) {
            Wire.putBool(out, msg.on);
        }

        @Override
        public Flag decode(ByteBuf in) throws MalformedMessageException {
            return new Flag(Wire.bool(in, "flag"));
        }
    };
}
