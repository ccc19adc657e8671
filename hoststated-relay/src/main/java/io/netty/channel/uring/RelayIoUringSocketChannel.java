package io.netty.channel.uring;

import io.netty.channel.Channel;
import io.netty.channel.socket.ServerSocketChannel;
import io.netty.channel.socket.SocketChannel;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import org.hoststated.relay.ExitReset;
import org.hoststated.relay.HalfClose;

/**
 * A relay's TCP connection on io_uring, accepted ({@link AdoptedIoUringServerSocketChannel})
 * or to a backend: Netty's {@code IoUringSocketChannel}, which is final, with a close that
 * disarms the socket first ({@link ExitReset}); an accepted socket inherits its listening
 * socket's arming, a backend one is armed when it is made. Without Netty's zero-copy sends,
 * which the relay leaves off. Tied to the pinned Netty version as
 * {@link AdoptedIoUringServerSocketChannel} is.
 */
public final class RelayIoUringSocketChannel extends AbstractIoUringStreamChannel
        implements SocketChannel, ExitReset.Armed, HalfClose.Quiet {
    private final RelayIoUringSocketConfig config;
    /** Whether the coming close is a reset the relay chose; on its loop. */
    private boolean resetAtClose;

    /** A backend socket, of the family Netty's channel takes (IPv6 where the host has it), armed. */
    public RelayIoUringSocketChannel() {
        super(null, LinuxSocket.newSocketStream(), false);
        this.config = new RelayIoUringSocketConfig(this);
        config.setTcpNoDelay(true); // as Netty's; an accepted socket has its listener's
        ExitReset.arm(socket);
    }

    /** An accepted socket whose peer address its listener did not give. */
    RelayIoUringSocketChannel(Channel parent, LinuxSocket socket) {
        super(parent, socket, true);
        this.config = new RelayIoUringSocketConfig(this);
    }

    /** An accepted socket. */
    RelayIoUringSocketChannel(Channel parent, LinuxSocket socket, SocketAddress remote) {
        super(parent, socket, remote);
        this.config = new RelayIoUringSocketConfig(this);
    }

    @Override
    public void resetAtClose() {
        resetAtClose = true;
    }

    @Override
    public boolean shutdownOutputIfIdle() {
        return HalfClose.shutdownIfIdle(this, socket);
    }

    @Override
    protected void doClose() throws Exception {
        ExitReset.disarm(socket, resetAtClose);
        super.doClose();
    }

    @Override
    public ServerSocketChannel parent() {
        return (ServerSocketChannel) super.parent();
    }

    @Override
    public RelayIoUringSocketConfig config() {
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
}
