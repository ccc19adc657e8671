package org.hoststated.hce;

import java.util.concurrent.TimeUnit;
import org.hoststated.core.msg.HostState;
import org.hoststated.hce.check.CheckResult;

/**
 * What one check round found, said in one line at its end (debug level, {@code -v}): an
 * operator who reads only the state changes cannot tell a round that checked every host and
 * found nothing new from one that did not run, nor see how long a round takes against the
 * interval. Runs in hce, owned by the event loop of its {@link CheckScheduler}.
 */
final class RoundTally {
    private long firstRound;
    private long lastRound;
    private long startNanos;
    private int hosts;
    private int up;
    private int down;
    private int noVerdict;

    /** Round {@code number} starts with {@code queued} hosts to check, after the last one ended. */
    void start(long number, int queued) {
        firstRound = number;
        lastRound = number;
        startNanos = System.nanoTime();
        hosts = queued;
        up = 0;
        down = 0;
        noVerdict = 0;
    }

    /**
     * Round {@code number} starts while the one before still runs (its slow checks are not
     * queued again): the two end together, and are said as one.
     */
    void join(long number, int queued) {
        lastRound = number;
        hosts += queued;
    }

    /** A check of this round ended with {@code r}; null when a disable or reload made it void. */
    void count(CheckResult r) {
        if (r == null || r.overloaded() || r.state() == HostState.UNKNOWN) {
            noVerdict++;
        } else if (r.state() == HostState.UP) {
            up++;
        } else {
            down++;
        }
    }

    /** The round's line, once its last check ended. */
    String summary() {
        long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos);
        String rounds = firstRound == lastRound ? "round " + firstRound : "rounds " + firstRound + "-" + lastRound;
        return "check " + rounds + ": " + hosts + (hosts == 1 ? " host" : " hosts") + " in " + ms + " ms, "
                + up + " up, " + down + " down" + (noVerdict > 0 ? ", " + noVerdict + " without a verdict" : "");
    }
}
