package org.hoststated.relay.udp;

import java.security.SecureRandom;

/**
 * Unpredictable 16-bit DNS query ids, so that a host off the path cannot guess the id of a
 * query the relay forwarded and slip a forged answer in (the original drew them from a
 * shuffle for the same reason). Bytes come from {@link SecureRandom} a block at a time, so an
 * id costs no system call. Confined to one event loop.
 */
final class QueryIds {
    private final SecureRandom random = new SecureRandom();
    private final byte[] block = new byte[512];
    private int at = block.length;

    int next() {
        if (at == block.length) {
            random.nextBytes(block);
            at = 0;
        }
        int id = (block[at] & 0xff) << 8 | block[at + 1] & 0xff;
        at += 2;
        return id;
    }
}
