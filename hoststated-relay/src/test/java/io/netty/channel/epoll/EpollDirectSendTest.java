package io.netty.channel.epoll;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.socket.ChannelOutputShutdownException;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.hoststated.core.proc.EpollLoops;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@link EpollDirectSend} on a real epoll channel connected to a plain socket: what it sends
 * arrives, it leaves alone a channel whose queue or pipeline must see the bytes, what the socket
 * does not take stays with the caller, and a failed send ends the channel as Netty's flush does.
 */
class EpollDirectSendTest {
    private EventLoopGroup group;
    private ServerSocket listener;
    private Socket peer;
    private Channel ch;
    private final CompletableFuture<Throwable> failure = new CompletableFuture<>();

    @BeforeEach
    void connect() throws Exception {
        Epoll.ensureAvailability();
        group = new MultiThreadIoEventLoopGroup(1, EpollLoops.newFactory());
        listener = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
        ch = new Bootstrap().group(group).channel(EpollSocketChannel.class)
                .handler(new ChannelInboundHandlerAdapter() {
                    @Override
                    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                        failure.complete(cause);
                    }
                })
                .connect(new InetSocketAddress(listener.getInetAddress(), listener.getLocalPort()))
                .sync().channel();
        peer = listener.accept();
        peer.setSoTimeout(5000);
    }

    @AfterEach
    void close() throws Exception {
        ch.close().sync();
        peer.close();
        listener.close();
        group.shutdownGracefully(0, 0, TimeUnit.SECONDS).sync();
    }

    @Test
    void aChannelWithNothingQueuedGetsTheBytesAtOnce() throws Exception {
        ByteBuf b = buffer("hello, server");
        assertTrue(onLoop(() -> EpollDirectSend.sent(ch, b)));
        assertEquals(0, b.refCnt(), "released once sent");
        assertArrayEquals("hello, server".getBytes(), peer.getInputStream().readNBytes(13));
    }

    @Test
    void bytesQueuedBeforeGoFirst() throws Exception {
        ByteBuf first = buffer("first ");
        ByteBuf second = buffer("second");
        assertFalse(onLoop(() -> {
            ch.write(first, ch.voidPromise());
            return EpollDirectSend.sent(ch, second);
        }));
        assertEquals(1, second.refCnt());
        ch.writeAndFlush(second).sync();
        assertArrayEquals("first second".getBytes(), peer.getInputStream().readNBytes(12));
    }

    @Test
    void anOutboundHandlerSeesEveryWrite() throws Exception {
        ch.pipeline().addFirst(new ChannelOutboundHandlerAdapter());
        ByteBuf b = buffer("through the pipeline");
        assertFalse(onLoop(() -> EpollDirectSend.sent(ch, b)));
        assertEquals(0, b.readerIndex(), "nothing sent");
        b.release();
    }

    @Test
    void whatTheSocketDoesNotTakeStaysWithTheCaller() throws Exception {
        int size = 16 * 1024 * 1024;
        byte[] pattern = new byte[size];
        for (int i = 0; i < size; i++) {
            pattern[i] = (byte) (i % 251);
        }
        ByteBuf b = PooledByteBufAllocator.DEFAULT.directBuffer(size).writeBytes(pattern);
        assertFalse(onLoop(() -> EpollDirectSend.sent(ch, b)));
        int sent = b.readerIndex();
        assertTrue(sent > 0 && sent < size, "a part was sent: " + sent);
        ch.writeAndFlush(b);
        InputStream in = peer.getInputStream();
        assertArrayEquals(pattern, in.readNBytes(size));
    }

    @Test
    void aFailedSendEndsTheChannelWithItsError() throws Exception {
        ByteBuf b = buffer("too late");
        assertTrue(onLoop(() -> {
            // The reset arrives while the loop is held here, so that Netty has not seen it.
            peer.setSoLinger(true, 0);
            peer.close();
            Thread.sleep(200);
            return EpollDirectSend.sent(ch, b);
        }));
        assertEquals(0, b.refCnt());
        assertInstanceOf(IOException.class, failure.get(5, TimeUnit.SECONDS));
        assertTrue(ch.closeFuture().await(5, TimeUnit.SECONDS));
    }

    @Test
    void twoBuffersGoInOneWrite() throws Exception {
        ByteBuf head = buffer("HTTP/1.1 200 OK\r\n\r\n");
        ByteBuf body = buffer("body");
        assertTrue(onLoop(() -> EpollDirectSend.sent(ch, head, body)));
        assertEquals(0, head.refCnt());
        assertEquals(0, body.refCnt());
        assertArrayEquals("HTTP/1.1 200 OK\r\n\r\nbody".getBytes(), peer.getInputStream().readNBytes(23));
    }

    /** As Netty's flush: a channel that does not close itself on a write error shuts its output. */
    @Test
    void aFailedSendOnAChannelWithoutAutoCloseShutsItsOutput() throws Exception {
        ch.config().setAutoClose(false);
        ByteBuf head = buffer("too");
        ByteBuf body = buffer("late");
        assertTrue(onLoop(() -> {
            peer.setSoLinger(true, 0);
            peer.close();
            Thread.sleep(200);
            return EpollDirectSend.sent(ch, head, body);
        }));
        assertEquals(0, head.refCnt());
        assertEquals(0, body.refCnt());
        assertInstanceOf(ChannelOutputShutdownException.class, failure.get(5, TimeUnit.SECONDS));
    }

    @Test
    void otherChannelsAreLeftToNetty() throws Exception {
        ByteBuf b = buffer("x");
        assertFalse(EpollDirectSend.sent(new io.netty.channel.embedded.EmbeddedChannel(), b));
        b.release();
    }

    private static ByteBuf buffer(String s) {
        ByteBuf b = PooledByteBufAllocator.DEFAULT.directBuffer(s.length());
        b.writeBytes(s.getBytes());
        return b;
    }

    private <T> T onLoop(Callable<T> task) throws Exception {
        return ch.eventLoop().submit(task).get(10, TimeUnit.SECONDS);
    }
}
