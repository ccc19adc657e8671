package org.hoststated.pfe;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Whether pfe may write the kernel's layer-3 rules yet, after it started. Until it may, the
 * kernel keeps what a previous run left (rules of a pfe the parent restarts, of a daemon
 * stopped with {@code l3 keep rules}, or killed): replacing them with a state whose hosts are
 * only "not checked yet" would pull rules that serve.
 *
 * <p>The hold ends when every host has a verdict, or when the running hce starts its second
 * round (it has been through every host once; a host with no verdict then, such as one whose
 * check found no file descriptor, gets none by waiting). Rounds of an hce that died do not
 * count: one that crashes in a loop never gets past its first. A time limit ends the hold only
 * when the kernel has no rules of a previous run; with them, the hold lasts for as long as hce
 * cannot check (crashing, hung), as {@code l3 keep rules} promises, and says so in the log and
 * in {@code show summary}. Owned by pfe's event loop.
 */
final class L3Hold {
    private static final Logger log = LoggerFactory.getLogger(L3Hold.class);

    private final boolean previousRules;
    private boolean over;
    /** The time limit passed while rules of a previous run were held. */
    private boolean overdue;
    /** Rounds the running hce started in the current generation. */
    private int rounds;

    /** @param previousRules whether the backend found rules of a previous run in the kernel */
    L3Hold(boolean previousRules) {
        this.previousRules = previousRules;
    }

    /** Whether pfe has been cleared to write; once it has, it stays so. */
    boolean over() {
        return over;
    }

    /** Whether the kernel still serves rules of a previous run that pfe holds back from replacing. */
    boolean keepsPreviousRules() {
        return previousRules && !over;
    }

    /** A new configuration: its rounds count afresh. */
    void newGeneration() {
        rounds = 0;
    }

    /** A (re)started hce connected: it starts from its first round. */
    void hceConnected() {
        rounds = 0;
    }

    /** hce started a round of the current generation; returns true if that ended the hold. */
    boolean roundStarted() {
        if (over || ++rounds < 2) {
            return false;
        }
        end("the health check engine went through every host");
        return true;
    }

    /** Whether pfe may write the state {@code s} now; ends the hold when every host has a verdict. */
    boolean allows(PfeState s) {
        if (!over && s.unchecked() == 0) {
            end(s.services.isEmpty() ? null : "every host of the services has been checked");
        }
        return over;
    }

    /**
     * The time limit passed. Ends the hold unless rules of a previous run are in the kernel.
     *
     * @return true if that ended the hold
     */
    boolean limitPassed(PfeState s, long limitMs) {
        if (over) {
            return false;
        }
        int unchecked = s.unchecked();
        if (!previousRules) {
            log.warn("{} host(s) not checked {} s after start; writing the rules of the hosts known up", unchecked,
                    limitMs / 1000);
            over = true;
            return true;
        }
        if (!overdue) {
            overdue = true;
            log.warn("{} host(s) not checked {} s after start (is the health check engine failing?); the rules"
                    + " of a previous run stay in the kernel until every host is checked", unchecked, limitMs / 1000);
        }
        return false;
    }

    /** @param why for the log, or null for a configuration without services, which has nothing to say */
    private void end(String why) {
        over = true;
        if (why == null) {
            return;
        }
        if (overdue) {
            log.info("{}: the rules of a previous run are replaced now", why);
        } else {
            log.debug("{}: layer-3 rules follow the host states from now on", why);
        }
    }
}
