package org.hoststated.relay.udp;

import io.netty.buffer.ByteBuf;

/**
 * The question section of a DNS message (RFC 1035 4.1.2): a query's, kept while it waits, and
 * the check that an answer is to that question. The id alone does not say so: a query that
 * timed out frees its id, a later query on the same socket may draw it again, and the first
 * query's late answer then carried the second's id (dnsdist and stub resolvers compare the
 * question for the same reason). Stateless.
 */
final class DnsQuestion {
    /** Longest encoded name (RFC 1035 3.1) plus type and class. */
    private static final int MAX = 255 + 4;
    private static final int RCODE_NOERROR = 0;
    private static final int RCODE_NXDOMAIN = 3;

    private DnsQuestion() {
    }

    /**
     * The bytes of the single question of {@code msg} (name, type, class), or null if it has
     * not exactly one question in plain (uncompressed) form: such a query's answer is matched
     * by its id alone.
     */
    static byte[] of(ByteBuf msg) {
        if (DnsHeader.questions(msg) != 1) {
            return null;
        }
        int start = msg.readerIndex() + DnsHeader.LENGTH;
        int end = end(msg, start);
        if (end < 0) {
            return null;
        }
        byte[] q = new byte[end - start];
        msg.getBytes(start, q);
        return q;
    }

    /**
     * Whether {@code msg}, a standard query (opcode 0) with one question, has that question
     * cut short, longer than a name may be, or starting with a compression pointer (there is no
     * name before it to point to). Such a query is dropped: forwarded, it held a waiting session
     * for the whole timeout when the server dropped it too (probe B). A query without a
     * question is not malformed (RFC 7873 5.4: a client may send one with a cookie alone).
     */
    static boolean malformed(ByteBuf msg) {
        return DnsHeader.standardQuery(msg) && DnsHeader.questions(msg) == 1
                && end(msg, msg.readerIndex() + DnsHeader.LENGTH) < 0;
    }

    /**
     * Whether {@code answer} answers {@code question} (from {@link #of}; null matches
     * anything): its first question has the same name (letters in any case, as servers may
     * answer a query whose case was mixed), type and class. An answer without a question
     * matches only when it reports an error other than NXDOMAIN, as servers answer a query
     * they could not parse.
     */
    static boolean matches(byte[] question, ByteBuf answer) {
        if (question == null) {
            return true;
        }
        int n = DnsHeader.questions(answer);
        if (n == 0) {
            int rcode = answer.getUnsignedByte(answer.readerIndex() + 3) & 0x0f;
            return rcode != RCODE_NOERROR && rcode != RCODE_NXDOMAIN;
        }
        int start = answer.readerIndex() + DnsHeader.LENGTH;
        if (end(answer, start) - start != question.length) {
            return false;
        }
        // The name in any letter case; type and class, its last 4 bytes, as they are: folded
        // as letters too, an HTTPS query (type 65, 'A') took the answer of type 97 ('a').
        int name = question.length - 4;
        for (int i = 0; i < question.length; i++) {
            byte a = answer.getByte(start + i);
            if (i < name ? lower(a) != lower(question[i]) : a != question[i]) {
                return false;
            }
        }
        return true;
    }

    /**
     * The index just past the question that starts at {@code at} (labels, the root label,
     * type and class), or -1 if it is cut short, too long or uses a compression pointer.
     */
    private static int end(ByteBuf msg, int at) {
        int limit = msg.writerIndex();
        int i = at;
        while (true) {
            if (i >= limit || i - at > MAX) {
                return -1;
            }
            int len = msg.getUnsignedByte(i);
            if (len == 0) {
                break;
            }
            if ((len & 0xc0) != 0) {
                return -1;
            }
            i += 1 + len;
        }
        i += 1 + 4;
        return i <= limit && i - at <= MAX ? i : -1;
    }

    /**
     * ASCII letters in lower case, other bytes unchanged. Applied to label lengths too: a
     * length is at most 63, below every letter, so it is never changed.
     */
    private static byte lower(byte b) {
        return b >= 'A' && b <= 'Z' ? (byte) (b + ('a' - 'A')) : b;
    }
}
