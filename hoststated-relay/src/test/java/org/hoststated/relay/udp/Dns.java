package org.hoststated.relay.udp;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/** DNS messages for tests: A queries and their answers, per RFC 1035. */
final class Dns {
    private Dns() {
    }

    /** A recursion-desired query for the A record of {@code name}. */
    static byte[] query(int id, String name) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(id >> 8);
        out.write(id);
        out.writeBytes(new byte[] {0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0});
        for (String label : name.split("\\.")) {
            byte[] b = label.getBytes(StandardCharsets.US_ASCII);
            out.write(b.length);
            out.writeBytes(b);
        }
        out.writeBytes(new byte[] {0, 0, 1, 0, 1});
        return out.toByteArray();
    }

    /**
     * {@code query} made {@code size} bytes long with an EDNS OPT record holding a padding
     * option (RFC 7830) of zeros, as a client that pads its queries sends it.
     */
    static byte[] padded(byte[] query, int size) {
        byte[] out = Arrays.copyOf(query, size);
        out[11] = 1; // ARCOUNT: the OPT record
        int at = query.length;
        int optionBytes = size - at - 11 - 4;
        // Root name, type OPT (41), UDP payload size 4096, no extended flags, RDLENGTH.
        byte[] head = {0, 0, 41, 0x10, 0, 0, 0, 0, 0, (byte) ((optionBytes + 4) >> 8), (byte) (optionBytes + 4),
            0, 12, (byte) (optionBytes >> 8), (byte) optionBytes};
        System.arraycopy(head, 0, out, at, head.length);
        return out;
    }

    /**
     * The answer to {@code query}: its header with QR set and one A record pointing back at the
     * question's name; {@code padding} bytes of a TXT-like additional record make it large.
     */
    static byte[] answer(byte[] query, byte[] address, int padding) {
        int qEnd = questionEnd(query);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(Arrays.copyOf(query, qEnd));
        byte[] msg;
        out.writeBytes(new byte[] {(byte) 0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4});
        out.writeBytes(address);
        if (padding > 0) {
            out.writeBytes(new byte[] {(byte) 0xc0, 12, 0, 16, 0, 1, 0, 0, 0, 60,
                (byte) (padding >> 8), (byte) padding});
            for (int i = 0; i < padding; i++) {
                out.write(i % 255 == 0 ? 254 : 'x');
            }
        }
        msg = out.toByteArray();
        msg[2] |= (byte) 0x80;
        msg[3] = 0;
        msg[7] = 1; // ancount
        msg[11] = (byte) (padding > 0 ? 1 : 0); // arcount
        return msg;
    }

    static int id(byte[] msg) {
        return (msg[0] & 0xff) << 8 | msg[1] & 0xff;
    }

    /** The IPv4 address of the first answer record of an answer made by {@link #answer}. */
    static byte[] answerAddress(byte[] msg) {
        int at = questionEnd(msg) + 12;
        return Arrays.copyOfRange(msg, at, at + 4);
    }

    static String questionName(byte[] msg) {
        StringBuilder b = new StringBuilder();
        int i = 12;
        while (i < msg.length && msg[i] != 0) {
            int n = msg[i] & 0xff;
            if (b.length() > 0) {
                b.append('.');
            }
            b.append(new String(msg, i + 1, Math.min(n, msg.length - i - 1), StandardCharsets.US_ASCII));
            i += n + 1;
        }
        return b.toString();
    }

    private static int questionEnd(byte[] msg) {
        int i = 12;
        while (msg[i] != 0) {
            i += (msg[i] & 0xff) + 1;
        }
        return i + 5;
    }
}
