package org.hoststated.relay;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class SessionLimitTest {
    @Test
    void theDefaultIsHalfTheDescriptorLimitLessAReserve() throws Exception {
        String line = Files.readAllLines(Path.of("/proc/self/limits")).stream()
                .filter(l -> l.startsWith("Max open files")).findFirst().orElseThrow();
        long soft = Long.parseLong(line.split("\\s+")[3]);
        assertEquals(soft, SessionLimit.descriptorLimit());
        assertEquals(Math.max(16, (soft - 64) / 2), SessionLimit.defaultLimit());
        assertTrue(SessionLimit.engine().max() >= 16);
    }
}
