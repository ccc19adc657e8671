package org.hoststated.relay;

import io.netty.util.NetUtil;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.hoststated.core.config.Config;
import org.hoststated.core.config.IpProtocol;
import org.hoststated.core.config.ListenConfig;
import org.hoststated.core.config.RelayConfig;
import org.hoststated.relay.handler.SessionInfo;

/**
 * What a new configuration does to the relays, one log line per relay added, moved (another
 * listen address, port or TLS) or removed, in the words of the configuration. Only "removed"
 * was logged: a reload that opened or moved a port said nothing of it.
 */
final class RelayChanges {
    private RelayChanges() {
    }

    /** @param before the configuration the engine ran, null for its first (nothing is logged) */
    static List<String> lines(Config before, Config after) {
        List<String> out = new ArrayList<>();
        if (before == null) {
            return out;
        }
        Map<String, RelayConfig> old = new HashMap<>();
        before.relays().forEach(r -> old.put(r.name(), r));
        for (RelayConfig r : after.relays()) {
            RelayConfig was = old.get(r.name());
            String name = SessionInfo.logName(r.name());
            if (was == null) {
                out.add("relay " + name + ": added, listening on " + listen(after, r));
            } else if (!was.listen().equals(r.listen()) || before.transport(was) != after.transport(r)) {
                // A relay turned from DNS over UDP to TCP, or back, listens on another socket.
                out.add("relay " + name + ": moved from " + listen(before, was) + " to " + listen(after, r));
            }
        }
        Set<String> now = after.relays().stream().map(RelayConfig::name).collect(Collectors.toSet());
        for (RelayConfig r : before.relays()) {
            if (!now.contains(r.name())) {
                out.add("relay " + SessionInfo.logName(r.name()) + ": removed");
            }
        }
        return out;
    }

    /** As the configuration says it: {@code 127.0.0.1 port 80 ssl}, {@code 127.0.0.1 port 53 (udp)} for DNS. */
    private static String listen(Config c, RelayConfig r) {
        ListenConfig l = r.listen();
        return NetUtil.toAddressString(l.address()) + " port " + l.port() + (l.ssl() ? " ssl" : "")
                + (c.transport(r) == IpProtocol.UDP ? " (udp)" : "");
    }
}
