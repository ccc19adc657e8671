package org.hoststated.core.hash;

import java.net.InetAddress;
import java.nio.charset.StandardCharsets;

/**
 * OpenBSD's {@code hash32_buf}/{@code hash32_str} from {@code <sys/hash.h>} (SPEC 1.6): a
 * djb2-style hash, {@code h = h * 33 + byte}, starting at {@link #INIT}, on unsigned 32-bit
 * values (Java's int arithmetic wraps the same way), and the mix and rank of rendezvous hashing.
 * Pure functions; used by the relay engine's worker loops and by pfe's sticky slots.
 */
public final class Hash32 {
    /** {@code HASHINIT}. */
    public static final int INIT = 5381;

    private Hash32() {
    }

    public static int buf(byte[] b, int hash) {
        int h = hash;
        for (byte x : b) {
            h = (h << 5) + h + (x & 0xff);
        }
        return h;
    }

    /** {@code hash32_str}: the string's bytes up to (not including) its end. */
    public static int str(String s, int hash) {
        return buf(s.getBytes(StandardCharsets.UTF_8), hash);
    }

    /** The address in network byte order (4 or 16 bytes). */
    public static int address(InetAddress a, int hash) {
        return buf(a.getAddress(), hash);
    }

    /** A port as the two bytes of {@code in_port_t}, network byte order. */
    public static int port(int port, int hash) {
        int h = hash;
        h = (h << 5) + h + ((port >>> 8) & 0xff);
        return (h << 5) + h + (port & 0xff);
    }

    /**
     * MurmurHash3's 32-bit finalizer: every bit of {@code h} moves about half of the result's.
     * The djb2 hash above keeps its low bits a plain sum of the bytes' (33 is 1 modulo 32), so
     * two remainders of it by different counts are far from independent; one of them taken
     * from {@code mix(h)} is.
     */
    public static int mix(int h) {
        h ^= h >>> 16;
        h *= 0x85ebca6b;
        h ^= h >>> 13;
        h *= 0xc2b2ae35;
        return h ^ (h >>> 16);
    }

    /**
     * The rank of candidate {@code index} for {@code hash} in rendezvous hashing: the candidate
     * with the highest rank (compared unsigned) among those that can take it gets the hash, so a
     * hash keeps its candidate while that one can, whatever the others do.
     */
    public static int rank(int hash, int index) {
        return mix(hash ^ mix(index + 1));
    }

    /** The relay key of relayd: the relay's name, then the table's name. */
    public static int relayKey(String relay, String table) {
        return str(table, str(relay, INIT));
    }
}
