package io.netty.channel.epoll;

import io.netty.channel.Channel;
import io.netty.channel.ChannelException;
import io.netty.channel.ServerChannelRecvByteBufAllocator;
import io.netty.channel.socket.ServerSocketChannel;
import io.netty.channel.unix.NativeInetAddress;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import org.hoststated.relay.ExitReset;

/**
 * An epoll server channel over a listening socket the hoststated parent passed to the relay
 * engine, whose accepted connections are {@link AcceptedEpollSocketChannel}s: they cost five
 * system calls fewer each than Netty's {@code EpollSocketChannel} (DESIGN.md, the relay engine).
 * It sets {@code TCP_NODELAY} on the listening socket once, which every accepted socket inherits
 * on Linux, instead of on each of them, and {@code SO_LINGER} 0, which arms them
 * ({@link ExitReset}), and makes each accepted socket without asking the kernel its family
 * ({@link AcceptedSockets}). In Netty's package for the package-private {@code LinuxSocket(int)}
 * and {@code EpollServerChannelConfig}; {@link #newChildChannel} mirrors
 * {@code EpollServerSocketChannel}'s. Tied to the pinned Netty version: the relay's
 * {@code AdoptedEpollServerSocketChannelTest} fails when this internal shape changes, and the
 * relay adopts with Netty's own channel when this class cannot be loaded.
 */
public final class AdoptedEpollServerSocketChannel extends AbstractEpollServerChannel implements ServerSocketChannel {
    /** At most this many connections are accepted each time the listener is ready. */
    static final int ACCEPTS_PER_WAKE = 16;
    private final EpollServerChannelConfig config;
    /** The local address of every accepted socket; null when bound to a wildcard address. */
    private final InetSocketAddress childLocal;
    /** Whether the listening socket, and so every accepted one, is IPv6. */
    private final boolean ipv6;

    /** Takes ownership of {@code fd}, a bound, listening, non-blocking TCP socket. */
    public AdoptedEpollServerSocketChannel(int fd) {
        super(new LinuxSocket(fd), true);
        this.config = new EpollServerChannelConfig(this);
        ServerChannelRecvByteBufAllocator accepts = new ServerChannelRecvByteBufAllocator();
        accepts.respectMaybeMoreData(false);
        accepts.maxMessagesPerRead(ACCEPTS_PER_WAKE);
        config.setRecvByteBufAllocator(accepts);
        InetSocketAddress bound = localAddress();
        // Bound to one address, a socket accepts only connections to it (a NAT redirect
        // included), so that is every accepted socket's local address.
        this.childLocal = bound != null && !bound.getAddress().isAnyLocalAddress() ? bound : null;
        this.ipv6 = AcceptedSockets.ipv6(socket);
        try {
            socket.setTcpNoDelay(true);
        } catch (IOException e) {
            throw new ChannelException("TCP_NODELAY on the listening socket", e);
        }
        ExitReset.arm(socket);
    }

    /** Accepted sockets' local address, or null when each must be asked (a wildcard bind). */
    InetSocketAddress childLocalAddress() {
        return childLocal;
    }

    @Override
    protected Channel newChildChannel(int fd, byte[] address, int offset, int len) {
        return new AcceptedEpollSocketChannel(this, AcceptedSockets.of(fd, ipv6),
                NativeInetAddress.address(address, offset, len));
    }

    @Override
    public EpollServerChannelConfig config() {
        return config;
    }

    @Override
    public InetSocketAddress remoteAddress() {
        return (InetSocketAddress) super.remoteAddress();
    }

    @Override
    public InetSocketAddress localAddress() {
        return (InetSocketAddress) super.localAddress();
    }

    @Override
    protected void doBind(SocketAddress localAddress) {
        throw new UnsupportedOperationException("an adopted listening socket is bound already");
    }
}
