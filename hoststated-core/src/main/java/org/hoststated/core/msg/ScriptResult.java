package org.hoststated.core.msg;

import io.netty.buffer.ByteBuf;

/**
 * The parent's answer to a {@link ScriptRequest} (SCRIPT_RESULT).
 *
 * @param exitStatus the script's exit status, -1 when it was killed, {@link #NOT_RUN} when it
 *     could not run (missing, refused, not executable by the engines' user)
 */
public record ScriptResult(int generation, int hostId, int exitStatus, boolean timedOut) {
    /** The exit status of a script that could not run: its host's error says so apart from a failure. */
    public static final int NOT_RUN = -2;

    public static final MessageCodec<ScriptResult> CODEC = new MessageCodec<>() {
        @Override
        public Class<ScriptResult> type() {
            return ScriptResult.class;
        }

        @Override
        public void encode(ScriptResult m, ByteBuf out) {
            out.writeInt(m.generation);
            out.writeInt(m.hostId);
            out.writeInt(m.exitStatus);
            Wire.putBool(out, m.timedOut);
        }

        @Override
        public ScriptResult decode(ByteBuf in) throws MalformedMessageException {
            int gen = Wire.u32(in, "generation", Integer.MAX_VALUE);
            int host = Wire.u32(in, "host id", Integer.MAX_VALUE);
            int status = Wire.i32(in, "exit status");
            if (status < NOT_RUN || status > 255) {
                throw new MalformedMessageException("exit status out of range: " + status);
            }
            return new ScriptResult(gen, host, status, Wire.bool(in, "timed out"));
        }
    };
}
