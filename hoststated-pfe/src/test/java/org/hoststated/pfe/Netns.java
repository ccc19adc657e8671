package org.hoststated.pfe;

import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import jnr.ffi.LibraryLoader;

/**
 * A thread that lives in a named network namespace ({@code ip netns add NAME}), so that a
 * test can run pfe's parts there in this JVM: a socket opened on it, and a thread started from
 * it (a backend's writer thread, which opens the conntrack netlink socket), belong to that
 * namespace. setns(2) moves the calling thread only; the rest of the JVM stays where it is.
 */
final class Netns implements AutoCloseable {
    /** libc's setns and what it needs; public, or jnr-ffi cannot implement it. */
    public interface Calls {
        int open(String path, int flags, int mode);

        int setns(int fd, int nstype);

        int close(int fd);
    }

    private static final int O_RDONLY = 0;
    private static final int CLONE_NEWNET = 0x40000000;

    private final ExecutorService thread;

    Netns(String name) throws Exception {
        Calls c = LibraryLoader.create(Calls.class).load("c");
        thread = Executors.newSingleThreadExecutor(r -> new Thread(r, "netns-" + name));
        run(() -> {
            int fd = c.open("/var/run/netns/" + name, O_RDONLY, 0);
            if (fd < 0) {
                throw new IllegalStateException("cannot open network namespace " + name);
            }
            try {
                if (c.setns(fd, CLONE_NEWNET) != 0) {
                    throw new IllegalStateException("setns to " + name + " failed");
                }
            } finally {
                c.close(fd);
            }
            return null;
        });
    }

    /** Runs {@code job} on the namespace's thread and returns its result. */
    <T> T run(Callable<T> job) throws Exception {
        try {
            return thread.submit(job).get(30, TimeUnit.SECONDS);
        } catch (java.util.concurrent.ExecutionException e) {
            throw e.getCause() instanceof Exception x ? x : e;
        }
    }

    @Override
    public void close() {
        thread.shutdownNow();
    }
}
