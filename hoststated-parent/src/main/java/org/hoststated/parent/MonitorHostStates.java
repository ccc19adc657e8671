package org.hoststated.parent;

import java.util.HashMap;
import java.util.Map;
import org.hoststated.core.msg.HostState;
import org.hoststated.core.msg.HostStatus;

/**
 * The state of each host that {@code hoststatectl monitor} was last told, so that only a new
 * state is news. A restarted pfe starts every host unknown and takes each verdict the health
 * check engine sends it as a change: monitors saw every host "come up" at each pfe restart,
 * where the log rightly said nothing (probe H of session 57). Host ids are a configuration
 * generation's: a newer generation starts afresh. Event loop only.
 */
final class MonitorHostStates {
    private int generation = Integer.MIN_VALUE;
    private final Map<Integer, HostState> told = new HashMap<>();

    /**
     * The operator disabled or enabled a host, table or service: the hosts it touched are
     * unknown until their next verdict, which is news even when it is the state told before (a
     * host enabled again and up was not told: probe M of session 58). Forgets every host: the
     * parent does not know which hosts a table or service has, and the others' verdicts come to
     * it only when they change.
     */
    void operatorChanged() {
        told.clear();
    }

    /** Whether {@code st} tells the monitors something new; if so, it is what they know from now on. */
    boolean isNews(HostStatus st) {
        if (st.generation() < generation) {
            return true; // late, of a configuration replaced since: passed on as before, not kept
        }
        if (st.generation() > generation) {
            generation = st.generation();
            told.clear();
        }
        return told.put(st.hostId(), st.state()) != st.state();
    }
}
