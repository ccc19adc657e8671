package org.hoststated.core.msg;

import io.netty.buffer.ByteBuf;
import java.net.InetAddress;

/**
 * One live relay session for {@code show sessions}, from the relay engine (which answers
 * CTL_SHOW_SESSIONS with one of these per session and then CTL_END).
 *
 * @param relayId   the id of the session's relay in the running configuration (a relay a reload
 *                  removed: the id it had)
 * @param relayName the relay's name ("" where the relay engine did not give it)
 * @param removed   the relay is not in the running configuration: a reload removed it
 * @param loop      the relay event loop that owns the session (the original's process number)
 * @param target    the backend host's address, or {@code null} before a host was chosen
 * @param done      the session is closing ({@code DONE}) rather than {@code RUNNING}
 * @param ageMs     time since the client connected
 * @param idleMs    time since the last byte in either direction
 * @param toServer  payload bytes relayed to the server so far (a DNS query: its size)
 * @param toClient  payload bytes relayed to the client so far
 */
public record CtlSession(int relayId, String relayName, boolean removed, int loop, long sessionId, InetAddress client, int clientPort,
                         InetAddress target, int targetPort, boolean done, long ageMs, long idleMs,
                         long toServer, long toClient) {

    /** This row under its relay's id, name and state in the running configuration. */
    public CtlSession withRelay(int id, String name, boolean gone) {
        return new CtlSession(id, name, gone, loop, sessionId, client, clientPort, target, targetPort, done, ageMs,
                idleMs, toServer, toClient);
    }

    public static final MessageCodec<CtlSession> CODEC = new MessageCodec<>() {
        @Override
        public Class<CtlSession> type() {
            return CtlSession.class;
        }

        @Override
        public void encode(CtlSession m, ByteBuf out) {
            out.writeInt(m.relayId);
            Wire.putString(out, m.relayName);
            Wire.putBool(out, m.removed);
            out.writeInt(m.loop);
            out.writeLong(m.sessionId);
            Wire.putAddress(out, m.client);
            out.writeShort(m.clientPort);
            Wire.putBool(out, m.target != null);
            if (m.target != null) {
                Wire.putAddress(out, m.target);
            }
            out.writeShort(m.targetPort);
            Wire.putBool(out, m.done);
            out.writeLong(m.ageMs);
            out.writeLong(m.idleMs);
            out.writeLong(m.toServer);
            out.writeLong(m.toClient);
        }

        @Override
        public CtlSession decode(ByteBuf in) throws MalformedMessageException {
            int relayId = Wire.u32(in, "relay id", Integer.MAX_VALUE);
            String relayName = Wire.string(in, "relay name", Wire.MAX_NAME);
            boolean removed = Wire.bool(in, "relay removed");
            int loop = Wire.u32(in, "loop", Integer.MAX_VALUE);
            long sessionId = nonNegative(Wire.i64(in, "session id"), "session id");
            InetAddress client = Wire.address(in, "client");
            int clientPort = Wire.u16(in, "client port");
            InetAddress target = Wire.bool(in, "has target") ? Wire.address(in, "target") : null;
            int targetPort = Wire.u16(in, "target port");
            boolean done = Wire.bool(in, "done");
            long age = nonNegative(Wire.i64(in, "age"), "age");
            long idle = nonNegative(Wire.i64(in, "idle"), "idle");
            long toServer = nonNegative(Wire.i64(in, "bytes to server"), "bytes to server");
            long toClient = nonNegative(Wire.i64(in, "bytes to client"), "bytes to client");
            return new CtlSession(relayId, relayName, removed, loop, sessionId, client, clientPort, target, targetPort, done, age, idle,
                    toServer, toClient);
        }

        private static long nonNegative(long v, String what) throws MalformedMessageException {
            if (v < 0) {
                throw new MalformedMessageException("negative " + what);
            }
            return v;
        }
    };
}
