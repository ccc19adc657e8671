package org.hoststated.core.posix;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class SignalHandlersTest {
    private final ExecutorService loop = Executors.newSingleThreadExecutor();

    @AfterEach
    void stop() {
        loop.shutdownNow();
    }

    @Test
    void hupRunsTheActionOnTheExecutor() throws Exception {
        CountDownLatch ran = new CountDownLatch(1);
        String[] thread = new String[1];
        SignalHandlers.Registration r = SignalHandlers.on("HUP", loop, () -> {
            thread[0] = Thread.currentThread().getName();
            ran.countDown();
        });
        try {
            SignalHandlers.raise("HUP");
            assertTrue(ran.await(30, TimeUnit.SECONDS));
        } finally {
            r.close();
        }
        assertTrue(thread[0].startsWith("pool-"), thread[0]);
    }

    /** A HUP ignored when the JVM started (as under nohup) still reaches the action: the daemon reloads. */
    @Test
    void hupIgnoredBeforeIsHandledAllTheSame() throws Exception {
        SignalHandlers.ignore("HUP");
        CountDownLatch ran = new CountDownLatch(1);
        SignalHandlers.Registration r = SignalHandlers.on("HUP", loop, ran::countDown);
        try {
            SignalHandlers.raise("HUP");
            assertTrue(ran.await(5, TimeUnit.SECONDS), "the action did not run");
        } finally {
            r.close();
        }
    }

    @Test
    void chldArrivesWhenASpawnedChildExits() throws Exception {
        CountDownLatch ran = new CountDownLatch(1);
        SignalHandlers.Registration r = SignalHandlers.on("CHLD", loop, ran::countDown);
        try {
            SpawnedProcess p = new Spawner().spawn("/bin/true", List.of("true"), List.of(), Map.of(), false);
            assertTrue(ran.await(30, TimeUnit.SECONDS));
            assertEquals(0, p.waitFor(Duration.ofSeconds(30)).orElseThrow().exitCode());
        } finally {
            r.close();
        }
    }

    @Test
    void signalsTheJvmUsesAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> SignalHandlers.on("SEGV", loop, () -> { }));
    }
}
