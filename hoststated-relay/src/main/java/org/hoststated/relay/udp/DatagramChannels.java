package org.hoststated.relay.udp;

import io.netty.channel.FixedRecvByteBufAllocator;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.socket.DatagramChannel;
import io.netty.channel.uring.IoUringDatagramChannel;

/**
 * Datagram channels of the relay engine's transport: the listening socket the parent passed,
 * adopted by descriptor, and the relay's own sockets towards the backends. A channel must match
 * the I/O handler of the loop it is registered on, hence one kind per transport. Stateless.
 */
final class DatagramChannels {
    /** The largest UDP payload: a read never truncates a datagram, EDNS answers included. */
    static final int MAX_DATAGRAM = 65_535;

    private DatagramChannels() {
    }

    /**
     * Wraps {@code fd}, a bound, non-blocking UDP socket, for the transport named
     * {@code transport} ("io_uring" or "epoll"); the channel owns the descriptor.
     */
    static DatagramChannel adopt(String transport, int fd) {
        return sized("io_uring".equals(transport) ? new IoUringDatagramChannel(fd) : new EpollDatagramChannel(fd));
    }

    /** A new unbound UDP socket (dual-stack where the host has IPv6). */
    static DatagramChannel open(String transport) {
        return sized("io_uring".equals(transport) ? new IoUringDatagramChannel() : new EpollDatagramChannel());
    }

    private static DatagramChannel sized(DatagramChannel c) {
        c.config().setRecvByteBufAllocator(new FixedRecvByteBufAllocator(MAX_DATAGRAM));
        return c;
    }
}
