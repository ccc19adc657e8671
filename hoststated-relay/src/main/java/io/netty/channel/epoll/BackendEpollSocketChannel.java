package io.netty.channel.epoll;

import io.netty.channel.socket.ServerSocketChannel;
import io.netty.channel.socket.SocketChannel;
import java.net.InetSocketAddress;
import org.hoststated.relay.ExitReset;

/**
 * A relay's connection to a backend on epoll: Netty's {@code EpollSocketChannel}, whose close
 * disarms the socket ({@link ExitReset}) and which reads no {@code SO_LINGER} at close (the
 * socket's linger time is 0 or off, never one to wait for). Netty's class is final. Options
 * set through {@link #config} work as on Netty's channel. Tied to the pinned Netty version as
 * {@link AdoptedEpollServerSocketChannel} is.
 */
public final class BackendEpollSocketChannel extends AbstractEpollStreamChannel
        implements SocketChannel, ExitReset.Armed {
    private final StreamSocketConfig config;
    /** Whether the coming close is a reset the relay chose; on its loop. */
    private boolean resetAtClose;

    /** A new socket, of the family Netty's channel takes (IPv6 where the host has it), armed. */
    public BackendEpollSocketChannel() {
        super(LinuxSocket.newSocketStream(), false);
        this.config = new StreamSocketConfig(this);
        config.setTcpNoDelay(true); // as Netty's
        ExitReset.arm(socket);
    }

    @Override
    public void resetAtClose() {
        resetAtClose = true;
    }

    @Override
    protected void doClose() throws Exception {
        ExitReset.disarm(socket, resetAtClose);
        super.doClose();
    }

    @Override
    public ServerSocketChannel parent() {
        return null;
    }

    @Override
    public StreamSocketConfig config() {
        return config;
    }

    @Override
    public InetSocketAddress localAddress() {
        return (InetSocketAddress) super.localAddress();
    }

    @Override
    public InetSocketAddress remoteAddress() {
        return (InetSocketAddress) super.remoteAddress();
    }
}
