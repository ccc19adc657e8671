package org.hoststated.parent;

import io.netty.channel.unix.Socket;

/**
 * Listening sockets of the family of the address they listen on. Netty's {@link
 * Socket#newSocketStream()} makes an IPv6 socket wherever the host has IPv6, and one bound
 * to {@code 0.0.0.0} then served IPv6 clients too, {@code ::1} included (probe D): an IPv4
 * address needs an IPv4 socket, as relayd, nginx and HAProxy make. Only the static factories
 * are used; a subclass is how they are reached.
 */
final class FamilySockets extends Socket {
    private FamilySockets() {
        super(-1);
    }

    /** A TCP socket, IPv6 (dual-stack) when {@code ipv6}, else IPv4. */
    static Socket stream(boolean ipv6) {
        return new Socket(newSocketStream0(ipv6));
    }

    /** A UDP socket, IPv6 (dual-stack) when {@code ipv6}, else IPv4. */
    static Socket dgram(boolean ipv6) {
        return new Socket(newSocketDgram0(ipv6));
    }
}
