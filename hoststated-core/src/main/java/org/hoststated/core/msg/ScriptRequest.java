package org.hoststated.core.msg;

import io.netty.buffer.ByteBuf;

/** hce asks the parent to run a host's {@code check script} (SCRIPT). */
public record ScriptRequest(int generation, int hostId, String path, String hostName, int timeoutMs) {
    /** Longest script path, in UTF-8 bytes; the parser refuses a longer one. */
    public static final int MAX_PATH = 1024;

    public static final MessageCodec<ScriptRequest> CODEC = new MessageCodec<>() {
        @Override
        public Class<ScriptRequest> type() {
            return ScriptRequest.class;
        }

        @Override
        public void encode(ScriptRequest m, ByteBuf out) {
            out.writeInt(m.generation);
            out.writeInt(m.hostId);
            Wire.putString(out, m.path);
            Wire.putString(out, m.hostName);
            out.writeInt(m.timeoutMs);
        }

        @Override
        public ScriptRequest decode(ByteBuf in) throws MalformedMessageException {
            return new ScriptRequest(Wire.u32(in, "generation", Integer.MAX_VALUE),
                    Wire.u32(in, "host id", Integer.MAX_VALUE), Wire.string(in, "path", MAX_PATH),
                    Wire.string(in, "host name", Wire.MAX_NAME), Wire.u32(in, "timeout", 3_600_000));
        }
    };
}
