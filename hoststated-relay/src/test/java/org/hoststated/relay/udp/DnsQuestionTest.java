package org.hoststated.relay.udp;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import org.junit.jupiter.api.Test;

/** Which answers {@link DnsQuestion#matches} takes as answering a query's question. */
class DnsQuestionTest {
    static final byte[] ADDRESS = {10, 24, 0, 7};

    /** {@code msg} with the question's type (the two bytes before its class) set to {@code type}. */
    static byte[] withType(byte[] msg, int type) {
        int at = 12;
        while (msg[at] != 0) {
            at += (msg[at] & 0xff) + 1;
        }
        msg[at + 1] = (byte) (type >> 8);
        msg[at + 2] = (byte) type;
        return msg;
    }

    static boolean matches(byte[] query, byte[] answer) {
        ByteBuf q = Unpooled.wrappedBuffer(query);
        return DnsQuestion.matches(DnsQuestion.of(q), Unpooled.wrappedBuffer(answer));
    }

    @Test
    void the_name_may_differ_in_letter_case() {
        byte[] q = Dns.query(1, "Mixed.Example");
        assertTrue(matches(q, Dns.answer(Dns.query(1, "mIXED.eXAMPLE"), ADDRESS, 0)));
        assertFalse(matches(q, Dns.answer(Dns.query(1, "other.example"), ADDRESS, 0)));
    }

    /**
     * Letter case is folded in the name only: type and class are numbers. Folded as letters
     * too, a type whose byte fell in A..Z (HTTPS, 65) took the answer of another type (97).
     */
    @Test
    void the_type_must_be_the_same_even_where_its_byte_looks_like_a_letter() {
        byte[] q = withType(Dns.query(1, "svc.example"), 65);
        assertTrue(matches(q, Dns.answer(withType(Dns.query(1, "svc.example"), 65), ADDRESS, 0)));
        assertFalse(matches(q, Dns.answer(withType(Dns.query(1, "svc.example"), 97), ADDRESS, 0)));
        assertFalse(matches(withType(Dns.query(1, "svc.example"), 97),
                Dns.answer(withType(Dns.query(1, "svc.example"), 65), ADDRESS, 0)));
    }
}
