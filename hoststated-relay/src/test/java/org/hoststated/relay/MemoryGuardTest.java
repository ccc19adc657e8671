package org.hoststated.relay;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.channel.Channel;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.hoststated.relay.handler.RelaySession;
import org.junit.jupiter.api.Test;

/**
 * The relay engine's guard against clients that read nothing: real relay sessions whose
 * clients read nothing from a server that streams, and a guard whose memory reading the test
 * sets.
 */
class MemoryGuardTest {
    private static final long LIMIT = 96L << 20;

    @Test
    void whenMemoryIsShortStalledSessionsAreClosedAndMovingOnesAreNot() throws Exception {
        AtomicLong used = new AtomicLong();
        MemoryGuard guard = new MemoryGuard(new DirectMemory(used::get, LIMIT));
        try (TestBackend b = TestBackend.source("src", 1L << 30);
                RelayFixture r = RelayFixture.start(RelayFixture.forward(b), null); Socket stalled = r.connect()) {
            Channel held = TcpRelayTest.awaitSession(r);
            TcpRelayTest.awaitOnLoop(held, () -> !held.isWritable());
            Thread.sleep(MemoryGuard.STALLED_NANOS / 1_000_000 + 200);

            guard.check(List.of(r.server));
            assertTrue(TcpRelayTest.onLoop(held, held::isActive), "closed while memory is plentiful");

            used.set(LIMIT / 100 * MemoryGuard.SHORT_PERCENT + 1);
            try (Socket fresh = r.connect()) {
                TcpRelayTest.await(() -> r.sessions().size() == 2);
                Channel recent = r.sessions().stream().filter(ch -> ch != held).findFirst().orElseThrow();
                guard.check(List.of(r.server));
                TcpRelayTest.await(() -> !TcpRelayTest.onLoop(held, held::isActive));
                String reason = RelaySession.reason(held);
                assertTrue(reason.matches("memory short: \\d+ KiB waited for a peer that took nothing for \\d+ s"),
                        reason);
                // The new session saw traffic within the last second: it is not stalled yet.
                assertTrue(TcpRelayTest.onLoop(recent, recent::isActive), "a session that moves was closed");
            }
            // The stream was cut where it stood: a reset, not a FIN that would pass for its end.
            stalled.setSoTimeout(10_000);
            byte[] buf = new byte[65536];
            boolean reset = false;
            try {
                while (stalled.getInputStream().read(buf) >= 0) {
                    // what the kernel held
                }
            } catch (java.net.SocketException e) {
                reset = true;
            }
            assertTrue(reset, "closed cleanly");
        }
    }

    @Test
    void aSessionHoldingNothingIsNeverShed() throws Exception {
        try (TestBackend b = TestBackend.source("src", 0);
                RelayFixture r = RelayFixture.start(RelayFixture.forward(b), null); Socket c = r.connect()) {
            Channel ch = TcpRelayTest.awaitSession(r);
            long later = System.nanoTime() + 10 * MemoryGuard.STALLED_NANOS;
            assertFalse(TcpRelayTest.onLoop(ch, () -> MemoryGuard.shedIfStalled(ch, later)));
        }
    }
}
