package org.hoststated.pfe.backend;

import java.net.InetAddress;

/**
 * One connection tracking entry as ctnetlink lists it: the original direction (as the client
 * sent it, before DNAT) and the reply direction (as the host answers, after DNAT). Immutable;
 * made and used on the {@code l3-writer} thread.
 *
 * @param id the kernel's id of the entry: a delete carrying it removes only this entry, not a
 *        newer one that took the same tuple meanwhile
 * @param zone the conntrack zone, 0 by default
 */
record ConntrackEntry(Tuple original, Tuple reply, int id, int zone) {
    /**
     * One direction: addresses of one family; ports 0 for a protocol without ports.
     *
     * @param protocol the IP protocol number (6 TCP, 17 UDP)
     */
    record Tuple(InetAddress source, InetAddress destination, int protocol, int sourcePort, int destinationPort) {
    }
}
