package org.hoststated.hce.check;

import java.util.concurrent.TimeUnit;

/**
 * When the reads of a host that trickles its answer are held, one rule for both probes. A host
 * that sends its answer a few bytes at a time would wake the loop for every few bytes until
 * the deadline (tens of thousands of wake-ups per check). Once an answer has taken
 * {@link #FREE_SMALL_READS} small reads without a verdict, each further small read leaves the
 * host's data {@link #HOLD_NANOS} in its socket, to be read in one go. The probe keeps seeing
 * the host's close at once and reads what waits before judging at the deadline. One per attempt,
 * on the loop.
 */
final class TrickleHold {
    /** A read smaller than this after which there is still no verdict may be a trickle. */
    static final int SMALL_READ = 1024;
    /** Small reads an answer may take before its reads are held (status lines and banners need few). */
    static final int FREE_SMALL_READS = 64;
    /** How long a trickling host's data waits in the socket between reads. */
    static final long HOLD_NANOS = TimeUnit.MILLISECONDS.toNanos(10);
    private int smallReads;

    /** After a read of {@code bytes} (at least 1) that brought no verdict: whether to hold the next read. */
    boolean holdAfter(int bytes) {
        return bytes < SMALL_READ && ++smallReads > FREE_SMALL_READS;
    }
}
