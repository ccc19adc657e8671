package org.hoststated.core.proc;

import java.util.HexFormat;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Gives Netty the machine id of its channel ids before it looks for one. Netty takes it from a
 * network interface's hardware address and, where there is none (a network namespace or a
 * container with only the loopback, a chroot), warns in every process and uses random bytes.
 * The ids never leave a process here, so random bytes (as Netty's own fallback) are all they
 * need, without the warning.
 */
public final class ChannelIdSeed {
    static final String PROPERTY = "io.netty.machineId";

    private ChannelIdSeed() {
    }

    /** Sets a random machine id unless one is set; call before Netty makes its first channel. */
    public static void install() {
        if (System.getProperty(PROPERTY) == null) {
            byte[] id = new byte[8];
            ThreadLocalRandom.current().nextBytes(id);
            System.setProperty(PROPERTY, HexFormat.ofDelimiter(":").formatHex(id));
        }
    }
}
