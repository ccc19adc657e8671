package io.netty.channel.epoll;

import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.ChannelException;
import io.netty.channel.ChannelOption;
import io.netty.channel.MessageSizeEstimator;
import io.netty.channel.RecvByteBufAllocator;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.socket.ServerSocketChannel;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.SocketChannelConfig;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.Map;
import org.hoststated.core.proc.EpollLoops;

/**
 * A connection accepted by an {@link AdoptedEpollServerSocketChannel}: Netty's epoll stream
 * channel without the system calls {@code EpollSocketChannel} makes for every connection and a
 * relay does not need. Its local address is the listening socket's (asked of the kernel only
 * after a wildcard bind, and only when wanted), not a {@code getsockname} at creation;
 * {@code TCP_NODELAY} is inherited from the listening socket, not set again; no
 * {@code SO_SNDBUF} is read to size gathering writes (Netty adapts that bound to what the
 * socket takes); no {@code SO_LINGER} is read at close, because the relay never sets a linger
 * time (a close that lingers would block the loop). Options set through {@link #config} work as
 * on Netty's channel. Its handle is an {@link EpollLoops.LateJoiner}: the connection is read
 * once before it joins the epoll set, and stays out of it while its reading is off and its
 * owner said it may ({@link #mayStayOutOfEpoll}).
 */
public final class AcceptedEpollSocketChannel extends AbstractEpollStreamChannel implements SocketChannel {
    private final AdoptedEpollServerSocketChannel parent;
    private final InetSocketAddress remote;
    private final Config config;
    private volatile InetSocketAddress local;
    /** Whether the connection may stay out of the epoll set while it does not read; on its loop. */
    private boolean mayStayOut;
    /** Whether the connection has joined its loop's epoll set; on its loop. */
    private boolean joined;

    AcceptedEpollSocketChannel(AdoptedEpollServerSocketChannel parent, LinuxSocket socket, InetSocketAddress remote) {
        // Netty's constructor for an inactive socket: it asks the kernel for no address.
        super(socket, false);
        this.parent = parent;
        this.remote = remote;
        this.local = parent.childLocalAddress();
        this.config = new Config(this);
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
    public Config config() {
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

    /** The socket options of {@link SocketChannelConfig}, each one system call when used. */
    public static final class Config extends EpollChannelConfig implements SocketChannelConfig {
        private volatile boolean allowHalfClosure;

        Config(AcceptedEpollSocketChannel channel) {
            super(channel);
        }

        @Override
        public Map<ChannelOption<?>, Object> getOptions() {
            return getOptions(super.getOptions(), ChannelOption.SO_RCVBUF, ChannelOption.SO_SNDBUF,
                    ChannelOption.TCP_NODELAY, ChannelOption.SO_KEEPALIVE, ChannelOption.SO_REUSEADDR,
                    ChannelOption.SO_LINGER, ChannelOption.IP_TOS, ChannelOption.ALLOW_HALF_CLOSURE);
        }

        @SuppressWarnings("unchecked")
        @Override
        public <T> T getOption(ChannelOption<T> option) {
            Object value;
            if (option == ChannelOption.SO_RCVBUF) {
                value = getReceiveBufferSize();
            } else if (option == ChannelOption.SO_SNDBUF) {
                value = getSendBufferSize();
            } else if (option == ChannelOption.TCP_NODELAY) {
                value = isTcpNoDelay();
            } else if (option == ChannelOption.SO_KEEPALIVE) {
                value = isKeepAlive();
            } else if (option == ChannelOption.SO_REUSEADDR) {
                value = isReuseAddress();
            } else if (option == ChannelOption.SO_LINGER) {
                value = getSoLinger();
            } else if (option == ChannelOption.IP_TOS) {
                value = getTrafficClass();
            } else if (option == ChannelOption.ALLOW_HALF_CLOSURE) {
                value = isAllowHalfClosure();
            } else {
                return super.getOption(option);
            }
            return (T) value;
        }

        @Override
        public <T> boolean setOption(ChannelOption<T> option, T value) {
            validate(option, value);
            if (option == ChannelOption.SO_RCVBUF) {
                setReceiveBufferSize((Integer) value);
            } else if (option == ChannelOption.SO_SNDBUF) {
                setSendBufferSize((Integer) value);
            } else if (option == ChannelOption.TCP_NODELAY) {
                setTcpNoDelay((Boolean) value);
            } else if (option == ChannelOption.SO_KEEPALIVE) {
                setKeepAlive((Boolean) value);
            } else if (option == ChannelOption.SO_REUSEADDR) {
                setReuseAddress((Boolean) value);
            } else if (option == ChannelOption.SO_LINGER) {
                setSoLinger((Integer) value);
            } else if (option == ChannelOption.IP_TOS) {
                setTrafficClass((Integer) value);
            } else if (option == ChannelOption.ALLOW_HALF_CLOSURE) {
                setAllowHalfClosure((Boolean) value);
            } else {
                return super.setOption(option, value);
            }
            return true;
        }

        /** Reads a socket option; a refusal is the ChannelException Netty's configs throw. */
        private interface Getter<T> {
            T get() throws IOException;
        }

        /** Sets a socket option. */
        private interface Setter {
            void set() throws IOException;
        }

        private static <T> T get(Getter<T> getter) {
            try {
                return getter.get();
            } catch (IOException e) {
                throw new ChannelException(e);
            }
        }

        private Config set(Setter setter) {
            try {
                setter.set();
            } catch (IOException e) {
                throw new ChannelException(e);
            }
            return this;
        }

        @Override
        public int getReceiveBufferSize() {
            return get(() -> socket().getReceiveBufferSize());
        }

        @Override
        public int getSendBufferSize() {
            return get(() -> socket().getSendBufferSize());
        }

        @Override
        public int getSoLinger() {
            return get(() -> socket().getSoLinger());
        }

        @Override
        public int getTrafficClass() {
            return get(() -> socket().getTrafficClass());
        }

        @Override
        public boolean isKeepAlive() {
            return get(() -> socket().isKeepAlive());
        }

        @Override
        public boolean isReuseAddress() {
            return get(() -> socket().isReuseAddress());
        }

        @Override
        public boolean isTcpNoDelay() {
            return get(() -> socket().isTcpNoDelay());
        }

        @Override
        public boolean isAllowHalfClosure() {
            return allowHalfClosure;
        }

        @Override
        public Config setReceiveBufferSize(int size) {
            return set(() -> socket().setReceiveBufferSize(size));
        }

        /** As Netty's: writes gather up to twice the send buffer. */
        @Override
        public Config setSendBufferSize(int size) {
            set(() -> socket().setSendBufferSize(size));
            int gather = getSendBufferSize() << 1;
            if (gather > 0) {
                setMaxBytesPerGatheringWrite(gather);
            }
            return this;
        }

        @Override
        public Config setSoLinger(int seconds) {
            return set(() -> socket().setSoLinger(seconds));
        }

        @Override
        public Config setTrafficClass(int trafficClass) {
            return set(() -> socket().setTrafficClass(trafficClass));
        }

        @Override
        public Config setKeepAlive(boolean keepAlive) {
            return set(() -> socket().setKeepAlive(keepAlive));
        }

        @Override
        public Config setReuseAddress(boolean reuseAddress) {
            return set(() -> socket().setReuseAddress(reuseAddress));
        }

        @Override
        public Config setTcpNoDelay(boolean tcpNoDelay) {
            return set(() -> socket().setTcpNoDelay(tcpNoDelay));
        }

        @Override
        public Config setAllowHalfClosure(boolean allowHalfClosure) {
            this.allowHalfClosure = allowHalfClosure;
            return this;
        }

        @Override
        public Config setPerformancePreferences(int connectionTime, int latency, int bandwidth) {
            return this;
        }

        // Netty's own setters, returning this config's type as SocketChannelConfig requires.

        @Override
        public Config setConnectTimeoutMillis(int connectTimeoutMillis) {
            super.setConnectTimeoutMillis(connectTimeoutMillis);
            return this;
        }

        @Override
        @Deprecated
        public Config setMaxMessagesPerRead(int maxMessagesPerRead) {
            super.setMaxMessagesPerRead(maxMessagesPerRead);
            return this;
        }

        @Override
        public Config setWriteSpinCount(int writeSpinCount) {
            super.setWriteSpinCount(writeSpinCount);
            return this;
        }

        @Override
        public Config setAllocator(ByteBufAllocator allocator) {
            super.setAllocator(allocator);
            return this;
        }

        @Override
        public Config setRecvByteBufAllocator(RecvByteBufAllocator allocator) {
            super.setRecvByteBufAllocator(allocator);
            return this;
        }

        @Override
        public Config setAutoRead(boolean autoRead) {
            super.setAutoRead(autoRead);
            return this;
        }

        @Override
        public Config setAutoClose(boolean autoClose) {
            super.setAutoClose(autoClose);
            return this;
        }

        @Override
        @Deprecated
        public Config setWriteBufferHighWaterMark(int writeBufferHighWaterMark) {
            super.setWriteBufferHighWaterMark(writeBufferHighWaterMark);
            return this;
        }

        @Override
        @Deprecated
        public Config setWriteBufferLowWaterMark(int writeBufferLowWaterMark) {
            super.setWriteBufferLowWaterMark(writeBufferLowWaterMark);
            return this;
        }

        @Override
        public Config setWriteBufferWaterMark(WriteBufferWaterMark writeBufferWaterMark) {
            super.setWriteBufferWaterMark(writeBufferWaterMark);
            return this;
        }

        @Override
        public Config setMessageSizeEstimator(MessageSizeEstimator estimator) {
            super.setMessageSizeEstimator(estimator);
            return this;
        }
    }
}
