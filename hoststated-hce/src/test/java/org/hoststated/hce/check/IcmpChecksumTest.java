package org.hoststated.hce.check;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import org.junit.jupiter.api.Test;

/** An IPv4 echo reply counts only with a right checksum (probe M of session 58: a damaged one counted). */
class IcmpChecksumTest {
    @Test
    void aRightChecksumSumsToZeroAndADamagedOneDoesNot() {
        // An IPv4 header of 20 bytes, then an echo reply: type 0, code 0, checksum, id 77, seq 1, "data!".
        byte[] packet = new byte[20 + 13];
        packet[0] = 0x45;
        byte[] icmp = {0, 0, 0, 0, 0, 77, 0, 1, 'd', 'a', 't', 'a', '!'};
        int sum = IcmpPinger.checksum(icmp);
        icmp[2] = (byte) (sum >>> 8);
        icmp[3] = (byte) sum;
        System.arraycopy(icmp, 0, packet, 20, icmp.length);
        assertEquals(0, IcmpPinger.checksum(packet, 20, packet.length));
        packet[packet.length - 1] ^= 1;
        assertNotEquals(0, IcmpPinger.checksum(packet, 20, packet.length));
    }
}
