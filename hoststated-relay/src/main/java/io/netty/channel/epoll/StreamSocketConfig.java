package io.netty.channel.epoll;

import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.ChannelOption;
import io.netty.channel.MessageSizeEstimator;
import io.netty.channel.RecvByteBufAllocator;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.socket.SocketChannelConfig;
import java.util.Map;
import org.hoststated.relay.SocketChannelOptions;

/**
 * The socket options of a relay's epoll stream channel ({@link AcceptedEpollSocketChannel},
 * {@link BackendEpollSocketChannel}), each one system call when used: what Netty's
 * {@code EpollSocketChannelConfig} offers a relay, whose constructor takes Netty's own channel
 * only.
 */
public final class StreamSocketConfig extends EpollChannelConfig implements SocketChannelConfig {
    private volatile boolean allowHalfClosure;

    StreamSocketConfig(AbstractEpollStreamChannel channel) {
        super(channel);
    }

    @Override
    public Map<ChannelOption<?>, Object> getOptions() {
        return getOptions(super.getOptions(), SocketChannelOptions.OPTIONS);
    }

    @SuppressWarnings("unchecked")
    @Override
    public <T> T getOption(ChannelOption<T> option) {
        Object value = SocketChannelOptions.get(this, option);
        return value != null ? (T) value : super.getOption(option);
    }

    @Override
    public <T> boolean setOption(ChannelOption<T> option, T value) {
        validate(option, value);
        return SocketChannelOptions.set(this, option, value) || super.setOption(option, value);
    }

    private StreamSocketConfig set(SocketChannelOptions.Setter setter) {
        SocketChannelOptions.write(setter);
        return this;
    }

    @Override
    public int getReceiveBufferSize() {
        return SocketChannelOptions.read(() -> socket().getReceiveBufferSize());
    }

    @Override
    public int getSendBufferSize() {
        return SocketChannelOptions.read(() -> socket().getSendBufferSize());
    }

    @Override
    public int getSoLinger() {
        return SocketChannelOptions.read(() -> socket().getSoLinger());
    }

    @Override
    public int getTrafficClass() {
        return SocketChannelOptions.read(() -> socket().getTrafficClass());
    }

    @Override
    public boolean isKeepAlive() {
        return SocketChannelOptions.read(() -> socket().isKeepAlive());
    }

    @Override
    public boolean isReuseAddress() {
        return SocketChannelOptions.read(() -> socket().isReuseAddress());
    }

    @Override
    public boolean isTcpNoDelay() {
        return SocketChannelOptions.read(() -> socket().isTcpNoDelay());
    }

    @Override
    public boolean isAllowHalfClosure() {
        return allowHalfClosure;
    }

    @Override
    public StreamSocketConfig setReceiveBufferSize(int size) {
        return set(() -> socket().setReceiveBufferSize(size));
    }

    /** As Netty's: writes gather up to twice the send buffer. */
    @Override
    public StreamSocketConfig setSendBufferSize(int size) {
        set(() -> socket().setSendBufferSize(size));
        int gather = getSendBufferSize() << 1;
        if (gather > 0) {
            setMaxBytesPerGatheringWrite(gather);
        }
        return this;
    }

    @Override
    public StreamSocketConfig setSoLinger(int seconds) {
        return set(() -> socket().setSoLinger(seconds));
    }

    @Override
    public StreamSocketConfig setTrafficClass(int trafficClass) {
        return set(() -> socket().setTrafficClass(trafficClass));
    }

    @Override
    public StreamSocketConfig setKeepAlive(boolean keepAlive) {
        return set(() -> socket().setKeepAlive(keepAlive));
    }

    @Override
    public StreamSocketConfig setReuseAddress(boolean reuseAddress) {
        return set(() -> socket().setReuseAddress(reuseAddress));
    }

    @Override
    public StreamSocketConfig setTcpNoDelay(boolean tcpNoDelay) {
        return set(() -> socket().setTcpNoDelay(tcpNoDelay));
    }

    @Override
    public StreamSocketConfig setAllowHalfClosure(boolean allowHalfClosure) {
        this.allowHalfClosure = allowHalfClosure;
        return this;
    }

    @Override
    public StreamSocketConfig setPerformancePreferences(int connectionTime, int latency, int bandwidth) {
        return this;
    }

    // Netty's own setters, returning this config's type as SocketChannelConfig requires.

    @Override
    public StreamSocketConfig setConnectTimeoutMillis(int connectTimeoutMillis) {
        super.setConnectTimeoutMillis(connectTimeoutMillis);
        return this;
    }

    @Override
    @Deprecated
    public StreamSocketConfig setMaxMessagesPerRead(int maxMessagesPerRead) {
        super.setMaxMessagesPerRead(maxMessagesPerRead);
        return this;
    }

    @Override
    public StreamSocketConfig setWriteSpinCount(int writeSpinCount) {
        super.setWriteSpinCount(writeSpinCount);
        return this;
    }

    @Override
    public StreamSocketConfig setAllocator(ByteBufAllocator allocator) {
        super.setAllocator(allocator);
        return this;
    }

    @Override
    public StreamSocketConfig setRecvByteBufAllocator(RecvByteBufAllocator allocator) {
        super.setRecvByteBufAllocator(allocator);
        return this;
    }

    @Override
    public StreamSocketConfig setAutoRead(boolean autoRead) {
        super.setAutoRead(autoRead);
        return this;
    }

    @Override
    public StreamSocketConfig setAutoClose(boolean autoClose) {
        super.setAutoClose(autoClose);
        return this;
    }

    @Override
    @Deprecated
    public StreamSocketConfig setWriteBufferHighWaterMark(int writeBufferHighWaterMark) {
        super.setWriteBufferHighWaterMark(writeBufferHighWaterMark);
        return this;
    }

    @Override
    @Deprecated
    public StreamSocketConfig setWriteBufferLowWaterMark(int writeBufferLowWaterMark) {
        super.setWriteBufferLowWaterMark(writeBufferLowWaterMark);
        return this;
    }

    @Override
    public StreamSocketConfig setWriteBufferWaterMark(WriteBufferWaterMark writeBufferWaterMark) {
        super.setWriteBufferWaterMark(writeBufferWaterMark);
        return this;
    }

    @Override
    public StreamSocketConfig setMessageSizeEstimator(MessageSizeEstimator estimator) {
        super.setMessageSizeEstimator(estimator);
        return this;
    }
}
