package org.hoststated.relay;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.AbstractByteBuf;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.util.ResourceLeakDetector;
import java.lang.reflect.Field;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The buffer leaks Netty's detector reports while a test runs (the build runs tests at its
 * paranoid level, which tracks every buffer): {@link #assertNone} collects the garbage, makes
 * the detector look at it, and fails with the leak records, the buffer's last accesses, if any
 * was reported. Netty only logs them, and a leak found after its test had ended failed another
 * test that reads the log, or none.
 */
public final class LeakWatch implements AutoCloseable {
    private final ResourceLeakDetector<ByteBuf> detector;
    private final List<String> leaks = new CopyOnWriteArrayList<>();

    @SuppressWarnings("unchecked")
    public LeakWatch() throws ReflectiveOperationException, InterruptedException {
        Field f = AbstractByteBuf.class.getDeclaredField("leakDetector");
        f.setAccessible(true);
        detector = (ResourceLeakDetector<ByteBuf>) f.get(null);
        detector.setLeakListener((type, records) -> leaks.add(records));
        // What earlier tests left behind is theirs.
        collect();
        leaks.clear();
    }

    /** Fails with the records of the leaks reported so far, after a few collections. */
    public void assertNone() throws InterruptedException {
        collect();
        assertTrue(leaks.isEmpty(), leaks.size() + " buffer leak(s):\n" + String.join("\n", leaks));
    }

    /** Collects the garbage and allocates, which is when the detector reports what it found. */
    private static void collect() throws InterruptedException {
        for (int i = 0; i < 3; i++) {
            System.gc();
            Thread.sleep(50);
            for (int j = 0; j < 100; j++) {
                PooledByteBufAllocator.DEFAULT.directBuffer(16).release();
                UnpooledByteBufAllocator.DEFAULT.heapBuffer(16).release();
            }
        }
    }

    @Override
    public void close() {
        detector.setLeakListener(null);
    }
}
