package org.hoststated.core.proc;

import java.nio.ByteBuffer;
import org.hoststated.core.msg.MalformedMessageException;
import org.hoststated.core.msg.ProcId;

/**
 * What a descriptor passed on the fd channel is: a channel to a peer engine, a relay's
 * listening socket, or a socket connected to the syslog daemon. Sixteen bytes travel with the
 * descriptor: kind, subject (the peer's process id, or the relay id), the configuration
 * generation, and a reserved zero.
 */
public record FdTag(Kind kind, int subject, int generation) {
    public static final int SIZE = 16;

    public enum Kind { PEER_CHANNEL, LISTENER, SYSLOG }

    public static FdTag peer(ProcId peer, int generation) {
        return new FdTag(Kind.PEER_CHANNEL, peer.wire(), generation);
    }

    public static FdTag listener(int relayId, int generation) {
        return new FdTag(Kind.LISTENER, relayId, generation);
    }

    public static FdTag syslog() {
        return new FdTag(Kind.SYSLOG, 0, 0);
    }

    public ProcId peer() throws MalformedMessageException {
        return ProcId.fromWire(subject);
    }

    public ByteBuffer encode() {
        ByteBuffer b = ByteBuffer.allocateDirect(SIZE);
        b.putInt(kind.ordinal() + 1).putInt(subject).putInt(generation).putInt(0).flip();
        return b;
    }

    public static FdTag decode(ByteBuffer b) throws MalformedMessageException {
        if (b.remaining() != SIZE) {
            throw new MalformedMessageException("fd tag of " + b.remaining() + " bytes");
        }
        int k = b.getInt();
        int subject = b.getInt();
        int generation = b.getInt();
        if (k < 1 || k > Kind.values().length || b.getInt() != 0 || subject < 0 || generation < 0) {
            throw new MalformedMessageException("bad fd tag");
        }
        return new FdTag(Kind.values()[k - 1], subject, generation);
    }
}
