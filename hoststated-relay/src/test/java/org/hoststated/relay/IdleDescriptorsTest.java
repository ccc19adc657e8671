package org.hoststated.relay;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.channel.DefaultEventLoopGroup;
import io.netty.channel.EventLoop;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * The descriptors idle backend connections take from what sessions leave
 * ({@link IdleDescriptors}), on two real event loops: room is taken only while the sessions
 * leave it, and a new session's loop gives back its own connections at once before asking the
 * other loop for the rest.
 */
class IdleDescriptorsTest {
    /** A pool that holds {@code n} counted connections; giving one back releases it. */
    private static final class CountedPool implements IdleDescriptors.Pool {
        final IdleDescriptors d;
        final AtomicInteger parked = new AtomicInteger();
        volatile Thread lastGiveBack;

        CountedPool(IdleDescriptors d) {
            this.d = d;
        }

        boolean park() {
            if (!d.take()) {
                return false;
            }
            parked.incrementAndGet();
            return true;
        }

        @Override
        public boolean giveBackOldest() {
            lastGiveBack = Thread.currentThread();
            if (parked.get() == 0) {
                return false;
            }
            parked.decrementAndGet();
            d.release();
            return true;
        }
    }

    @Test
    void roomIsTakenOnlyWhileTheSessionsLeaveIt() {
        AtomicInteger sessions = new AtomicInteger(3);
        IdleDescriptors d = new IdleDescriptors(10, sessions::get);
        CountedPool p = new CountedPool(d);
        assertTrue(p.park());
        assertTrue(p.park());
        assertTrue(p.park());
        assertTrue(p.park());
        assertFalse(p.park(), "3 sessions and 4 idle connections fill 10 descriptors");
        sessions.set(1);
        assertTrue(p.park());
        assertEquals(5, d.held());
    }

    @Test
    void aSessionsLoopGivesBackFirstThenTheOtherLoops() throws Exception {
        DefaultEventLoopGroup group = new DefaultEventLoopGroup(2);
        try {
            EventLoop a = group.next();
            EventLoop b = group.next();
            AtomicInteger sessions = new AtomicInteger();
            IdleDescriptors d = new IdleDescriptors(10, sessions::get);
            CountedPool onA = new CountedPool(d);
            CountedPool onB = new CountedPool(d);
            d.register(a, onA);
            d.register(b, onB);
            for (int i = 0; i < 3; i++) {
                assertTrue(onA.park());
                assertTrue(onB.park());
            }
            sessions.set(3); // 6 + 6 = 12: two over
            a.submit(() -> d.makeRoom(a)).get(5, TimeUnit.SECONDS);
            assertEquals(1, onA.parked.get(), "loop a gave back its own first");
            assertEquals(3, onB.parked.get());
            sessions.set(4); // 8 + 4: a has one left, b must give back the other
            a.submit(() -> {
                onA.parked.set(0);
                d.release(); // a's last connection was taken by a session meanwhile
                d.makeRoom(a);
            }).get(5, TimeUnit.SECONDS);
            b.submit(() -> { }).get(5, TimeUnit.SECONDS);
            assertEquals(2, onB.parked.get(), "loop b gave back one");
            assertTrue(b.inEventLoop(onB.lastGiveBack), "on its own loop");
            assertEquals(2, d.held());
            d.unregister(b, onB);
            sessions.set(5);
            a.submit(() -> d.makeRoom(a)).get(5, TimeUnit.SECONDS);
            b.submit(() -> { }).get(5, TimeUnit.SECONDS);
            assertEquals(2, onB.parked.get(), "an unregistered pool is left alone");
        } finally {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        }
    }
}
