package org.hoststated.core.msg;

import io.netty.buffer.ByteBuf;

/** A line of text: the reason of a CTL_FAIL, an engine's error report. */
public record Text(String text) {
    public Text {
        if (text.length() > Wire.MAX_TEXT) {
            text = text.substring(0, Wire.MAX_TEXT);
        }
    }

    public static final MessageCodec<Text> CODEC = new MessageCodec<>() {
        @Override
        public Class<Text> type() {
            return Text.class;
        }

        @Override
        public void encode(Text msg, ByteBuf out) {
            Wire.putString(out, msg.text);
        }

        @Override
        public Text decode(ByteBuf in) throws MalformedMessageException {
            return new Text(Wire.string(in, "text", Wire.MAX_TEXT * 4));
        }
    };
}
