package io.netty.channel.uring;

import io.netty.channel.Channel;
import io.netty.channel.ChannelException;
import io.netty.channel.epoll.AcceptedSockets;
import io.netty.channel.socket.ServerSocketChannel;
import io.netty.channel.socket.ServerSocketChannelConfig;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import org.hoststated.relay.ExitReset;

/**
 * An io_uring server channel over a listening socket that is already bound and listening: the
 * descriptor the hoststated parent passes to the relay engine. Netty 4.2.18 has no public
 * constructor taking a descriptor for io_uring (epoll's {@code EpollServerSocketChannel(int)}),
 * so this class lives in Netty's package to reach the package-private {@code LinuxSocket(int)}
 * and {@code IoUringServerSocketChannelConfig}; {@link #newChildChannel} mirrors
 * {@code IoUringServerSocketChannel}'s, with {@link RelayIoUringSocketChannel}s. It sets
 * {@code TCP_NODELAY} and arms ({@link ExitReset}) the listening socket, and so every socket it
 * accepts. Tied to the pinned Netty version: the relay's
 * {@code AdoptedIoUringServerSocketChannelTest} fails when this internal shape changes, and the
 * relay falls back to epoll when this class cannot be loaded.
 */
public final class AdoptedIoUringServerSocketChannel extends AbstractIoUringServerChannel
        implements ServerSocketChannel {
    private final IoUringServerSocketChannelConfig config;
    /** Whether the listening socket, and so every socket it accepts, is IPv6. */
    private final boolean ipv6;

    /** Takes ownership of {@code fd}, a bound, listening, non-blocking TCP socket. */
    public AdoptedIoUringServerSocketChannel(int fd) {
        super(new LinuxSocket(fd), true);
        this.config = new IoUringServerSocketChannelConfig(this);
        this.ipv6 = socket.isIpv6();
        try {
            // Every accepted socket inherits it, where Netty's channel sets it on each.
            socket.setTcpNoDelay(true);
        } catch (IOException e) {
            throw new ChannelException("TCP_NODELAY on the listening socket", e);
        }
        ExitReset.arm(socket);
    }

    @Override
    public ServerSocketChannelConfig config() {
        return config;
    }

    @Override
    Channel newChildChannel(int fd, ByteBuffer acceptedAddress) {
        IoUringIoHandler handler = (IoUringIoHandler) registration().attachment();
        // An accepted socket has its listener's family: made without the getsockname of
        // LinuxSocket's constructor (one system call per connection outside the ring).
        LinuxSocket socket = AcceptedSockets.allocate(LinuxSocket.class, fd, ipv6);
        if (socket == null) {
            socket = new LinuxSocket(fd);
        }
        if (acceptedAddress == null) {
            return new RelayIoUringSocketChannel(this, socket);
        }
        InetSocketAddress remote = socket.isIpv6()
                ? SockaddrIn.getIPv6(acceptedAddress, handler.inet6AddressArray(), handler.inet4AddressArray())
                : SockaddrIn.getIPv4(acceptedAddress, handler.inet4AddressArray());
        return new RelayIoUringSocketChannel(this, socket, remote);
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
    public void doBind(SocketAddress localAddress) {
        throw new UnsupportedOperationException("an adopted listening socket is bound already");
    }
}
