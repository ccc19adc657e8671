package org.hoststated.core.msg;

import io.netty.buffer.ByteBuf;

/**
 * The frame layout shared by every channel, including the control socket:
 *
 * <pre>
 *   u32 length   whole frame, header included
 *   u16 type     {@link MessageType#id()}
 *   u16 flags    0; reserved
 *   u32 peerid
 *   u32 pid
 *   payload      length - 16 bytes, at most the type's {@link MessageType#maxPayload()}
 * </pre>
 *
 * Network byte order. Used by the Netty handlers in {@code core.imsg} and by hoststatectl's
 * blocking client alike.
 */
public final class Messages {
    public static final int HEADER = 16;
    public static final int MAX_FRAME = HEADER + MessageType.MAX_PAYLOAD;
    /**
     * The version of the control protocol, the messages between hoststatectl and the parent,
     * which every request carries as its peer id (the original's clients sent 0). A daemon
     * answers a request of another version with CTL_FAIL, whose text every version reads, so
     * that a hoststatectl and a daemon of different builds (an upgrade the daemon has not been
     * restarted for) say so instead of misreading each other. Raise it with any change to a
     * message that crosses the control socket: {@code ControlProtocolTest} fingerprints them.
     */
    public static final int CONTROL_VERSION = 3;
    /** Where the peer id of a frame begins. */
    public static final int PEER_ID_OFFSET = 8;

    private Messages() {
    }

    /** Writes a whole frame. */
    @SuppressWarnings({"unchecked", "rawtypes"})
    public static void encode(Imsg m, ByteBuf out) {
        int start = out.writerIndex();
        out.writeInt(0);
        out.writeShort(m.type().id());
        out.writeShort(0);
        out.writeInt(m.peerId());
        out.writeInt(m.pid());
        ((MessageCodec) m.type().codec()).encode(m.payload(), out);
        int len = out.writerIndex() - start;
        if (len - HEADER > m.type().maxPayload()) {
            throw new IllegalArgumentException(m.type() + " payload of " + (len - HEADER) + " bytes exceeds its bound");
        }
        out.setInt(start, len);
    }

    /**
     * Reads the length field of a frame whose first 4 bytes are readable, and checks it
     * against the frame bounds before anything is buffered.
     */
    public static int frameLength(ByteBuf in) throws MalformedMessageException {
        int len = in.getInt(in.readerIndex());
        if (len < HEADER || len > MAX_FRAME) {
            throw new MalformedMessageException("bad frame length " + Integer.toUnsignedString(len));
        }
        return len;
    }

    /**
     * Checks a frame's length against its type's payload bound once the type field (bytes 4-5)
     * is readable: a frame of a small type is refused before its payload is buffered, where
     * {@link #MAX_FRAME} alone let any peer have up to half a megabyte buffered per channel.
     */
    public static void checkTypeBound(ByteBuf in, int len, ProcId from, ProcId to) throws MalformedMessageException {
        MessageType type = MessageType.forId(in.getUnsignedShort(in.readerIndex() + 4));
        // Before the payload is buffered: a type's bound says nothing of a peer that may not
        // send it (a control client claiming a key pair's 512 KiB).
        checkRoute(type, from, to);
        if (len - HEADER > type.maxPayload()) {
            throw new MalformedMessageException(type + " payload too long: " + (len - HEADER));
        }
    }

    private static void checkRoute(MessageType type, ProcId from, ProcId to) throws MalformedMessageException {
        if (!type.allowed(from, to)) {
            throw new MalformedMessageException(type + " not allowed from " + from.title() + " to " + to.title());
        }
    }

    /**
     * Decodes one whole frame (exactly {@code frame.readableBytes()} bytes) sent by {@code from}
     * to {@code to}.
     */
    public static Imsg decode(ByteBuf frame, ProcId from, ProcId to) throws MalformedMessageException {
        int len = frameLength(frame);
        if (len != frame.readableBytes()) {
            throw new MalformedMessageException("frame length " + len + " does not match " + frame.readableBytes());
        }
        frame.skipBytes(4);
        MessageType type = MessageType.forId(frame.readUnsignedShort());
        if (frame.readUnsignedShort() != 0) {
            throw new MalformedMessageException("reserved flags set");
        }
        int peerId = frame.readInt();
        int pid = frame.readInt();
        checkRoute(type, from, to);
        if (frame.readableBytes() > type.maxPayload()) {
            throw new MalformedMessageException(type + " payload too long: " + frame.readableBytes());
        }
        Object payload = type.codec().decode(frame);
        if (frame.isReadable()) {
            throw new MalformedMessageException(type + " payload has " + frame.readableBytes() + " extra bytes");
        }
        return new Imsg(type, peerId, pid, payload);
    }
}
