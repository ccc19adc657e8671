package io.netty.channel.uring;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.util.Version;
import java.lang.reflect.Constructor;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;

/**
 * Fails loudly when Netty's io_uring internals no longer have the shape
 * {@link AdoptedIoUringServerSocketChannel} relies on; then update the adapter (or fall back to
 * epoll) before moving the Netty version. The relay tests on io_uring check it works.
 */
class AdoptedIoUringServerSocketChannelTest {
    @Test
    void nettyIsThePinnedVersion() {
        assertEquals("4.2.18.Final", Version.identify().get("netty-transport-classes-io_uring").artifactVersion(),
                "the io_uring adapter was written against Netty 4.2.18.Final");
    }

    @Test
    void internalShapeIsWhatTheAdapterUses() throws Exception {
        Constructor<AbstractIoUringServerChannel> c =
                AbstractIoUringServerChannel.class.getDeclaredConstructor(LinuxSocket.class, boolean.class);
        assertTrue(Modifier.isProtected(c.getModifiers()));
        Method child = AbstractIoUringServerChannel.class.getDeclaredMethod("newChildChannel", int.class, ByteBuffer.class);
        assertTrue(Modifier.isAbstract(child.getModifiers()));
        LinuxSocket.class.getDeclaredConstructor(int.class);
        IoUringServerSocketChannelConfig.class.getDeclaredConstructor(AbstractIoUringServerChannel.class);
        IoUringSocketChannel.class.getDeclaredConstructor(io.netty.channel.Channel.class, LinuxSocket.class,
                java.net.SocketAddress.class);
        SockaddrIn.class.getDeclaredMethod("getIPv4", ByteBuffer.class, byte[].class);
        SockaddrIn.class.getDeclaredMethod("getIPv6", ByteBuffer.class, byte[].class, byte[].class);
        // The adapter overrides every abstract method: it would not have loaded otherwise.
        assertTrue(!Modifier.isAbstract(AdoptedIoUringServerSocketChannel.class.getModifiers()));
    }
}
