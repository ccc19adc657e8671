package io.netty.channel.uring;

import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.ChannelOption;
import io.netty.channel.MessageSizeEstimator;
import io.netty.channel.RecvByteBufAllocator;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.socket.SocketChannelConfig;
import java.util.Map;
import org.hoststated.relay.SocketChannelOptions;

/**
 * The socket options of a {@link RelayIoUringSocketChannel}, each one system call when used:
 * what Netty's {@code IoUringSocketChannelConfig} offers a relay; that one works on Netty's own
 * channel only. The typed methods repeat those of the epoll channels' {@code StreamSocketConfig}
 * on another base class, as {@link SocketChannelConfig}'s return types require.
 */
public final class RelayIoUringSocketConfig extends IoUringStreamChannelConfig implements SocketChannelConfig {
    private volatile boolean allowHalfClosure;

    RelayIoUringSocketConfig(AbstractIoUringChannel channel) {
        super(channel);
    }

    private LinuxSocket socket() {
        return ((AbstractIoUringChannel) channel).socket;
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

    private RelayIoUringSocketConfig set(SocketChannelOptions.Setter setter) {
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
    public RelayIoUringSocketConfig setReceiveBufferSize(int size) {
        return set(() -> socket().setReceiveBufferSize(size));
    }

    @Override
    public RelayIoUringSocketConfig setSendBufferSize(int size) {
        return set(() -> socket().setSendBufferSize(size));
    }

    @Override
    public RelayIoUringSocketConfig setSoLinger(int seconds) {
        return set(() -> socket().setSoLinger(seconds));
    }

    @Override
    public RelayIoUringSocketConfig setTrafficClass(int trafficClass) {
        return set(() -> socket().setTrafficClass(trafficClass));
    }

    @Override
    public RelayIoUringSocketConfig setKeepAlive(boolean keepAlive) {
        return set(() -> socket().setKeepAlive(keepAlive));
    }

    @Override
    public RelayIoUringSocketConfig setReuseAddress(boolean reuseAddress) {
        return set(() -> socket().setReuseAddress(reuseAddress));
    }

    @Override
    public RelayIoUringSocketConfig setTcpNoDelay(boolean tcpNoDelay) {
        return set(() -> socket().setTcpNoDelay(tcpNoDelay));
    }

    @Override
    public RelayIoUringSocketConfig setAllowHalfClosure(boolean allowHalfClosure) {
        this.allowHalfClosure = allowHalfClosure;
        return this;
    }

    @Override
    public RelayIoUringSocketConfig setPerformancePreferences(int connectionTime, int latency, int bandwidth) {
        return this;
    }

    // Netty's own setters, returning this config's type as SocketChannelConfig requires.

    @Override
    public RelayIoUringSocketConfig setConnectTimeoutMillis(int connectTimeoutMillis) {
        super.setConnectTimeoutMillis(connectTimeoutMillis);
        return this;
    }

    @Override
    @Deprecated
    public RelayIoUringSocketConfig setMaxMessagesPerRead(int maxMessagesPerRead) {
        super.setMaxMessagesPerRead(maxMessagesPerRead);
        return this;
    }

    @Override
    public RelayIoUringSocketConfig setWriteSpinCount(int writeSpinCount) {
        super.setWriteSpinCount(writeSpinCount);
        return this;
    }

    @Override
    public RelayIoUringSocketConfig setAllocator(ByteBufAllocator allocator) {
        super.setAllocator(allocator);
        return this;
    }

    @Override
    public RelayIoUringSocketConfig setRecvByteBufAllocator(RecvByteBufAllocator allocator) {
        super.setRecvByteBufAllocator(allocator);
        return this;
    }

    @Override
    public RelayIoUringSocketConfig setAutoRead(boolean autoRead) {
        super.setAutoRead(autoRead);
        return this;
    }

    @Override
    public RelayIoUringSocketConfig setAutoClose(boolean autoClose) {
        super.setAutoClose(autoClose);
        return this;
    }

    @Override
    @Deprecated
    public RelayIoUringSocketConfig setWriteBufferHighWaterMark(int writeBufferHighWaterMark) {
        super.setWriteBufferHighWaterMark(writeBufferHighWaterMark);
        return this;
    }

    @Override
    @Deprecated
    public RelayIoUringSocketConfig setWriteBufferLowWaterMark(int writeBufferLowWaterMark) {
        super.setWriteBufferLowWaterMark(writeBufferLowWaterMark);
        return this;
    }

    @Override
    public RelayIoUringSocketConfig setWriteBufferWaterMark(WriteBufferWaterMark writeBufferWaterMark) {
        super.setWriteBufferWaterMark(writeBufferWaterMark);
        return this;
    }

    @Override
    public RelayIoUringSocketConfig setMessageSizeEstimator(MessageSizeEstimator estimator) {
        super.setMessageSizeEstimator(estimator);
        return this;
    }
}
