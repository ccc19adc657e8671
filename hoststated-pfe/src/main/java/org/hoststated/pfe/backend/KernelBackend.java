package org.hoststated.pfe.backend;

import java.util.List;

/**
 * The part of a backend that changes the kernel which all such backends share: desired states
 * go to one {@link KernelWriter} thread, which calls {@link #write} with the newest.
 */
abstract class KernelBackend implements L3Backend {
    private final KernelWriter<List<Redirect>> writer;

    KernelBackend(String what) {
        this.writer = new KernelWriter<>(what, this::write, new KernelWriter.Verifier() {
            @Override
            public boolean intact() throws L3Exception {
                return KernelBackend.this.intact();
            }

            @Override
            public long periodMs() {
                return verifyPeriodMs();
            }
        });
    }

    /** Makes the kernel match {@code services}; runs on the writer thread only. */
    abstract void write(List<Redirect> services) throws L3Exception;

    /**
     * Whether the kernel still holds what the last {@link #write} put there, asked every second
     * while nothing changes; false makes the writer write that state again. On the writer
     * thread only. A backend that cannot tell answers true.
     */
    boolean intact() throws L3Exception {
        return true;
    }

    /** How often {@link #intact} is asked: every second unless reading back costs more. */
    long verifyPeriodMs() {
        return KernelWriter.VERIFY_MS;
    }

    @Override
    public final void apply(List<Redirect> services, long changedAt) {
        writer.submit(List.copyOf(services), changedAt);
    }

    @Override
    public final boolean awaitApplied(long timeoutMs) throws InterruptedException {
        return writer.awaitIdle(timeoutMs);
    }

    /** Writes what is pending and stops the writer thread. */
    final void stopWriter() {
        writer.close();
    }
}
