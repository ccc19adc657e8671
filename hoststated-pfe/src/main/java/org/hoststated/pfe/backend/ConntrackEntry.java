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
 * @param tcpState a TCP entry's state (the kernel's {@code enum tcp_conntrack}), -1 for another
 *        protocol or when the listing gave none
 */
record ConntrackEntry(Tuple original, Tuple reply, int id, int zone, int tcpState) {
    private static final int SYN_SENT = 1;
    private static final int SYN_RECV = 2;
    private static final int TIME_WAIT = 7;
    private static final int CLOSE = 8;
    private static final int SYN_SENT2 = 9;

    /**
     * Whether the entry carries no connection that can still move data: a TCP connection
     * refused, reset or closed both ways (CLOSE, TIME_WAIT), or whose handshake has not been
     * answered (SYN_SENT, SYN_RECV). A new connection from the same client port can meet
     * such an entry and go where it went (after a connection the host reset, the kernel keeps
     * the CLOSE entry 10 s and reuses it).
     */
    boolean closedOrUnanswered() {
        return original.protocol() == 6 && (tcpState == SYN_SENT || tcpState == SYN_RECV || tcpState == TIME_WAIT
                || tcpState == CLOSE || tcpState == SYN_SENT2);
    }

    /**
     * One direction: addresses of one family; ports 0 for a protocol without ports.
     *
     * @param protocol the IP protocol number (6 TCP, 17 UDP)
     */
    record Tuple(InetAddress source, InetAddress destination, int protocol, int sourcePort, int destinationPort) {
    }
}
