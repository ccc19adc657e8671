package org.hoststated.core.msg;

import io.netty.buffer.ByteBuf;

/**
 * The payload of CTL_SHOW_SUM: which rows of the listing the client prints, so that pfe sends
 * only those. {@code show relays} of 1,000 relays on a table of 2,000 hosts took 2,000,000 rows
 * to print 1,000 (probe U: 13.7 s). An empty payload, as relayd's control clients send, asks
 * for the whole summary.
 */
public record SummaryRequest(View view) {
    /** Which rows: everything; services, tables and hosts (each table once); relays and their statistics. */
    public enum View { SUMMARY, HOSTS, RELAYS }

    public static final SummaryRequest SUMMARY = new SummaryRequest(View.SUMMARY);

    public SummaryRequest {
        if (view == null) {
            throw new IllegalArgumentException("no view");
        }
    }

    public static final MessageCodec<SummaryRequest> CODEC = new MessageCodec<>() {
        @Override
        public Class<SummaryRequest> type() {
            return SummaryRequest.class;
        }

        @Override
        public void encode(SummaryRequest msg, ByteBuf out) {
            Wire.putEnum(out, msg.view);
        }

        @Override
        public SummaryRequest decode(ByteBuf in) throws MalformedMessageException {
            return in.isReadable() ? new SummaryRequest(Wire.enumValue(in, View.class, "view")) : SUMMARY;
        }
    };
}
