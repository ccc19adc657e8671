package org.hoststated.core.posix;

import java.io.IOException;

/**
 * The scheduling policy of the calling thread. {@code SCHED_BATCH} tells Linux that the thread
 * is a throughput worker: when it wakes it does not preempt the task running on that CPU, but
 * runs when that task blocks or its slice ends (a lower policy, so no privilege is needed).
 */
public final class Scheduling {
    private Scheduling() {
    }

    /**
     * Puts the calling thread under {@code SCHED_BATCH}.
     *
     * @throws IOException with the reason, such as a seccomp filter refusing the call
     */
    public static void batchThisThread() throws IOException {
        // pid 0 is the calling thread: Linux keeps a policy per thread.
        if (Native.LIBC.sched_setscheduler(0, Native.SCHED_BATCH, new int[] {0}) < 0) {
            throw Errno.lastException("sched_setscheduler SCHED_BATCH");
        }
    }
}
