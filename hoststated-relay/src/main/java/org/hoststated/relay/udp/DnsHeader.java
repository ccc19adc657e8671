package org.hoststated.relay.udp;

import io.netty.buffer.ByteBuf;

/**
 * The fixed 12-byte header of a DNS message (RFC 1035 4.1.1), read and written in place in a
 * datagram's buffer. The relay needs only the id and the QR (response) flag; the rest of the
 * message is passed on unchanged. Stateless.
 */
final class DnsHeader {
    /** id, flags, and four section counts of two bytes each. */
    static final int LENGTH = 12;
    private static final int FLAGS0_QR = 0x80;

    private DnsHeader() {
    }

    /** Whether {@code msg} is long enough to carry a header at all. */
    static boolean fits(ByteBuf msg) {
        return msg.readableBytes() >= LENGTH;
    }

    static int id(ByteBuf msg) {
        return msg.getUnsignedShort(msg.readerIndex());
    }

    static void setId(ByteBuf msg, int id) {
        msg.setShort(msg.readerIndex(), id);
    }

    /**
     * A standard query (opcode 0) with more than one question, which RFC 9619 forbids and no
     * server answers as asked: its answer could only be matched by the id.
     */
    static boolean severalQuestions(ByteBuf msg) {
        return standardQuery(msg) && questions(msg) > 1;
    }

    /** Opcode 0: the sections of other opcodes (NOTIFY, UPDATE) mean other things. */
    static boolean standardQuery(ByteBuf msg) {
        return opcode(msg) == 0;
    }

    /**
     * Whether the opcode is one a DNS message over UDP may carry: QUERY, IQUERY, STATUS, NOTIFY,
     * UPDATE. The others are unassigned, or DSO (6), which RFC 8490 keeps off UDP: a datagram
     * with one is no DNS message, and passed on it held a waiting query until the timeout.
     */
    static boolean udpOpcode(ByteBuf msg) {
        int op = opcode(msg);
        return op <= 2 || op == 4 || op == 5;
    }

    private static int opcode(ByteBuf msg) {
        return (msg.getUnsignedByte(msg.readerIndex() + 2) >> 3) & 0x0f;
    }

    /** QDCOUNT. */
    static int questions(ByteBuf msg) {
        return msg.getUnsignedShort(msg.readerIndex() + 4);
    }

    /** The QR bit: set in answers, clear in queries. */
    static boolean isResponse(ByteBuf msg) {
        return (msg.getUnsignedByte(msg.readerIndex() + 2) & FLAGS0_QR) != 0;
    }
}
