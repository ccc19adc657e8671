package org.hoststated.pfe.backend;

import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one thread that writes an L3 backend's changes to the kernel, so pfe's event loop never
 * waits for {@code nft} or {@code pfctl}. Only the newest desired state matters: states
 * submitted while a write runs replace each other, and the next write takes the last one. A
 * failed write is retried every second until it succeeds or a newer state arrives. While idle,
 * the thread asks the backend every second (or less often, as the backend says) whether the
 * kernel still holds what it last wrote, and writes that state again when not: someone else
 * flushed the ruleset (a restart of the system's firewall service does) or edited the
 * daemon's rules. Flows to cut ({@code kill states}) go with a state and are cut right after
 * it is written: kills are never dropped when a newer state replaces theirs, and wait with it
 * while its write is retried.
 *
 * @param <T> the desired state
 */
final class KernelWriter<T> implements AutoCloseable {
    /** Makes the kernel match one desired state. */
    interface Applier<T> {
        void apply(T desired) throws L3Exception;
    }

    /** Cuts flows once the state that no longer sends new ones to their hosts is written. */
    interface Killer<T> {
        /**
         * Cuts {@code kills} now that {@code written} is in the kernel. Never throws: a failure
         * is the killer's to log.
         */
        void kill(List<L3Backend.StateKill> kills, T written);
    }

    /** Tells whether the kernel still holds what the last successful apply wrote. */
    interface Verifier {
        boolean intact() throws L3Exception;

        /** How long to wait between two comparisons, at least {@link #VERIFY_MS}. */
        default long periodMs() {
            return VERIFY_MS;
        }
    }

    private static final Logger log = LoggerFactory.getLogger(KernelWriter.class);
    private static final long RETRY_MS = 1000;
    static final long VERIFY_MS = 1000;
    private static final long CLOSE_WAIT_MS = 15_000;

    private final String what;
    private final Applier<T> applier;
    private final Verifier verifier;
    private final Killer<T> killer;
    private final Thread thread;
    private T pending;
    /** The kills of the pending state and of the states it replaced. */
    private final List<L3Backend.StateKill> pendingKills = new ArrayList<>();
    private long pendingSince;
    /** The last state written with success, null before the first; kept for a rewrite. */
    private T written;
    /** When the kernel is next compared with {@link #written} (currentTimeMillis). */
    private long verifyAt;
    private boolean closed;
    private boolean running;
    /** Written by the writer thread only; read by pfe's loop ({@link #failure}). */
    private volatile String lastFailure;

    KernelWriter(String what, Applier<T> applier, Verifier verifier, Killer<T> killer) {
        this.what = what;
        this.applier = applier;
        this.verifier = verifier;
        this.killer = killer;
        this.thread = new Thread(this::loop, "l3-writer");
        thread.setDaemon(true);
        thread.start();
    }

    /**
     * Makes {@code desired} the next state to write, with {@code kills} to cut after it;
     * {@code changedAt} is when it changed (nanoTime).
     */
    synchronized void submit(T desired, List<L3Backend.StateKill> kills, long changedAt) {
        if (pending == null) {
            pendingSince = changedAt;
        }
        pending = desired;
        pendingKills.addAll(kills);
        notifyAll();
    }

    /** Why the last write failed, while it is retried; null after a write that succeeded. */
    String failure() {
        return lastFailure;
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
            boolean check;
            List<L3Backend.StateKill> kills = List.of();
            synchronized (this) {
                long wait;
                while (pending == null && !closed && (wait = untilVerify()) > 0) {
                    waitQuietly(wait);
                }
                if (pending == null && closed) {
                    return;
                }
                check = pending == null;
                if (check) {
                    next = written;
                    since = System.nanoTime();
                } else {
                    next = pending;
                    since = pendingSince;
                    pending = null;
                    kills = List.copyOf(pendingKills);
                    pendingKills.clear();
                }
                running = true;
            }
            boolean ok = check ? verify(next, since) : write(next, since);
            if (ok && !kills.isEmpty()) {
                killer.kill(kills, next);
            }
            synchronized (this) {
                if (!ok) {
                    // Cut once a state without their hosts is written: this one again, or a newer.
                    pendingKills.addAll(0, kills);
                }
                running = false;
                verifyAt = System.currentTimeMillis() + Math.max(VERIFY_MS, verifier.periodMs());
                if (ok) {
                    written = next;
                }
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

    /** Milliseconds until the next comparison with the kernel: 0 when due; long before the first write. */
    private long untilVerify() {
        if (written == null) {
            return Long.MAX_VALUE / 2;
        }
        return Math.max(0, verifyAt - System.currentTimeMillis());
    }

    /** Compares the kernel with {@code last}, written before, and writes it again if it differs. */
    private boolean verify(T last, long since) {
        try {
            if (verifier.intact()) {
                return true;
            }
        } catch (L3Exception | RuntimeException | OutOfMemoryError e) {
            log.debug("{}: cannot read the rules back: {}", what, e.getMessage());
            return true;
        }
        return write(last, since);
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
        } catch (L3Exception | RuntimeException | OutOfMemoryError e) {
            // Out of memory too: uncaught, it ended this thread, and pfe went on without ever
            // writing the rules again (probe J of session 57, a rule text too large for the heap).
            String why = e instanceof OutOfMemoryError ? "out of memory for the rules (" + e.getMessage() + ")"
                    : String.valueOf(e.getMessage());
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
