package org.hoststated.core.proc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.util.internal.MacAddressUtil;
import org.junit.jupiter.api.Test;

class ChannelIdSeedTest {
    /** The id is set before Netty reads it, in the form Netty parses, and kept when already set. */
    @Test
    void setsAMachineIdNettyTakesAndKeepsOneAlreadySet() {
        ChannelIdSeed.install();
        String id = System.getProperty(ChannelIdSeed.PROPERTY);
        assertTrue(id.matches("([0-9a-f]{2}:){7}[0-9a-f]{2}"), id);
        // As Netty parses it when it makes its first channel id (another test may have made it).
        assertEquals(8, MacAddressUtil.parseMAC(id).length);
        ChannelIdSeed.install();
        assertEquals(id, System.getProperty(ChannelIdSeed.PROPERTY));
    }
}
