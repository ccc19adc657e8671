package io.netty.channel.epoll;

import io.netty.channel.socket.ServerSocketChannel;
import io.netty.channel.socket.SocketChannel;
import java.net.InetSocketAddress;
import org.hoststated.core.proc.EpollLoops;
import org.hoststated.relay.ExitReset;
import org.hoststated.relay.HalfClose;

/**
 * A connection accepted by an {@link AdoptedEpollServerSocketChannel}: Netty's epoll stream
 * channel without the system calls {@code EpollSocketChannel} makes for every connection and a
 * relay does not need. Its local address is the listening socket's (asked of the kernel only after
 * a wildcard bind, and only when wanted), not a {@code getsockname} at creation;
 * {@code TCP_NODELAY} is inherited from the listening socket, not set again; no {@code SO_SNDBUF}
 * is read to size gathering writes (Netty adapts that bound to what the socket takes); no
 * {@code SO_LINGER} is read at close, which Netty does to hand a close that lingers to another
 * thread: a relay socket's linger time is 0, inherited from its listening socket, or off once
 * disarmed at an orderly close ({@link ExitReset}). Options set through {@link #config} work as on
 * Netty's channel. Its handle is an {@link EpollLoops.LateJoiner}: the connection is read once
 * before it joins the epoll set, and stays out of it while its reading is off and its owner said
 * it may ({@link #mayStayOutOfEpoll}).
 */
public final class AcceptedEpollSocketChannel extends AbstractEpollStreamChannel
        implements SocketChannel, ExitReset.Armed, HalfClose.Quiet {
    private final AdoptedEpollServerSocketChannel parent;
    private final InetSocketAddress remote;
    private final StreamSocketConfig config;
    private volatile InetSocketAddress local;
    /** Whether the connection may stay out of the epoll set while it does not read; on its loop. */
    private boolean mayStayOut;
    /** Whether the connection has joined its loop's epoll set; on its loop. */
    private boolean joined;
    /** Whether the coming close is a reset the relay chose; on its loop. */
    private boolean resetAtClose;

    AcceptedEpollSocketChannel(AdoptedEpollServerSocketChannel parent, LinuxSocket socket, InetSocketAddress remote) {
        // Netty's constructor for an inactive socket: it asks the kernel for no address.
        super(socket, false);
        this.parent = parent;
        this.remote = remote;
        this.local = parent.childLocalAddress();
        this.config = new StreamSocketConfig(this);
        active = true;
    }

    /**
     * Lets the connection stay out of the epoll set while its reading is off, if it has not
     * joined it yet: a reset then goes unseen until the next read or write.
     */
    public void mayStayOutOfEpoll(boolean may) {
        mayStayOut = may;
    }

    /**
     * Whether the connection is still out of its loop's epoll set: it was read at once and has
     * not had to wait for anything since. Once in, it stays in until its close.
     */
    public boolean outOfEpoll() {
        return !joined;
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
    protected AbstractEpollUnsafe newUnsafe() {
        return new LateJoiningUnsafe();
    }

    /** Netty's stream handling, as a late joiner of the loop's epoll set. */
    private final class LateJoiningUnsafe extends EpollStreamUnsafe implements EpollLoops.LateJoiner {
        @Override
        public boolean mayStayOut() {
            return mayStayOut;
        }

        @Override
        public void joined() {
            joined = true;
        }
    }

    @Override
    public ServerSocketChannel parent() {
        return parent;
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

    @Override
    protected InetSocketAddress localAddress0() {
        InetSocketAddress l = local;
        if (l == null && socket.isOpen()) {
            l = (InetSocketAddress) socket.localAddress();
            local = l;
        }
        return l;
    }

    @Override
    protected InetSocketAddress remoteAddress0() {
        return remote;
    }
}
