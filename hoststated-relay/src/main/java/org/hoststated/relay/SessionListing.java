package org.hoststated.relay;

import io.netty.channel.Channel;
import io.netty.channel.EventLoopGroup;
import io.netty.util.concurrent.EventExecutor;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.hoststated.core.msg.CtlSession;
import org.hoststated.relay.handler.RelaySession;
import org.hoststated.relay.handler.SessionInfo;

/**
 * The rows of {@code show sessions}: one per live session of every relay, any protocol (a DNS
 * relay's sessions are its queries waiting for an answer), with
 * the number of the worker loop that runs it (the original's relay process number). Runs on
 * the relay engine's loop; reads each session's {@link SessionInfo} snapshot. Stateless.
 */
final class SessionListing {
    private SessionListing() {
    }

    /** Numbers the loops of {@code workers} from 0, in the group's order. */
    static Map<EventExecutor, Integer> number(EventLoopGroup workers) {
        Map<EventExecutor, Integer> out = new HashMap<>();
        int i = 0;
        for (EventExecutor e : workers) {
            out.put(e, i++);
        }
        return Map.copyOf(out);
    }

    /**
     * The rows of {@code show sessions} for the sessions of {@code servers}.
     *
     * @param currentIds the id of each relay of the running configuration, by name: a session
     *                   that a reload left on its relay's earlier generation is listed under
     *                   the relay's id now, which {@code show relays} shows (ids follow the
     *                   order of the file, so a relay added before it moves it). A relay the
     *                   reload removed keeps its old id, which a relay of the running
     *                   configuration may have: each row names its relay, and says it removed.
     */
    static List<CtlSession> rows(List<RelayServer> servers, Map<String, Integer> currentIds,
            Map<EventExecutor, Integer> loops, long nowNanos) {
        List<CtlSession> out = new ArrayList<>();
        for (RelayServer s : servers) {
            String name = s.config().name();
            Integer current = currentIds.get(name);
            int relayId = current != null ? current : s.config().id();
            if (s.dns() != null) {
                EventExecutor loop = s.dns().loop();
                for (CtlSession row : s.dns().sessions(loop == null ? 0 : loops.getOrDefault(loop, 0), nowNanos)) {
                    out.add(row.withRelay(relayId, name, current == null));
                }
            }
            for (Channel ch : s.context().sessions()) {
                SessionInfo info = SessionInfo.of(ch);
                if (info != null) {
                    out.add(info.toCtl(loops.getOrDefault(ch.eventLoop(), 0), nowNanos, RelaySession.ending(ch))
                            .withRelay(relayId, name, current == null));
                }
            }
            // A TCP session whose client has gone lasts while its server side takes what was queued.
            for (Channel ch : s.context().lingering()) {
                SessionInfo info = SessionInfo.of(ch);
                if (info != null) {
                    out.add(info.toCtl(loops.getOrDefault(ch.eventLoop(), 0), nowNanos, true)
                            .withRelay(relayId, name, current == null));
                }
            }
        }
        out.sort((a, b) -> a.relayId() != b.relayId() ? Integer.compare(a.relayId(), b.relayId())
                : Long.compare(a.sessionId(), b.sessionId()));
        return out;
    }
}
