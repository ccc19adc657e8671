package org.hoststated.pfe.backend;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

/**
 * Netlink framing (netlink(7)): the 16-byte message header, 4-byte alignment, and type-length-
 * value attributes, nested or not. Headers are in the host's byte order; what ctnetlink puts in
 * its attributes is in network order, read by {@link ConntrackMessages}. Reading checks every
 * length against what the datagram holds: a malformed answer is an {@link L3Exception}, never
 * an index exception. Used on the {@code l3-writer} thread.
 */
final class NetlinkMessages {
    static final int HEADER = 16;
    static final int NLMSG_ERROR = 2;
    static final int NLMSG_DONE = 3;
    static final int NLM_F_REQUEST = 0x1;
    static final int NLM_F_ACK = 0x4;
    static final int NLM_F_DUMP = 0x300;
    /** Attribute type bits that are flags, not the type. */
    private static final int NLA_F_NESTED = 0x8000;
    private static final int NLA_TYPE_MASK = 0x3fff;

    private NetlinkMessages() {
    }

    /** One message of an answer: its header and its payload (a read-only view of the datagram). */
    record Message(int type, int flags, int seq, ByteBuffer payload) {
    }

    /** One attribute: its type without flag bits and its value (a view). */
    record Attribute(int type, ByteBuffer value) {
        /** The value's attributes, for a nested attribute. */
        List<Attribute> nested() throws L3Exception {
            return attributes(value.duplicate().order(ByteOrder.nativeOrder()));
        }

        /** The value as {@code n} bytes exactly. */
        byte[] bytes(int n) throws L3Exception {
            if (value.remaining() != n) {
                throw new L3Exception("malformed netlink answer: attribute " + type + " holds " + value.remaining()
                        + " bytes, not " + n);
            }
            byte[] b = new byte[n];
            value.duplicate().get(b);
            return b;
        }

        /** An unsigned big-endian value of {@code n} bytes (1, 2 or 4). */
        long unsigned(int n) throws L3Exception {
            long v = 0;
            for (byte b : bytes(n)) {
                v = (v << 8) | (b & 0xff);
            }
            return v;
        }
    }

    static int align(int n) {
        return (n + 3) & ~3;
    }

    /** The messages of one datagram. */
    static List<Message> messages(byte[] datagram, int length) throws L3Exception {
        ByteBuffer b = ByteBuffer.wrap(datagram, 0, length).order(ByteOrder.nativeOrder());
        List<Message> out = new ArrayList<>();
        while (b.remaining() >= HEADER) {
            int start = b.position();
            int len = b.getInt();
            if (len < HEADER || len > length - start) {
                throw new L3Exception("malformed netlink answer: a message of " + len + " bytes where "
                        + (length - start) + " remain");
            }
            int type = b.getShort() & 0xffff;
            int flags = b.getShort() & 0xffff;
            int seq = b.getInt();
            b.getInt(); // the sender's port id: always the kernel's 0 here
            ByteBuffer payload = b.slice(b.position(), len - HEADER).asReadOnlyBuffer().order(ByteOrder.nativeOrder());
            out.add(new Message(type, flags, seq, payload));
            b.position(Math.min(length, start + align(len)));
        }
        if (b.hasRemaining()) {
            throw new L3Exception("malformed netlink answer: " + b.remaining() + " bytes after the last message");
        }
        return out;
    }

    /** The attributes from {@code b}'s position to its limit. */
    static List<Attribute> attributes(ByteBuffer b) throws L3Exception {
        List<Attribute> out = new ArrayList<>();
        while (b.remaining() >= 4) {
            int start = b.position();
            int len = b.getShort() & 0xffff;
            int type = b.getShort() & NLA_TYPE_MASK;
            if (len < 4 || len > b.limit() - start) {
                throw new L3Exception("malformed netlink answer: an attribute of " + len + " bytes where "
                        + (b.limit() - start) + " remain");
            }
            out.add(new Attribute(type, b.slice(b.position(), len - 4)));
            b.position(Math.min(b.limit(), start + align(len)));
        }
        return out;
    }

    /** The first attribute of {@code type}, or null. */
    static Attribute find(List<Attribute> attrs, int type) {
        for (Attribute a : attrs) {
            if (a.type() == type) {
                return a;
            }
        }
        return null;
    }

    /** The errno of an NLMSG_ERROR message (0 for an acknowledgement). */
    static int error(Message m) throws L3Exception {
        if (m.payload().remaining() < 4) {
            throw new L3Exception("malformed netlink answer: an error message of " + m.payload().remaining() + " bytes");
        }
        return -m.payload().getInt(0);
    }

    /** Writes messages of a request into a buffer, attributes nested as needed. */
    static final class Writer {
        private final ByteBuffer b;
        private final java.util.ArrayDeque<Integer> open = new java.util.ArrayDeque<>();

        Writer(int capacity) {
            b = ByteBuffer.allocate(capacity).order(ByteOrder.nativeOrder());
        }

        int length() {
            return b.position();
        }

        byte[] array() {
            return b.array();
        }

        /** Starts a message; {@link #end} sets its length. */
        Writer begin(int type, int flags, int seq) {
            open.push(b.position());
            b.putInt(0).putShort((short) type).putShort((short) flags).putInt(seq).putInt(0);
            return this;
        }

        /** Ends the innermost open message. */
        Writer end() {
            int start = open.pop();
            b.putInt(start, b.position() - start);
            return this;
        }

        Writer bytes(byte[] v) {
            b.put(v);
            return this;
        }

        /** A leaf attribute holding {@code v}, padded. */
        Writer attribute(int type, byte[] v) {
            b.putShort((short) (4 + v.length)).putShort((short) type).put(v);
            pad();
            return this;
        }

        /** Starts a nested attribute; {@link #close} ends it. */
        Writer nest(int type) {
            open.push(b.position());
            b.putShort((short) 0).putShort((short) (type | NLA_F_NESTED));
            return this;
        }

        Writer close() {
            int start = open.pop();
            b.putShort(start, (short) (b.position() - start));
            return this;
        }

        private void pad() {
            while ((b.position() & 3) != 0) {
                b.put((byte) 0);
            }
        }
    }
}
