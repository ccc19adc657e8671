package org.hoststated.relay;

import io.netty.channel.Channel;
import io.netty.channel.ChannelFactory;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.util.concurrent.DefaultThreadFactory;

/**
 * The native transport the relay engine's worker loops run on: its I/O handler, how it adopts
 * a listening socket passed by the parent, and its socket channel type for backend
 * connections. Chosen once at start; immutable.
 */
public abstract class RelayTransport {
    /** "epoll" or "io_uring", for the start-up log line. */
    public abstract String name();

    public abstract IoHandlerFactory ioHandlerFactory();

    /**
     * Wraps {@code fd}, a socket that is already bound and listening (and non-blocking), as a
     * server channel; the channel owns the descriptor from then on.
     */
    public abstract ServerChannel adopt(int fd);

    /** Makes the channels of backend connections. */
    public abstract ChannelFactory<? extends Channel> socketChannels();

    /** {@code n} worker loops, threads named {@code name-<i>}. */
    public EventLoopGroup newWorkers(int n, String name) {
        return new MultiThreadIoEventLoopGroup(n, new DefaultThreadFactory(name, true), ioHandlerFactory());
    }

    /** The epoll transport, available on every Linux this project supports. */
    public static RelayTransport epoll() {
        Epoll.ensureAvailability();
        return EpollTransport.INSTANCE;
    }

    /** The fastest transport this kernel offers. */
    public static RelayTransport best() {
        return epoll();
    }

    private static final class EpollTransport extends RelayTransport {
        static final EpollTransport INSTANCE = new EpollTransport();

        @Override
        public String name() {
            return "epoll";
        }

        @Override
        public IoHandlerFactory ioHandlerFactory() {
            return EpollIoHandler.newFactory();
        }

        @Override
        public ServerChannel adopt(int fd) {
            return new EpollServerSocketChannel(fd);
        }

        @Override
        public ChannelFactory<? extends Channel> socketChannels() {
            return EpollSocketChannel::new;
        }
    }
}
