package org.hoststated.relay;

import io.netty.channel.ChannelException;
import io.netty.channel.ChannelOption;
import io.netty.channel.socket.SocketChannelConfig;
import java.io.IOException;

/**
 * The options of Netty's {@link SocketChannelConfig}, for the relay's own configurations of its
 * epoll and io_uring stream channels ({@code io.netty.channel.epoll.StreamSocketConfig},
 * {@code io.netty.channel.uring.RelayIoUringSocketConfig}): Netty's configurations of those
 * transports work on Netty's own channels only, which are final. Each option is read and set
 * through the configuration's typed methods, one system call on its socket each.
 */
public final class SocketChannelOptions {
    /** The options, for {@code getOptions}. */
    public static final ChannelOption<?>[] OPTIONS = {ChannelOption.SO_RCVBUF, ChannelOption.SO_SNDBUF,
        ChannelOption.TCP_NODELAY, ChannelOption.SO_KEEPALIVE, ChannelOption.SO_REUSEADDR, ChannelOption.SO_LINGER,
        ChannelOption.IP_TOS, ChannelOption.ALLOW_HALF_CLOSURE};

    private SocketChannelOptions() {
    }

    /** {@code c}'s value of {@code option}, or null when {@code option} is not one of {@link #OPTIONS}. */
    public static Object get(SocketChannelConfig c, ChannelOption<?> option) {
        if (option == ChannelOption.SO_RCVBUF) {
            return c.getReceiveBufferSize();
        } else if (option == ChannelOption.SO_SNDBUF) {
            return c.getSendBufferSize();
        } else if (option == ChannelOption.TCP_NODELAY) {
            return c.isTcpNoDelay();
        } else if (option == ChannelOption.SO_KEEPALIVE) {
            return c.isKeepAlive();
        } else if (option == ChannelOption.SO_REUSEADDR) {
            return c.isReuseAddress();
        } else if (option == ChannelOption.SO_LINGER) {
            return c.getSoLinger();
        } else if (option == ChannelOption.IP_TOS) {
            return c.getTrafficClass();
        } else if (option == ChannelOption.ALLOW_HALF_CLOSURE) {
            return c.isAllowHalfClosure();
        }
        return null;
    }

    /**
     * Sets {@code option} on {@code c} to {@code value}, which the caller has validated; false
     * when {@code option} is not one of {@link #OPTIONS}.
     */
    public static boolean set(SocketChannelConfig c, ChannelOption<?> option, Object value) {
        if (option == ChannelOption.SO_RCVBUF) {
            c.setReceiveBufferSize((Integer) value);
        } else if (option == ChannelOption.SO_SNDBUF) {
            c.setSendBufferSize((Integer) value);
        } else if (option == ChannelOption.TCP_NODELAY) {
            c.setTcpNoDelay((Boolean) value);
        } else if (option == ChannelOption.SO_KEEPALIVE) {
            c.setKeepAlive((Boolean) value);
        } else if (option == ChannelOption.SO_REUSEADDR) {
            c.setReuseAddress((Boolean) value);
        } else if (option == ChannelOption.SO_LINGER) {
            c.setSoLinger((Integer) value);
        } else if (option == ChannelOption.IP_TOS) {
            c.setTrafficClass((Integer) value);
        } else if (option == ChannelOption.ALLOW_HALF_CLOSURE) {
            c.setAllowHalfClosure((Boolean) value);
        } else {
            return false;
        }
        return true;
    }

    /** Reads a socket option. */
    public interface Getter<T> {
        T get() throws IOException;
    }

    /** Sets a socket option. */
    public interface Setter {
        void set() throws IOException;
    }

    /** What {@code getter} reads; a refusal is the ChannelException Netty's configurations throw. */
    public static <T> T read(Getter<T> getter) {
        try {
            return getter.get();
        } catch (IOException e) {
            throw new ChannelException(e);
        }
    }

    /** Runs {@code setter}; a refusal is the ChannelException Netty's configurations throw. */
    public static void write(Setter setter) {
        try {
            setter.set();
        } catch (IOException e) {
            throw new ChannelException(e);
        }
    }
}
