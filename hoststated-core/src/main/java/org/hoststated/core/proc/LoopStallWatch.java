package org.hoststated.core.proc;

import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.EventExecutorGroup;
import io.netty.util.concurrent.Future;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.hoststated.core.log.LogConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Says where an event loop is stuck. Everything a process does runs on its loops; one that
 * stops running tasks (a handler in an endless loop, a blocking call) hangs its sessions, and
 * the parent's watchdog kills an engine whose main loop stays silent for about ten seconds,
 * which leaves no trace of the cause. Each watched loop stamps the time once a second; a
 * thread of its own checks the stamps and, once a loop has not run for {@link #STALL_NANOS},
 * logs the stack of the loop's thread, then logs again when the loop runs again.
 *
 * <p>When the watching thread itself woke late, the whole process was stopped (a long
 * garbage collection, an overloaded machine, SIGSTOP): no loop is blamed for that round, and
 * the stop is logged with how much of it the collector took, which tells the two apart.
 *
 * <p>A loop that ended without being shut down through {@link #shutdown} died of an error
 * thrown out of its own machinery (Netty logs it; an {@code OutOfDirectMemoryError} in a DNS
 * flood was one): its sessions and listeners are dead while the process, whose own loop still
 * answers the parent's watchdog, looks alive. The process then exits with status 1, so that
 * the parent starts the engine again (or, for the parent itself, the service manager).
 */
public final class LoopStallWatch {
    /** How often a loop stamps the time and the watcher looks. */
    static final long TICK_NANOS = TimeUnit.SECONDS.toNanos(1);
    /** How long a loop may go without running a task before its stack is logged. */
    static final long STALL_NANOS = TimeUnit.SECONDS.toNanos(5);
    /** Frames of the stuck thread's stack in the log line. */
    static final int FRAMES = 12;

    private static final Logger log = LoggerFactory.getLogger(LoopStallWatch.class);
    private static final LoopStallWatch PROCESS = new LoopStallWatch(TICK_NANOS, STALL_NANOS, new Reports() {
        @Override
        public void stalled(String loop, long nanos, StackTraceElement[] stack) {
            // The heap in use tells a loop stuck in code from a process short of heap, whose
            // collections take its time a little at a time.
            Runtime rt = Runtime.getRuntime();
            log.warn("{} has not run for {} s (heap {} of {} MiB in use); its thread is at {}", loop,
                    TimeUnit.NANOSECONDS.toSeconds(nanos), (rt.totalMemory() - rt.freeMemory()) >> 20,
                    rt.maxMemory() >> 20, frames(stack));
        }

        @Override
        public void resumed(String loop, long nanos) {
            log.warn("{} runs again, after {} s", loop, TimeUnit.NANOSECONDS.toSeconds(nanos));
        }

        @Override
        public void processStopped(long nanos, long gcMillis) {
            Runtime rt = Runtime.getRuntime();
            log.warn("this process did not run for {} s, {} of it in garbage collection (heap {} of {} MiB in use)",
                    TimeUnit.NANOSECONDS.toSeconds(nanos), gcMillis < 0 ? "unknown" : gcMillis + " ms",
                    (rt.totalMemory() - rt.freeMemory()) >> 20, rt.maxMemory() >> 20);
        }

        @Override
        public void died(String loop) {
            log.error("{} ended on an error (logged before): exiting, to be started again", loop);
            LogConfig.flush();
            Runtime.getRuntime().halt(1);
        }
    }, LoopStallWatch::gcMillis);

    /** Where the watch reports; tests listen here. */
    interface Reports {
        void stalled(String loop, long nanos, StackTraceElement[] stack);

        void resumed(String loop, long nanos);

        /** The watching thread woke {@code nanos} after its last look, {@code gcMillis} of them collecting (-1: unknown). */
        void processStopped(long nanos, long gcMillis);

        /** {@code loop} ended without being shut down through {@link #shutdown}. */
        void died(String loop);
    }

    private static final class Watched {
        final String name;
        final EventExecutor loop;
        volatile long lastRan = System.nanoTime();
        volatile Thread thread;
        /** Whether a stall was reported and the loop has not run since. */
        boolean stalled;
        /** The loop's last stamp before that stall. */
        long stalledSince;

        Watched(String name, EventExecutor loop) {
            this.name = name;
            this.loop = loop;
        }
    }

    private final long tickNanos;
    private final long stallNanos;
    private final Reports reports;
    /** The collector's time so far, in ms (the JVM's total over its collectors). */
    private final LongSupplier gcClock;
    private final List<Watched> watched = new CopyOnWriteArrayList<>();
    /** Loops shut down on purpose: their end is no death. */
    private final Set<EventExecutor> retired = ConcurrentHashMap.newKeySet();
    private Thread watcher;

    LoopStallWatch(long tickNanos, long stallNanos, Reports reports, LongSupplier gcClock) {
        this.tickNanos = tickNanos;
        this.stallNanos = stallNanos;
        this.reports = reports;
        this.gcClock = gcClock;
    }

    /**
     * This JVM's time spent collecting so far, in ms, or -1 when the JDK cannot say (its
     * management library is loaded before an engine's chroot, core.posix.Preloader).
     */
    static long gcMillis() {
        try {
            long total = 0;
            for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
                total += Math.max(0, gc.getCollectionTime());
            }
            return total;
        } catch (RuntimeException | LinkageError e) {
            return -1;
        }
    }

    /** Watches {@code loop} for this process, under {@code name} (e.g. "relay engine loop"). */
    public static void watch(String name, EventExecutor loop) {
        PROCESS.add(name, loop);
    }

    /** Watches each loop of {@code group}, named {@code name 1}, {@code name 2}, ... */
    public static void watch(String name, EventExecutorGroup group) {
        int i = 1;
        for (EventExecutor loop : group) {
            PROCESS.add(name + " " + i++, loop);
        }
    }

    /**
     * Shuts down {@code group} (a loop, or a group of them) as {@link
     * EventExecutorGroup#shutdownGracefully(long, long, TimeUnit)} does, telling the watch first
     * that its end is wanted. Every watched loop must end this way, or be taken for dead.
     */
    public static Future<?> shutdown(EventExecutorGroup group, long quietPeriod, long timeout, TimeUnit unit) {
        return PROCESS.retire(group).shutdownGracefully(quietPeriod, timeout, unit);
    }

    /**
     * Tells the watch that the end of {@code group} is wanted before its shutdown starts, for
     * a loop that has work to finish first (it is no longer reported as stalled); {@link
     * #shutdown} must still end it.
     */
    public static void ending(EventExecutorGroup group) {
        PROCESS.retire(group);
    }

    EventExecutorGroup retire(EventExecutorGroup group) {
        for (EventExecutor loop : group) {
            retired.add(loop);
        }
        return group;
    }

    synchronized void add(String name, EventExecutor loop) {
        Watched w = new Watched(name, loop);
        watched.add(w);
        loop.execute(() -> w.thread = Thread.currentThread());
        loop.scheduleAtFixedRate(() -> w.lastRan = System.nanoTime(), 0, tickNanos, TimeUnit.NANOSECONDS);
        if (watcher == null) {
            watcher = new Thread(this::run, "loop-stall-watch");
            watcher.setDaemon(true);
            watcher.start();
        }
    }

    private void run() {
        long last = System.nanoTime();
        long lastGc = gcClock.getAsLong();
        while (true) {
            try {
                TimeUnit.NANOSECONDS.sleep(tickNanos);
            } catch (InterruptedException e) {
                return;
            }
            long now = System.nanoTime();
            long gc = gcClock.getAsLong();
            boolean processStopped = now - last > tickNanos + stallNanos / 2;
            if (processStopped) {
                reports.processStopped(now - last, gc < 0 || lastGc < 0 ? -1 : gc - lastGc);
            }
            last = now;
            lastGc = gc;
            look(now, processStopped);
        }
    }

    /** One look at every loop at time {@code now}. */
    private void look(long now, boolean processStopped) {
        for (Watched w : watched) {
            if (w.loop.isShutdown()) {
                watched.remove(w);
                if (!retired.remove(w.loop)) {
                    reports.died(w.name);
                }
                continue;
            }
            if (retired.contains(w.loop)) {
                // Its end is wanted: what it does meanwhile (the parent waits for the engines
                // to exit) is no hang.
                continue;
            }
            long ran = w.lastRan;
            if (w.stalled && ran != w.stalledSince) {
                reports.resumed(w.name, ran - w.stalledSince);
                w.stalled = false;
            } else if (!w.stalled && now - ran >= stallNanos && !processStopped) {
                Thread t = w.thread;
                reports.stalled(w.name, now - ran, t != null ? t.getStackTrace() : new StackTraceElement[0]);
                w.stalled = true;
                w.stalledSince = ran;
            }
        }
    }

    /** The top frames of {@code stack}, innermost first, on one line. */
    static String frames(StackTraceElement[] stack) {
        if (stack.length == 0) {
            return "(no stack)";
        }
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < Math.min(FRAMES, stack.length); i++) {
            b.append(i == 0 ? "" : " < ").append(stack[i]);
        }
        if (stack.length > FRAMES) {
            b.append(" < ... ").append(stack.length - FRAMES).append(" more");
        }
        return b.toString();
    }
}
