package org.hoststated.core.msg;

import io.netty.buffer.ByteBuf;
import java.util.Locale;

/**
 * A host row of {@code show summary} and {@code show hosts}, from pfe.
 *
 * @param retryCount the host's remaining retry budget
 * @param lastError  why the last check gave its result
 */
public record CtlHost(int id, int tableId, String name, HostState state, boolean disabled,
                     int checkCount, int upCount, int retryCount, HostError lastError) {

    /** The status column: {@code disabled} or the state. */
    public String status() {
        return disabled ? "disabled" : state.toString();
    }

    /** The availability column: {@code 97.62%}, or empty when the host was never checked. */
    public String availability() {
        if (checkCount == 0) {
            return "";
        }
        return String.format(Locale.ROOT, "%.2f%%", upCount * 100.0 / checkCount);
    }

    public static final MessageCodec<CtlHost> CODEC = new MessageCodec<>() {
        @Override
        public Class<CtlHost> type() {
            return CtlHost.class;
        }

        @Override
        public void encode(CtlHost m, ByteBuf out) {
            out.writeInt(m.id);
            out.writeInt(m.tableId);
            Wire.putString(out, m.name);
            Wire.putEnum(out, m.state);
            Wire.putBool(out, m.disabled);
            out.writeInt(m.checkCount);
            out.writeInt(m.upCount);
            out.writeInt(m.retryCount);
            Wire.putEnum(out, m.lastError);
        }

        @Override
        public CtlHost decode(ByteBuf in) throws MalformedMessageException {
            int max = Integer.MAX_VALUE;
            CtlHost h = new CtlHost(Wire.u32(in, "id", max), Wire.u32(in, "table id", max),
                    Wire.string(in, "name", Wire.MAX_NAME), Wire.enumValue(in, HostState.class, "state"),
                    Wire.bool(in, "disabled"), Wire.u32(in, "check count", max), Wire.u32(in, "up count", max),
                    Wire.u32(in, "retry count", max), Wire.enumValue(in, HostError.class, "error"));
            if (h.upCount > h.checkCount) {
                throw new MalformedMessageException("up count exceeds check count");
            }
            return h;
        }
    };
}
