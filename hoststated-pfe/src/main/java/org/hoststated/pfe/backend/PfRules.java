package org.hoststated.pfe.backend;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.util.List;
import org.hoststated.core.config.IpProtocol;

/**
 * The text pfe hands to {@code pfctl} for one service: its anchor's ruleset and the arguments
 * of its table. Modern pf syntax (OpenBSD 4.7 and later) for SPEC 3.5's rdr rule: one
 * {@code pass in quick proto tcp|udp ... rdr-to <service>} per virtual address, protocol and
 * port, with a round-robin
 * pool on the service's table, optional sticky-address, tag and input interface.
 */
final class PfRules {
    static final String ANCHOR = "hoststated";

    private PfRules() {
    }

    static String anchor(String service) {
        return ANCHOR + "/" + service;
    }

    /**
     * The anchor's ruleset: empty when the service has no host up (rules pulled). A virtual
     * address without an up host of its own family gets no rule, as with nftables and as the
     * configuration check warns: pf cannot translate across families, so such a rule would
     * only drop the packets (the pool has no address to map them to).
     */
    static String ruleset(L3Backend.Redirect r) {
        StringBuilder b = new StringBuilder();
        for (L3Backend.Virtual v : r.virtuals()) {
            boolean v6 = v.address() instanceof Inet6Address;
            if (r.hosts().stream().noneMatch(h -> (h instanceof Inet6Address) == v6)) {
                continue;
            }
            b.append("pass in quick");
            if (v.iface() != null) {
                b.append(" on ").append(v.iface());
            }
            b.append(v.address() instanceof Inet6Address ? " inet6" : " inet");
            b.append(" proto ").append(v.protocol().word()).append(" from any to ")
                    .append(v.address().getHostAddress()).append(" port ").append(v.port());
            // As relayd's sync_ruleset: only TCP has the SYN to create the state on.
            b.append(v.protocol() == IpProtocol.TCP ? " flags S/SA keep state" : " keep state");
            if (r.tag() != null) {
                b.append(" tag \"").append(r.tag()).append('"');
            }
            b.append(" rdr-to <").append(r.service()).append("> port ").append(r.realPort()).append(" round-robin");
            if (r.sticky()) {
                b.append(" sticky-address");
            }
            b.append('\n');
        }
        return b.toString();
    }

    /** {@code pfctl -K} arguments that drop sticky source nodes pointing at {@code host}. */
    static List<String> killSourceNodes(InetAddress host) {
        return List.of("-K", host instanceof Inet6Address ? "::/0" : "0.0.0.0/0", "-K", host.getHostAddress());
    }
}
