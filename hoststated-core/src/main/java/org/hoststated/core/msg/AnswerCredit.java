package org.hoststated.core.msg;

import io.netty.buffer.ByteBuf;

/**
 * How many more rows of one control client's {@code show summary} answer pfe may send: the
 * payload of CTL_ANSWER_CREDIT, whose peer id names the client. The parent grants rows as the
 * client takes them, so one slow reader holds back only its own answer.
 */
public record AnswerCredit(int rows) {
    /** The most rows one credit may grant: a few batches, so pfe's queue stays small. */
    public static final int MAX_ROWS = 4096;

    public AnswerCredit {
        if (rows < 1 || rows > MAX_ROWS) {
            throw new IllegalArgumentException("credit of " + rows + " rows");
        }
    }

    public static final MessageCodec<AnswerCredit> CODEC = new MessageCodec<>() {
        @Override
        public Class<AnswerCredit> type() {
            return AnswerCredit.class;
        }

        @Override
        public void encode(AnswerCredit msg, ByteBuf out) {
            out.writeInt(msg.rows);
        }

        @Override
        public AnswerCredit decode(ByteBuf in) throws MalformedMessageException {
            int rows = Wire.u32(in, "rows", MAX_ROWS);
            if (rows == 0) {
                throw new MalformedMessageException("credit of no rows");
            }
            return new AnswerCredit(rows);
        }
    };
}
