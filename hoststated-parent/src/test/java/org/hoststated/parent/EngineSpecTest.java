package org.hoststated.parent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Optional;
import org.hoststated.core.msg.ProcId;
import org.junit.jupiter.api.Test;

/** The relay engine's direct memory follows the machine's, within bounds; its transport can be forced to epoll. */
class EngineSpecTest {
    private static final long MIB = EngineSpec.MIB;

    @Test
    void relayDirectMemoryIsAnEighthOfTheMachinesBetween96MiBAnd1GiB() {
        assertEquals(96 * MIB, EngineSpec.relayDirectMemory(0));
        assertEquals(96 * MIB, EngineSpec.relayDirectMemory(512 * MIB));
        assertEquals(256 * MIB, EngineSpec.relayDirectMemory(2048 * MIB));
        assertEquals(1024 * MIB, EngineSpec.relayDirectMemory(64L * 1024 * MIB));
    }

    @Test
    void onlyTheRelayEngineGetsADirectMemoryFlag() {
        assertTrue(EngineSpec.of(ProcId.RELAY).jvmFlags().stream().anyMatch(f -> f.matches("-XX:MaxDirectMemorySize=\\d+m")));
        assertTrue(EngineSpec.of(ProcId.HCE).jvmFlags().stream().noneMatch(f -> f.startsWith("-XX:MaxDirectMemorySize")));
    }

    @Test
    void theRelayTransportVariableForcesEpollOrLeavesTheChoice() {
        assertEquals(Optional.of("-Dhoststated.relay.transport=epoll"), EngineSpec.relayTransportFlag("epoll"));
        assertFalse(EngineSpec.relayTransportFlag(null).isPresent());
        assertFalse(EngineSpec.relayTransportFlag("").isPresent());
        assertFalse(EngineSpec.relayTransportFlag("io_uring").isPresent());
        assertFalse(EngineSpec.relayTransportFlag("kqueue\n").isPresent());
    }
}
