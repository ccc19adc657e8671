package org.hoststated.pfe;

import java.util.List;
import org.hoststated.pfe.backend.L3Backend;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The end of a layer-3 backend that a reload replaces: the reload removed the last service
 * (pfe runs {@code none} from then on and leaves the kernel alone) or changed
 * {@code l3 backend}. The new configuration's {@code l3 keep rules} decides whether its rules
 * stay, as it would at a stop. When they go, the flows the reload leaves without a rule
 * ({@code kill states}, {@link StateKills#removed}) are cut by the backend whose rules made
 * them; the new backend never redirected them. Runs on pfe's event loop.
 */
final class ReplacedBackend {
    private static final Logger log = LoggerFactory.getLogger(ReplacedBackend.class);
    /** How long the cuts may hold pfe's loop: as long as a backend's close waits for its writer. */
    private static final long CUT_WAIT_MS = 15_000;

    private ReplacedBackend() {
    }

    /**
     * Closes {@code old}. Unless {@code keepRules}, it first writes a state without rules and
     * cuts {@code kills} after that write: cut before, a flow's next packet would meet the old
     * rule and go to one of its hosts again. With {@code keepRules} the rules stay as last
     * written and the flows with them: a cut flow's next packet would meet the same rule and be
     * redirected again, to one of the hosts it may already be on, so cutting it would only move
     * clients (with pf, leave a TCP client waiting for its timeout).
     */
    static void close(L3Backend old, boolean keepRules, List<L3Backend.StateKill> kills) {
        old.keepRules(keepRules);
        if (keepRules) {
            for (L3Backend.StateKill k : kills) {
                log.debug("service {}: {}, its states stay with the kept rules", k.service(), k.what());
            }
        } else if (!kills.isEmpty()) {
            old.apply(List.of(), StateKills.stillGone(kills, List.of()), System.nanoTime());
            awaitCuts(old);
        }
        old.close();
    }

    /** Waits for the write and its cuts: {@link L3Backend#close} cuts nothing (pfe's stop must not). */
    private static void awaitCuts(L3Backend old) {
        try {
            if (!old.awaitApplied(CUT_WAIT_MS)) {
                log.warn("layer-3 backend {}: the removed services' flows are still being cut after {} s; "
                        + "the rest stay", old.name(), CUT_WAIT_MS / 1000);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
