package org.hoststated.core.msg;

import io.netty.buffer.ByteBuf;

/**
 * Session counters of one relay: sent by the relay engine to pfe every 60 s (STATISTICS) and
 * by pfe to a control client after the relay's row (CTL_STATISTICS).
 *
 * @param last60s  sessions in the last minute; likewise the last hour and day
 * @param avg60s   average sessions per minute since start; likewise per hour and per day
 */
public record RelayStatistics(int generation, int relayId, long total, long active,
                              long last60s, long lastHour, long lastDay,
                              long avg60s, long avgHour, long avgDay) {

    public static final MessageCodec<RelayStatistics> CODEC = new MessageCodec<>() {
        @Override
        public Class<RelayStatistics> type() {
            return RelayStatistics.class;
        }

        @Override
        public void encode(RelayStatistics m, ByteBuf out) {
            out.writeInt(m.generation);
            out.writeInt(m.relayId);
            for (long v : new long[] {m.total, m.active, m.last60s, m.lastHour, m.lastDay, m.avg60s, m.avgHour, m.avgDay}) {
                out.writeLong(v);
            }
        }

        @Override
        public RelayStatistics decode(ByteBuf in) throws MalformedMessageException {
            int gen = Wire.u32(in, "generation", Integer.MAX_VALUE);
            int id = Wire.u32(in, "relay id", Integer.MAX_VALUE);
            long[] v = new long[8];
            for (int i = 0; i < v.length; i++) {
                v[i] = Wire.i64(in, "counter");
                if (v[i] < 0) {
                    throw new MalformedMessageException("negative counter");
                }
            }
            return new RelayStatistics(gen, id, v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7]);
        }
    };
}
