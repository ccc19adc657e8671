package org.hoststated.relay;

import io.netty.bootstrap.AbstractBootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFactory;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.AdoptedEpollServerSocketChannel;
import io.netty.channel.epoll.BackendEpollSocketChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.uring.AdoptedIoUringServerSocketChannel;
import io.netty.channel.uring.IoUring;
import io.netty.channel.uring.IoUringChannelOption;
import io.netty.channel.uring.IoUringIoHandler;
import io.netty.channel.uring.IoUringIoHandlerConfig;
import io.netty.channel.uring.PollHangups;
import io.netty.channel.uring.RelayIoUringSocketChannel;
import io.netty.util.concurrent.DefaultThreadFactory;
import org.hoststated.core.proc.EpollLoops;
import org.hoststated.core.proc.ShutdownCloses;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The native transport the relay engine's worker loops run on: its I/O handler, how it adopts
 * a listening socket passed by the parent, and its socket channel type for backend
 * connections. Chosen once at start; immutable.
 */
public abstract class RelayTransport {
    /** "epoll" or "io_uring", for the start-up log line. */
    public abstract String name();

    /** The I/O handler of each of {@code loops} worker loops. */
    public abstract IoHandlerFactory ioHandlerFactory(int loops);

    /**
     * Wraps {@code fd}, a socket that is already bound and listening (and non-blocking), as a
     * server channel; the channel owns the descriptor from then on.
     */
    public abstract ServerChannel adopt(int fd);

    /** Makes the channels of backend connections. */
    public abstract ChannelFactory<? extends Channel> socketChannels();

    /**
     * How the channels of this transport read: their read sizes, and on io_uring the receive
     * ring they take buffers from, {@code ring}.
     */
    public abstract void readOptions(AbstractBootstrap<?, ?> b, ReceiveRing ring);

    /**
     * {@link #readOptions} for the sessions a server bootstrap accepts, and, where their
     * channels would not disarm them at close, a linger time off ({@link ExitReset}).
     */
    public abstract void childOptions(ServerBootstrap b, ReceiveRing ring);

    /** {@code n} worker loops, threads named {@code name-<i>}. */
    public EventLoopGroup newWorkers(int n, String name) {
        return new MultiThreadIoEventLoopGroup(n, new DefaultThreadFactory(name, true), ioHandlerFactory(n));
    }

    /**
     * The epoll transport, available on every Linux this project supports; with Netty's own
     * accepted channels (and the reason logged) when this Netty no longer fits the adapter.
     */
    public static RelayTransport epoll() {
        Epoll.ensureAvailability();
        try {
            // Loads the adapters: a LinkageError here means Netty's internals changed.
            AdoptedEpollServerSocketChannel.class.getName();
            BackendEpollSocketChannel.class.getName();
            return EpollTransport.ADOPTED;
        } catch (LinkageError e) {
            log.warn("epoll adapter unusable, accepting with Netty's channels: {}", e.toString());
            return EpollTransport.NETTY;
        }
    }

    /** Epoll with Netty's own channels, as {@link #epoll} falls back to; for tests. */
    static RelayTransport nettyEpoll() {
        Epoll.ensureAvailability();
        return EpollTransport.NETTY;
    }

    /**
     * io_uring, or null with the reason logged when this kernel or JVM cannot run it (seccomp,
     * {@code kernel.io_uring_disabled}, a Netty whose internals no longer fit the adapter).
     */
    public static RelayTransport ioUring() {
        try {
            if (!IoUring.isAvailable()) {
                log.info("io_uring not available: {}", IoUring.unavailabilityCause().getMessage());
                return null;
            }
            // Loads the adapters: a LinkageError here means Netty's internals changed.
            AdoptedIoUringServerSocketChannel.class.getName();
            RelayIoUringSocketChannel.class.getName();
            if (!ReceiveRing.supported()) {
                log.info("io_uring without a receive buffer ring: this kernel has no incremental buffer rings");
                return IoUringTransport.WITHOUT_RING;
            }
            if (IoUring.isRecvMultishotEnabled() || IoUring.isRecvsendBundleEnabled()) {
                // A multishot receive goes on filling ring buffers after reading stopped for a
                // slow peer (2-25 MB queued in a relay test instead of 64 KiB plus one read).
                log.info("io_uring without a receive buffer ring: Netty's multishot receives or bundles are on "
                        + "(the relay engine runs with -Dio.netty.iouring.recvMultiShotEnabled=false "
                        + "-Dio.netty.iouring.recvsendBundleEnabled=false)");
                return IoUringTransport.WITHOUT_RING;
            }
            return IoUringTransport.WITH_RING;
        } catch (LinkageError e) {
            log.warn("io_uring adapter unusable: {}", e.toString());
            return null;
        }
    }

    /**
     * The fastest transport this kernel offers: io_uring (about a third of epoll's system calls
     * per request, RELAY-PERF.md), else epoll. The system property
     * {@code hoststated.relay.transport=epoll}, which the parent sets from its environment,
     * forces epoll.
     */
    public static RelayTransport best() {
        if ("epoll".equals(System.getProperty(TRANSPORT_PROPERTY))) {
            log.info("epoll asked for (HOSTSTATED_RELAY_TRANSPORT), io_uring not tried");
            return epoll();
        }
        RelayTransport t = ioUring();
        return t != null ? t : epoll();
    }

    public static final String TRANSPORT_PROPERTY = "hoststated.relay.transport";
    private static final Logger log = LoggerFactory.getLogger(RelayTransport.class);

    private static final class IoUringTransport extends RelayTransport {
        static final IoUringTransport WITH_RING = new IoUringTransport(true);
        static final IoUringTransport WITHOUT_RING = new IoUringTransport(false);

        /** Whether channels receive into the loop's {@link ReceiveRing}s. */
        private final boolean ring;

        private IoUringTransport(boolean ring) {
            this.ring = ring;
        }

        @Override
        public String name() {
            return "io_uring";
        }

        @Override
        public IoHandlerFactory ioHandlerFactory(int loops) {
            if (!ring) {
                return ShutdownCloses.wrapRing(PollHangups.wrap(IoUringIoHandler.newFactory()));
            }
            return ShutdownCloses.wrapRing(PollHangups.wrap(IoUringIoHandler.newFactory(new IoUringIoHandlerConfig()
                    .setBufferRingConfig(ReceiveRing.MESSAGES.config(loops), ReceiveRing.STREAMS.config(loops)))));
        }

        @Override
        public ServerChannel adopt(int fd) {
            return new AdoptedIoUringServerSocketChannel(fd);
        }

        @Override
        public ChannelFactory<? extends Channel> socketChannels() {
            return RelayIoUringSocketChannel::new;
        }

        @Override
        public void readOptions(AbstractBootstrap<?, ?> b, ReceiveRing receiveRing) {
            b.option(ChannelOption.RCVBUF_ALLOCATOR, reads());
            if (ring) {
                b.option(IoUringChannelOption.IO_URING_BUFFER_GROUP_ID, receiveRing.group);
            }
        }

        @Override
        public void childOptions(ServerBootstrap b, ReceiveRing receiveRing) {
            b.childOption(ChannelOption.RCVBUF_ALLOCATOR, reads());
            if (ring) {
                b.childOption(IoUringChannelOption.IO_URING_BUFFER_GROUP_ID, receiveRing.group);
            }
        }

        /** With the ring, the kernel sizes each read; without it a waiting receive holds its buffer. */
        private RelayReadSizes reads() {
            return ring ? SocketOptions.READS : SocketOptions.URING_READS;
        }
    }

    private static final class EpollTransport extends RelayTransport {
        static final EpollTransport ADOPTED = new EpollTransport(true);
        static final EpollTransport NETTY = new EpollTransport(false);

        /**
         * Whether listening sockets are adopted by {@link AdoptedEpollServerSocketChannel} and
         * backends connected by {@link BackendEpollSocketChannel}: channels that disarm their
         * sockets at an orderly close ({@link ExitReset}).
         */
        private final boolean adapter;

        private EpollTransport(boolean adapter) {
            this.adapter = adapter;
        }

        @Override
        public String name() {
            return "epoll";
        }

        @Override
        public IoHandlerFactory ioHandlerFactory(int loops) {
            return EpollLoops.newFactory();
        }

        @Override
        public ServerChannel adopt(int fd) {
            return adapter ? new AdoptedEpollServerSocketChannel(fd) : new EpollServerSocketChannel(fd);
        }

        @Override
        public ChannelFactory<? extends Channel> socketChannels() {
            return adapter ? BackendEpollSocketChannel::new : EpollSocketChannel::new;
        }

        @Override
        public void readOptions(AbstractBootstrap<?, ?> b, ReceiveRing ring) {
            b.option(ChannelOption.RCVBUF_ALLOCATOR, SocketOptions.READS);
        }

        @Override
        public void childOptions(ServerBootstrap b, ReceiveRing ring) {
            b.childOption(ChannelOption.RCVBUF_ALLOCATOR, SocketOptions.READS);
            if (!adapter) {
                // Netty's channels inherit the listening socket's arming and would not clear it:
                // each orderly close would be a reset. Cleared at once (one system call each).
                b.childOption(ChannelOption.SO_LINGER, -1);
            }
        }
    }
}
