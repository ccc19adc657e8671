package org.hoststated.relay;

import io.netty.util.internal.PlatformDependent;
import java.lang.management.BufferPoolMXBean;
import java.lang.management.ManagementFactory;

/**
 * The relay engine's direct memory, where all of Netty's buffers live: how much is in use and
 * the JVM's limit. The JDK counts what {@code ByteBuffer.allocateDirect} reserved (the route the
 * engine's Netty takes); Netty counts its own when it may allocate without the JDK. Read from
 * any thread.
 */
final class DirectMemory {
    private static final BufferPoolMXBean POOL = ManagementFactory.getPlatformMXBeans(BufferPoolMXBean.class)
            .stream().filter(p -> p.getName().equals("direct")).findFirst().orElse(null);
    static final long LIMIT = PlatformDependent.maxDirectMemory();

    private DirectMemory() {
    }

    /**
     * Reads the JDK's figures once, which loads its management library: before the engine's
     * chroot hides it.
     */
    static void load() {
        used();
    }

    static long used() {
        return Math.max(POOL == null ? 0 : POOL.getMemoryUsed(), PlatformDependent.usedDirectMemory());
    }
}
