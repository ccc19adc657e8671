package org.hoststated.relay;

import io.netty.util.internal.PlatformDependent;
import java.lang.management.BufferPoolMXBean;
import java.lang.management.ManagementFactory;
import java.util.function.LongSupplier;

/**
 * The relay engine's direct memory, where all of Netty's buffers live: how much is in use and
 * how much may be. Netty counts what it allocates itself, the route the engine's Netty takes
 * (the parent's {@code EngineSpec} allows it); the JDK counts what {@code
 * ByteBuffer.allocateDirect} reserved, the route of the JDK's own buffers and of a Netty that
 * may not allocate itself.
 */
final class DirectMemory {
    /**
     * This JVM's. Reading the JDK's figure the first time loads its management library, so the
     * engine touches this before its chroot hides that library.
     */
    static final DirectMemory JVM = ofThisJvm();

    private final LongSupplier used;
    private final long limit;

    DirectMemory(LongSupplier used, long limit) {
        this.used = used;
        this.limit = limit;
    }

    private static DirectMemory ofThisJvm() {
        BufferPoolMXBean pool = ManagementFactory.getPlatformMXBeans(BufferPoolMXBean.class).stream()
                .filter(p -> p.getName().equals("direct")).findFirst().orElse(null);
        LongSupplier used = () -> Math.max(pool == null ? 0 : pool.getMemoryUsed(),
                PlatformDependent.usedDirectMemory());
        used.getAsLong();
        return new DirectMemory(used, PlatformDependent.maxDirectMemory());
    }

    /** Bytes in use now; cheap (two counters). */
    long used() {
        return used.getAsLong();
    }

    long limit() {
        return limit;
    }

    /**
     * For the engine's start line: the limit, and whether an allocation past it fails at once
     * (Netty allocates and counts) or only after the JDK collected garbage and slept.
     */
    @Override
    public String toString() {
        return (limit >> 20) + " MiB of direct memory"
                + (PlatformDependent.useDirectBufferNoCleaner() ? "" : " (allocated by the JDK: slow to fail when short)");
    }

    /** Whether more than {@code percent} % of the limit is in use. */
    boolean above(long percent) {
        return used() > limit / 100 * percent;
    }
}
