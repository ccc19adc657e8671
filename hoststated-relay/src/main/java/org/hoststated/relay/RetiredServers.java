package org.hoststated.relay;

import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;

/**
 * Servers of older generations that stopped accepting: kept while they have sessions, and
 * until they had none at two statistics refreshes in a row. With {@code prefork} above 1, a
 * client the stopped listener accepted a moment before is registered on another worker loop
 * by a task, in no session group until that loop runs it: a server dropped because it had no
 * session at its stop then got one that {@code show sessions} did not list, whose host states
 * nobody followed, and whose loops a {@code prefork} change shut down under it 5-10 s later
 * (review CN). Old worker groups wait for two quiet checks alike. The engine's loop only.
 *
 * @param <S> the server (a type parameter so that the rule is tested apart from real relays)
 */
final class RetiredServers<S> {
    private final Predicate<S> hasSessions;
    /** Each server and the refreshes in a row it had no session at. */
    private final Map<S, Integer> quietRefreshes = new LinkedHashMap<>();

    RetiredServers(Predicate<S> hasSessions) {
        this.hasSessions = hasSessions;
    }

    /** A server stopped accepting. */
    void add(S server) {
        quietRefreshes.put(server, 0);
    }

    /** The servers kept, in the order they stopped. */
    Set<S> all() {
        return quietRefreshes.keySet();
    }

    /** A statistics refresh: a server without sessions at this one and the one before goes. */
    void refresh() {
        for (Iterator<Map.Entry<S, Integer>> it = quietRefreshes.entrySet().iterator(); it.hasNext(); ) {
            Map.Entry<S, Integer> e = it.next();
            if (hasSessions.test(e.getKey())) {
                e.setValue(0);
            } else if (e.getValue() >= 1) {
                it.remove();
            } else {
                e.setValue(1);
            }
        }
    }
}
