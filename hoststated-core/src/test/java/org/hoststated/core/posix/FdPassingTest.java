package org.hoststated.core.posix;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;

import org.junit.jupiter.api.Test;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.unix.Socket;

class FdPassingTest {

    @Test
    void passedListeningSocketAcceptsThroughNetty() throws Exception {
        Epoll.ensureAvailability();
        Socket listener = Socket.newSocketStream();
        listener.bind(new InetSocketAddress("127.0.0.1", 0));
        listener.listen(16);
        int port = listener.localAddress().getPort();
        int[] sv = SocketPair.open();

        FdPassing.send(sv[0], ByteBuffer.wrap("listen relay1".getBytes(StandardCharsets.US_ASCII)), listener.intValue());
        listener.close(); // the receiver's copy keeps the socket listening
        FdPassing.Received r = FdPassing.receive(sv[1], FdPassing.MAX_TAG);

        assertFalse(r.eof());
        assertEquals("listen relay1", StandardCharsets.US_ASCII.decode(r.tag()).toString());
        assertTrue(r.fd() >= 0);
        assertTrue(Fds.isCloexec(r.fd()), "received fds are close-on-exec");

        EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
        try {
            Channel server = new ServerBootstrap().group(group)
                    .channelFactory(() -> new EpollServerSocketChannel(r.fd()))
                    .childHandler(new ChannelInboundHandlerAdapter() {
                        @Override
                        public void channelActive(ChannelHandlerContext ctx) {
                            ctx.writeAndFlush(Unpooled.copiedBuffer("hello\n", StandardCharsets.US_ASCII))
                                    .addListener(ChannelFutureListener.CLOSE);
                        }
                    })
                    .register().sync().channel();
            try (SocketChannel client = SocketChannel.open(new InetSocketAddress("127.0.0.1", port))) {
                ByteBuffer in = ByteBuffer.allocate(16);
                while (client.read(in) >= 0) {
                    // read until the server closes
                }
                assertEquals("hello\n", new String(in.array(), 0, in.position(), StandardCharsets.US_ASCII));
            }
            server.close().sync();
        } finally {
            group.shutdownGracefully().sync();
        }
        SocketPair.close(sv[0]);
        SocketPair.close(sv[1]);
    }

    @Test
    void tagWithoutFdAndEof() throws Exception {
        int[] sv = SocketPair.open();
        ByteBuffer direct = ByteBuffer.allocateDirect(8);
        direct.put("abc".getBytes(StandardCharsets.US_ASCII)).flip();
        FdPassing.send(sv[0], direct, -1);
        assertEquals(0, direct.position(), "the tag's position is left alone");
        FdPassing.Received r = FdPassing.receive(sv[1], 64);
        assertEquals(-1, r.fd());
        assertEquals(3, r.tag().remaining());
        SocketPair.close(sv[0]);
        assertTrue(FdPassing.receive(sv[1], 64).eof());
        SocketPair.close(sv[1]);
    }

    @Test
    void passedFdIsANewNumberForTheSameFile() throws Exception {
        int[] sv = SocketPair.open();
        int devNull = Fds.openDevNull();
        FdPassing.send(sv[0], ByteBuffer.wrap(new byte[] {1}), devNull);
        FdPassing.Received r = FdPassing.receive(sv[1], 1);
        assertNotEquals(devNull, r.fd());
        assertEquals("/dev/null", Fds.describe(r.fd()));
        for (int fd : new int[] {devNull, r.fd(), sv[0], sv[1]}) {
            Fds.closeFd(fd);
        }
    }

    @Test
    void badArgumentsAndErrorsSayWhy() {
        assertThrows(IllegalArgumentException.class, () -> FdPassing.send(0, ByteBuffer.allocate(0), -1));
        assertThrows(IllegalArgumentException.class, () -> FdPassing.send(0, ByteBuffer.allocate(65), -1));
        Errno.ErrnoException e = assertThrows(Errno.ErrnoException.class,
                () -> FdPassing.receive(999_999, 4));
        assertEquals("recvmsg fd 999999: Bad file descriptor", e.getMessage());
        assertEquals(9, e.errno());
    }
}
