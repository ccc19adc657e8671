package org.hoststated.pfe.backend;

import java.net.InetAddress;
import java.util.TreeMap;
import java.util.Map;

/**
 * The connection tracking entries of redirected UDP flows, for tests of other packages that
 * prove a flow was cut (its entry gone) or kept (the same entry, same id). Lists the table of
 * the calling thread's network namespace.
 */
public final class ConntrackProbe {
    private ConntrackProbe() {
    }

    /** Per original destination ({@code 10.21.9.100:53}) of a UDP entry, its id and the host that answers; sorted. */
    public static Map<String, String> udp() throws L3Exception {
        Map<String, String> out = new TreeMap<>();
        for (ConntrackEntry e : new Conntrack().list(e -> e.original().protocol() == 17, () -> false)) {
            InetAddress to = e.original().destination();
            out.put(to.getHostAddress() + ":" + e.original().destinationPort(),
                    e.id() + " " + e.reply().source().getHostAddress());
        }
        return out;
    }
}
