package org.hoststated.parent;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.hoststated.core.config.Config;
import org.hoststated.core.config.HostConfig;
import org.hoststated.core.config.TableConfig;
import org.hoststated.core.msg.HostState;
import org.hoststated.core.msg.HostStatus;
import org.hoststated.core.msg.MessageType;
import org.hoststated.core.msg.ObjId;

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

    /** The host ids of each table of the configuration that runs, for {@link #operatorChanged}. */
    private Map<Integer, List<Integer>> hostsOfTable = Map.of();

    /** A configuration went to the engines. */
    void configured(Config config) {
        Map<Integer, List<Integer>> m = new HashMap<>();
        for (TableConfig t : config.activeTables()) {
            m.put(t.id(), t.hosts().stream().map(HostConfig::id).toList());
        }
        hostsOfTable = m;
    }

    /**
     * pfe's notice that the operator disabled or enabled a host or a table ({@code what}): its
     * hosts are unknown until their next verdict, which is news even when it is the state told
     * before (a host enabled again and up was not told: probe M of session 58). Only those
     * hosts are forgotten: a restarted pfe reports every host again, and the others' states
     * are not news then. A service's notice comes with its table's when the table changes.
     */
    void operatorChanged(MessageType type, ObjId what) {
        switch (type) {
            case HOST_ENABLE, HOST_DISABLE -> told.remove(what.id());
            case TABLE_ENABLE, TABLE_DISABLE -> hostsOfTable.getOrDefault(what.id(), List.of()).forEach(told::remove);
            default -> {
            }
        }
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
