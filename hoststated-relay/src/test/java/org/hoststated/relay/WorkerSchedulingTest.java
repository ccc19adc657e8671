package org.hoststated.relay;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.uring.IoUring;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The scheduling policy the worker threads run under, read back from the kernel. */
class WorkerSchedulingTest {
    private static final int SCHED_OTHER = 0;
    private static final int SCHED_BATCH = 3;

    @Test
    void ioUringWorkersRunUnderSchedBatch() throws Exception {
        assumeTrue(IoUring.isAvailable(), "io_uring not available here");
        RelayTransport t = RelayTransport.ioUring();
        assumeTrue(t != null, "io_uring adapter unusable here");
        assertEquals(SCHED_BATCH, policyOfAWorker(t));
    }

    @Test
    void epollWorkersKeepTheDefaultPolicy() throws Exception {
        assertEquals(SCHED_OTHER, policyOfAWorker(RelayTransport.epoll()));
    }

    /** The policy of the thread that runs a task on one of t's worker loops. */
    private static int policyOfAWorker(RelayTransport t) throws Exception {
        EventLoopGroup workers = t.newWorkers(1, "scheduling-test");
        try {
            return workers.submit(WorkerSchedulingTest::policyOfThisThread).get(10, TimeUnit.SECONDS);
        } finally {
            workers.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        }
    }

    /** Field 41 of /proc/thread-self/stat: the thread's scheduling policy. */
    private static int policyOfThisThread() throws Exception {
        String stat = Files.readString(Path.of("/proc/thread-self/stat"));
        String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return Integer.parseInt(fields[41 - 3]);
    }
}
