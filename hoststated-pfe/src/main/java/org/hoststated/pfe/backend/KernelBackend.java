package org.hoststated.pfe.backend;

import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The part of a backend that changes the kernel which all such backends share: desired states
 * go to one {@link KernelWriter} thread, which calls {@link #write} with the newest, then
 * {@link #killStates} with the flows to cut, and logs what was cut.
 */
abstract class KernelBackend implements L3Backend {
    private static final Logger log = LoggerFactory.getLogger(KernelBackend.class);

    private final KernelWriter<List<Redirect>> writer;
    /** The last reason states could not be killed, to log a lasting failure once; writer thread only. */
    private String lastKillFailure;
    /** Set by {@link #stopWriter}: no flow is cut from then on. */
    private volatile boolean stopping;

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
        }, this::killAndLog);
    }

    /**
     * Cuts the flows of {@code kills} (the rules without their hosts are written); on the
     * writer thread only. Ends with an {@link L3Exception} at its next step once
     * {@link #stopping}.
     *
     * @return per kill, in order, how many states (connection tracking entries) were removed; for a
     *         kill of every state, those of closed or unanswered connections removed with them
     *         are not counted
     */
    abstract int[] killStates(List<StateKill> kills) throws L3Exception;

    /** Whether the backend is closed ({@link #stopWriter}); any thread. */
    final boolean stopping() {
        return stopping;
    }

    private void killAndLog(List<StateKill> submitted, List<Redirect> written) {
        List<StateKill> kills = stillGone(submitted, written);
        if (kills.isEmpty()) {
            return;
        }
        if (stopping) {
            notKilled(kills);
            return;
        }
        int[] killed;
        try {
            killed = killStates(kills);
        } catch (L3Exception | RuntimeException | OutOfMemoryError e) {
            if (stopping) {
                notKilled(kills);
                return;
            }
            String why = String.valueOf(e.getMessage());
            for (StateKill k : kills) {
                if (k.closedOnly()) {
                    // Not asked for: a kernel without connection tracking to list says so here.
                    log.debug("service {}: {}, cannot remove its closed states: {}", k.service(), k.what(), why);
                    continue;
                }
                if (why.equals(lastKillFailure)) {
                    log.debug("service {}: {}, still cannot kill its states: {}", k.service(), k.what(), why);
                } else {
                    log.error("service {}: {}, cannot kill its states: {}", k.service(), k.what(), why);
                }
                lastKillFailure = why;
            }
            return;
        }
        if (lastKillFailure != null) {
            log.info("killing states works again");
            lastKillFailure = null;
        }
        for (int i = 0; i < kills.size(); i++) {
            StateKill k = kills.get(i);
            String cut = k.closedOnly()
                    ? killed[i] == 1 ? "state of a closed or unanswered connection removed"
                            : "states of closed or unanswered connections removed"
                    : killed[i] == 1 ? "state killed" : "states killed";
            if (killed[i] > 0 && !stopping) {
                log.info("service {}: {}, {} {}", k.service(), k.what(), killed[i], cut);
            } else if (killed[i] > 0 || !k.closedOnly()) {
                // Nothing cut tells the operator nothing (a host down without flows through the
                // service); nor does a cut that ended as the backend was closed: pfe exits.
                log.debug("service {}: {}, {} {}", k.service(), k.what(), killed[i], cut);
            }
        }
    }

    /** The backend is closed ({@link #stopWriter}): the flows stay. */
    private static void notKilled(List<StateKill> kills) {
        for (StateKill k : kills) {
            log.debug("service {}: {}, its states are not (all) killed: the layer-3 backend stops", k.service(),
                    k.what());
        }
    }

    /**
     * {@code kills} without the flows that {@code written} sends where they went
     * ({@link StateKill#outside}). pfe leaves out the hosts that are up again when it submits,
     * but kills wait for a write that succeeds: while writes fail, a host can go down and come
     * back, and its flows must not be cut once the state that has it again is written.
     */
    static List<StateKill> stillGone(List<StateKill> kills, List<Redirect> written) {
        List<StateKill> out = new ArrayList<>();
        for (StateKill k : kills) {
            StateKill left = k.outside(written);
            if (left != k) {
                log.debug("service {}: {}, but flows of it are redirected the same way again and stay",
                        k.service(), k.what());
            }
            if (left != null) {
                out.add(left);
            }
        }
        return out;
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
    public final void apply(List<Redirect> services, List<StateKill> kills, long changedAt) {
        writer.submit(List.copyOf(services), List.copyOf(kills), changedAt);
    }

    @Override
    public final String failure() {
        return writer.failure();
    }

    @Override
    public final boolean awaitApplied(long timeoutMs) throws InterruptedException {
        return writer.awaitIdle(timeoutMs);
    }

    /**
     * Writes what is pending and stops the writer thread; cuts no flow from now on (kills
     * pending are dropped, one under way ends at its next step). pfe closes its backend as it
     * exits, and its stop removes the rules (or keeps them as written, {@code l3 keep rules})
     * and must do no more. Backends stopped with the daemon go down just before: their hosts'
     * states were killed by the thousand after pfe's "exiting", and a kill under way held up
     * the exit (the parent kills an engine not gone after 5 s, before it removes its table).
     */
    final void stopWriter() {
        stopping = true;
        writer.close();
    }
}
