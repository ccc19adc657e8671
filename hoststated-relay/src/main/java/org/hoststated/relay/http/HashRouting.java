package org.hoststated.relay.http;

import java.net.InetSocketAddress;
import org.hoststated.core.config.Mode;
import org.hoststated.core.config.RelayConfig;
import org.hoststated.core.config.TableTarget;
import org.hoststated.relay.lb.Hash32;
import org.hoststated.relay.lb.HostSelector;
import org.hoststated.relay.lb.RelayHosts;
import org.hoststated.relay.lb.TargetHost;

/**
 * Host choice for a request whose protocol {@code hash}es header, query or cookie values
 * (SPEC 1.6, relay.c {@code relay_from_table}): the key starts as the relay key (relay name,
 * then table name), takes the hashed values, then for {@code loadbalance} the client address,
 * and for both modes the listen address and port; the host is the key modulo the number of
 * hosts, or the next usable one after it. Other targets and modes choose as for any session.
 *
 * <p>An adapter over {@link HostSelector}'s snapshot until the selector takes an extra hash
 * itself; stateless apart from the selector, shared by a relay's sessions.
 */
final class HashRouting {
    private final HostSelector selector;
    private final Mode mode;
    private final int relayKey;

    HashRouting(RelayConfig relay, HostSelector selector) {
        this.selector = selector;
        if (relay.target() instanceof TableTarget t && t.mode() != Mode.ROUNDROBIN) {
            mode = t.mode();
            relayKey = Hash32.relayKey(relay.name(), t.table());
        } else {
            mode = null;
            relayKey = Hash32.INIT;
        }
    }

    /** Whether hashed values choose the host (a table in loadbalance or hash mode). */
    boolean hashed() {
        return mode != null;
    }

    /** The key that {@code hash} nodes feed values into. */
    int initialKey() {
        return relayKey;
    }

    /** The host for a request with hash key {@code key}; null when no host is usable. */
    TargetHost select(int key, InetSocketAddress client, InetSocketAddress listen) {
        if (mode == null) {
            return selector.select(client, listen);
        }
        int h = key;
        if (mode == Mode.LOADBALANCE) {
            h = Hash32.address(client.getAddress(), h);
        }
        h = Hash32.address(listen.getAddress(), h);
        h = Hash32.port(listen.getPort(), h);
        RelayHosts hosts = selector.hosts();
        int n = hosts.size();
        if (n == 0) {
            return null;
        }
        int from = Integer.remainderUnsigned(h, n);
        for (int k = 0; k < n; k++) {
            int i = (from + k) % n;
            if (selector.noCheck() || hosts.usable(i)) {
                return hosts.host(i);
            }
        }
        return null;
    }
}
