package org.hoststated.pfe.backend;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one thread that writes an L3 backend's changes to the kernel, so pfe's event loop never
 * waits for {@code nft} or {@code pfctl}. Only the newest desired state matters: states
 * submitted while a write runs replace each other, and the next write takes the last one. A
 * failed write is retried every second until it succeeds or a newer state arrives.
 *
 * @param <T> the desired state
 */
final class KernelWriter<T> implements AutoCloseable {
    /** Makes the kernel match one desired state. */
    interface Applier<T> {
        void apply(T desired) throws L3Exception;
    }

    private static final Logger log = LoggerFactory.getLogger(KernelWriter.class);
    private static final long RETRY_MS = 1000;
    private static final long CLOSE_WAIT_MS = 15_000;

    private final String what;
    private final Applier<T> applier;
    private final Thread thread;
    private T pending;
    private long pendingSince;
    private boolean closed;
    private boolean running;
    /** Touched by the writer thread only. */
    private String lastFailure;

    KernelWriter(String what, Applier<T> applier) {
        this.what = what;
        this.applier = applier;
        this.thread = new Thread(this::loop, "l3-writer");
        thread.setDaemon(true);
        thread.start();
    }

    /** Makes {@code desired} the next state to write; {@code changedAt} is when it changed (nanoTime). */
    synchronized void submit(T desired, long changedAt) {
        if (pending == null) {
            pendingSince = changedAt;
        }
        pending = desired;
        notifyAll();
    }

    /** Waits until everything submitted so far has been tried once; for tests and shutdown. */
    synchronized boolean awaitIdle(long timeoutMs) throws InterruptedException {
        long end = System.currentTimeMillis() + timeoutMs;
        while (pending != null || running) {
            long left = end - System.currentTimeMillis();
            if (left <= 0) {
                return false;
            }
            wait(left);
        }
        return pending == null && !running;
    }

    private void loop() {
        while (true) {
            T next;
            long since;
            synchronized (this) {
                while (pending == null && !closed) {
                    waitQuietly(0);
                }
                if (pending == null) {
                    return;
                }
                next = pending;
                since = pendingSince;
                pending = null;
                running = true;
            }
            boolean ok = write(next, since);
            synchronized (this) {
                running = false;
                notifyAll();
                if (!ok && pending == null) {
                    if (closed) {
                        return;
                    }
                    waitQuietly(RETRY_MS);
                    if (pending == null) {
                        pending = next;
                        pendingSince = since;
                    }
                }
            }
        }
    }

    private boolean write(T next, long since) {
        try {
            applier.apply(next);
            if (lastFailure != null) {
                log.info("{}: rules applied again", what);
                lastFailure = null;
            }
            log.debug("{}: rules applied {} ms after the change", what, (System.nanoTime() - since) / 1_000_000);
            return true;
        } catch (L3Exception | RuntimeException e) {
            String why = e.getMessage();
            if (!why.equals(lastFailure)) {
                log.error("{}: cannot apply rules, retrying every second: {}", what, why);
            } else {
                log.debug("{}: still cannot apply rules: {}", what, why);
            }
            lastFailure = why;
            return false;
        }
    }

    private void waitQuietly(long ms) {
        try {
            wait(ms);
        } catch (InterruptedException e) {
            closed = true;
        }
    }

    /** Writes what is still pending (one try) and stops the thread. */
    @Override
    public void close() {
        synchronized (this) {
            closed = true;
            notifyAll();
        }
        try {
            thread.join(CLOSE_WAIT_MS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
