package org.hoststated.pfe;

import java.util.HashMap;
import java.util.Map;
import org.hoststated.core.msg.RelayStatistics;

/**
 * Relay statistics of a generation pfe has not applied yet: the relay engine can apply a
 * reload's configuration and report first (a slow layer-3 backend holds pfe), and it sends a
 * relay's counts again only when they change, so an idle relay's report was lost and
 * {@code show relays} kept the previous generation's counts (review CL). Kept by relay id
 * until pfe applies their generation. pfe's loop only.
 */
final class EarlyStatistics {
    private final Map<Integer, RelayStatistics> byRelay = new HashMap<>();

    /** Statistics for pfe's {@code state}: given to their relay, or kept if they are ahead of it. */
    void offer(PfeState state, RelayStatistics s) {
        if (state == null || s.generation() > state.generation) {
            byRelay.put(s.relayId(), s);
        } else if (s.generation() == state.generation) {
            state.statistics(s);
        }
    }

    /** pfe applied {@code state}: the statistics kept for its generation go to their relays. */
    void applied(PfeState state) {
        byRelay.values().removeIf(s -> {
            if (s.generation() == state.generation) {
                state.statistics(s);
            }
            return s.generation() <= state.generation;
        });
    }
}
