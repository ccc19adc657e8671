package org.hoststated.core.proc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoEvent;
import io.netty.channel.IoHandle;
import io.netty.channel.IoHandler;
import io.netty.channel.IoHandlerContext;
import io.netty.channel.IoOps;
import io.netty.channel.IoRegistration;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.epoll.EpollIoHandle;
import io.netty.channel.epoll.EpollIoOps;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.channel.socket.DuplexChannel;
import io.netty.channel.unix.FileDescriptor;
import io.netty.util.concurrent.ThreadAwareExecutor;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.hoststated.core.posix.FdPassing;
import org.hoststated.core.posix.SocketPair;
import org.junit.jupiter.api.Test;

class EpollLoopsTest {
    @Test
    void noInterestBecomesADisarmedRegistrationAndEverythingElsePassesThrough() {
        assertEquals(EpollLoops.EPOLLONESHOT, ((EpollIoOps) EpollLoops.replace(EpollIoOps.NONE)).value());
        assertSame(EpollIoOps.EPOLLOUT, EpollLoops.replace(EpollIoOps.EPOLLOUT));
        EpollIoOps inAndRdHup = EpollIoOps.EPOLLIN.with(EpollIoOps.EPOLLRDHUP);
        assertSame(inAndRdHup, EpollLoops.replace(inAndRdHup));
    }

    /**
     * The client half-closes while the server side reads nothing (auto-read off, as a relay
     * under back-pressure), so the channel wants no event; then the server writes more than
     * the socket takes at once and needs EPOLLOUT. With Netty's own handler that write fails
     * (ENOENT) and the bytes are lost.
     */
    @Test
    void aHalfClosedChannelThatWantedNoEventCanStillWriteEverything() throws Exception {
        int size = 16 * 1024 * 1024;
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, EpollLoops.newFactory());
        try (HalfClosed h = HalfClosed.open(group)) {
            h.client.setSoTimeout(20_000);
            // Let the loop settle the channel's interest (none left) before writing.
            h.ch.eventLoop().schedule(() -> { }, 50, TimeUnit.MILLISECONDS).get(20, TimeUnit.SECONDS);
            h.ch.writeAndFlush(Unpooled.wrappedBuffer(new byte[size]));
            long got = 0;
            byte[] buf = new byte[64 * 1024];
            InputStream in = h.client.getInputStream();
            while (got < size) {
                int n = in.read(buf);
                assertTrue(n > 0, "stream ended after " + got + " of " + size + " bytes");
                got += n;
            }
            assertEquals(size, got);
            assertTrue(h.ch.isActive(), "the channel is still open after writing everything");
        } finally {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
        }
    }

    /**
     * A disarmed descriptor whose socket hangs up (both directions shut) is reported at most
     * once: the loop does not spin, which is what Netty's removal from the epoll set avoided.
     */
    @Test
    void aDisarmedChannelThatHangsUpDoesNotSpinTheLoop() throws Exception {
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, EpollLoops.newFactory());
        try (HalfClosed h = HalfClosed.open(group)) {
            long loop = h.ch.eventLoop().submit(() -> Thread.currentThread().getId()).get(20, TimeUnit.SECONDS);
            ThreadMXBean threads = ManagementFactory.getThreadMXBean();
            h.ch.eventLoop().submit(() -> ((DuplexChannel) h.ch).shutdownOutput()).get(20, TimeUnit.SECONDS);
            long before = threads.getThreadCpuTime(loop);
            Thread.sleep(1000);
            long spent = threads.getThreadCpuTime(loop) - before;
            // A busy loop takes most of the second; an idle one about a millisecond.
            assertTrue(spent < TimeUnit.MILLISECONDS.toNanos(300), "loop used " + spent / 1_000_000 + " ms of 1 s");
        } finally {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
        }
    }

    /** Interest changes made in one turn of the loop reach Netty once, as the last of them. */
    @Test
    void onlyTheLastInterestOfATurnReachesNettyAndOnlyBeforeTheLoopWaits() throws Exception {
        try (Loop loop = new Loop()) {
            IoRegistration reg = loop.register(new Handle(true));
            EpollIoOps read = EpollIoOps.EPOLLIN.with(EpollIoOps.EPOLLRDHUP);
            reg.submit(EpollIoOps.EPOLLRDHUP);
            reg.submit(read);
            assertEquals(List.of(), loop.netty.submitted, "nothing is changed before the wait");
            loop.turn();
            assertEquals(List.of(read.value()), loop.netty.submitted);
            loop.turn();
            assertEquals(List.of(read.value()), loop.netty.submitted, "a turn without changes changes nothing");
            reg.submit(EpollIoOps.EPOLLRDHUP);
            reg.submit(EpollIoOps.NONE);
            loop.turn();
            assertEquals(List.of(read.value(), EpollLoops.EPOLLONESHOT), loop.netty.submitted, "none still disarms");
        }
    }

    /**
     * A late joiner (the relay's accepted connections) is read once before it joins the epoll
     * set; when that read turns its reading off and its owner lets it stay out, it never
     * joins, until it wants to read or write again.
     */
    @Test
    void aLateJoinerIsReadBeforeItJoinsAndStaysOutWhileItWaitsForNothing() throws Exception {
        try (Loop loop = new Loop()) {
            Late late = new Late();
            IoRegistration reg = loop.register(late);
            EpollIoOps read = EpollIoOps.EPOLLIN.with(EpollIoOps.EPOLLRDHUP);
            late.onRead = () -> {
                // A Connection: close request read whole: the relay stops reading the client.
                late.mayStayOut = true;
                reg.submit(EpollIoOps.EPOLLRDHUP);
            };
            reg.submit(EpollIoOps.EPOLLRDHUP);
            reg.submit(read);
            loop.turn();
            assertEquals(1, late.reads, "read once, before joining");
            assertEquals(List.of(), loop.netty.submitted, "no epoll_ctl");
            assertFalse(late.joined);
            loop.turn();
            assertEquals(List.of(), loop.netty.submitted);
            EpollIoOps write = EpollIoOps.EPOLLOUT.with(EpollIoOps.EPOLLRDHUP);
            reg.submit(write);
            loop.turn();
            assertEquals(List.of(write.value()), loop.netty.submitted, "a write that must wait joins");
            assertTrue(late.joined);
            reg.submit(read);
            loop.turn();
            assertEquals(1, late.reads, "the first read only is tried before the wait");
            assertEquals(List.of(write.value(), read.value()), loop.netty.submitted);
        }
    }

    /**
     * A late joiner whose first read finds nothing joins with its wish to read; one that does
     * not read, or whose owner does not let it stay out, joins with what it wants, as any
     * channel does (a TCP relay's client waiting for its server's connect hears of a reset).
     */
    @Test
    void aLateJoinerThatStillWantsToReadOrMayNotStayOutJoins() throws Exception {
        try (Loop loop = new Loop()) {
            Late reader = new Late();
            IoRegistration r1 = loop.register(reader);
            EpollIoOps read = EpollIoOps.EPOLLIN.with(EpollIoOps.EPOLLRDHUP);
            r1.submit(read);
            loop.turn();
            assertEquals(1, reader.reads);
            assertEquals(List.of(read.value()), loop.netty.submitted);
            assertTrue(reader.joined);

            Late waiting = new Late();
            IoRegistration r2 = loop.register(waiting);
            r2.submit(EpollIoOps.EPOLLRDHUP);
            loop.turn();
            assertEquals(0, waiting.reads, "a connection that does not read is not read");
            assertEquals(List.of(read.value(), EpollIoOps.EPOLLRDHUP.value()), loop.netty.submitted);
            assertTrue(waiting.joined);
        }
    }

    @Test
    void aChangeMadeOffTheLoopIsAppliedInTurnWithTheLoopsOwn() throws Exception {
        try (Loop loop = new Loop()) {
            IoRegistration reg = loop.register(new Handle(true));
            reg.submit(EpollIoOps.EPOLLIN);
            loop.onLoop = false;
            reg.submit(EpollIoOps.EPOLLOUT);
            assertEquals(List.of(), loop.netty.submitted);
            loop.onLoop = true;
            loop.turn(); // applies EPOLLIN, then runs the task that hands EPOLLOUT to the loop
            loop.turn();
            assertEquals(List.of(EpollIoOps.EPOLLIN.value(), EpollIoOps.EPOLLOUT.value()), loop.netty.submitted,
                    "applied in the order they were made");
        }
    }

    @Test
    void aCancelledOrClosedRegistrationIsNotChangedAndARefusedChangeClosesTheChannel() throws Exception {
        try (Loop loop = new Loop()) {
            IoRegistration cancelled = loop.register(new Handle(true));
            cancelled.submit(EpollIoOps.EPOLLIN);
            assertTrue(cancelled.cancel());
            assertFalse(cancelled.isValid());
            assertEquals(-1, cancelled.submit(EpollIoOps.EPOLLOUT));
            Handle closed = new Handle(false);
            loop.register(closed).submit(EpollIoOps.EPOLLIN);
            loop.turn();
            assertEquals(List.of(), loop.netty.submitted, "neither reaches Netty");

            // A refused change closes its channel; what that close changes elsewhere (the other
            // side of a session wanting to flush) is applied in the same turn.
            Handle refused = new Handle(true);
            IoRegistration peer = loop.register(new Handle(true));
            refused.onClose = () -> peer.submit(EpollIoOps.EPOLLOUT);
            loop.register(refused).submit(EpollIoOps.EPOLLIN);
            loop.netty.refused = EpollIoOps.EPOLLIN.value();
            loop.turn();
            assertTrue(refused.closed, "the channel whose change failed is closed");
            assertFalse(closed.closed);
            assertEquals(List.of(EpollIoOps.EPOLLOUT.value()), loop.netty.submitted);
        }
    }

    /**
     * A channel that closes deregisters first: Netty hears of it only before the loop waits
     * again or registers another channel (whose descriptor may have the closed one's number),
     * and the events Netty still hands over for it in between are dropped.
     */
    @Test
    void aCancellationOnTheLoopReachesNettyBeforeTheNextWaitOrRegistrationAndSilencesTheChannel() throws Exception {
        try (Loop loop = new Loop()) {
            Handle closing = new Handle(true);
            IoRegistration reg = loop.register(closing);
            IoHandle held = loop.netty.handles.get(0);
            assertTrue(reg.cancel());
            assertFalse(reg.cancel(), "a second cancel does nothing");
            assertFalse(reg.isValid());
            assertEquals(0, loop.netty.cancelled, "not yet");
            held.handle(null, new IoEvent() { });
            assertEquals(0, closing.events, "its events of this turn are dropped");
            loop.turn();
            assertEquals(1, loop.netty.cancelled, "handed over before the wait");

            Handle open = new Handle(true);
            loop.register(open).cancel();
            loop.register(new Handle(true));
            assertEquals(2, loop.netty.cancelled, "handed over before the next registration");
            loop.netty.handles.get(2).handle(null, new IoEvent() { });
            assertEquals(1, loop.handles.get(2).events, "a live channel gets its events");

            loop.onLoop = false;
            loop.register(new Handle(true)).cancel();
            assertEquals(3, loop.netty.cancelled, "off the loop Netty hears of it at once");
        }
    }

    /** A descriptor whose socket another may share (a listener) is removed from the set at once. */
    @Test
    void aListenersCancellationReachesNettyAtOnce() throws Exception {
        try (Loop loop = new Loop(false)) {
            IoRegistration reg = loop.register(new Handle(true));
            assertTrue(reg.cancel());
            assertEquals(1, loop.netty.cancelled, "handed over before the close");
        }
        assertTrue(closeLeavesTheSet(new EpollSocketChannel()), "a connection");
        assertFalse(closeLeavesTheSet(new EpollServerSocketChannel()), "a listener");
        assertFalse(closeLeavesTheSet(new EpollDatagramChannel()), "a datagram socket");
    }

    private static boolean closeLeavesTheSet(Channel ch) {
        try {
            return EpollLoops.closeLeavesTheSet((EpollIoHandle) ch.unsafe());
        } finally {
            ch.unsafe().closeForcibly();
        }
    }

    /** A loop of one thread (the test's) around a handler that records what reaches it. */
    private static final class Loop implements ThreadAwareExecutor, AutoCloseable {
        final Recording netty = new Recording();
        final IoHandler handler;
        final List<Handle> handles = new ArrayList<>();
        final List<Late> lates = new ArrayList<>();
        final ArrayDeque<Runnable> tasks = new ArrayDeque<>();
        boolean onLoop = true;

        /** Every handle a connection's socket: cancellations are held until the wait. */
        Loop() {
            this(true);
        }

        Loop(boolean closeLeavesTheSet) {
            handler = EpollLoops.wrap(executor -> netty, h -> closeLeavesTheSet).newHandler(this);
        }

        IoRegistration register(Handle h) throws Exception {
            handles.add(h);
            return handler.register(h);
        }

        IoRegistration register(Late l) throws Exception {
            lates.add(l);
            return handler.register(l);
        }

        @Override
        public void close() throws IOException {
            for (Handle h : handles) {
                h.fd.close();
            }
            for (Late l : lates) {
                l.fd.close();
            }
        }

        @Override
        public boolean isExecutorThread(Thread thread) {
            return onLoop;
        }

        @Override
        public void execute(Runnable task) {
            tasks.add(task);
        }

        /** One turn: wait (run the handler), then the tasks, as Netty's loop does. */
        void turn() {
            handler.run(ShutdownCloses.NO_WAIT);
            for (Runnable t; (t = tasks.poll()) != null; ) {
                t.run();
            }
        }
    }

    private static final class Recording implements IoHandler {
        final List<Integer> submitted = new ArrayList<>();
        /** What each registration was given, in order. */
        final List<IoHandle> handles = new ArrayList<>();
        int cancelled;
        /** Interest that the "kernel" refuses, or -1. */
        int refused = -1;

        @Override
        public int run(IoHandlerContext context) {
            return 0;
        }

        @Override
        public IoRegistration register(IoHandle handle) {
            handles.add(handle);
            return new IoRegistration() {
                private boolean valid = true;

                @Override
                public <T> T attachment() {
                    return null;
                }

                @Override
                public long submit(IoOps ops) {
                    if (((EpollIoOps) ops).value() == refused) {
                        throw new UncheckedIOException(new IOException("epoll_ctl: No space left on device"));
                    }
                    submitted.add(((EpollIoOps) ops).value());
                    return 0;
                }

                @Override
                public boolean isValid() {
                    return valid;
                }

                @Override
                public boolean cancel() {
                    boolean was = valid;
                    valid = false;
                    cancelled++;
                    return was;
                }
            };
        }

        @Override
        public void wakeup() {
        }

        @Override
        public boolean isCompatible(Class<? extends IoHandle> handleType) {
            return true;
        }
    }

    /** A late joiner's stand-in on the read end of a pipe: counts its reads. */
    private static final class Late implements EpollLoops.LateJoiner {
        final FileDescriptor fd;
        int reads;
        boolean mayStayOut;
        boolean joined;
        Runnable onRead = () -> { };

        Late() throws IOException {
            Epoll.ensureAvailability();
            FileDescriptor[] pipe = FileDescriptor.pipe();
            pipe[1].close();
            fd = pipe[0];
        }

        @Override
        public FileDescriptor fd() {
            return fd;
        }

        @Override
        public void handle(IoRegistration registration, IoEvent event) {
            reads++;
            onRead.run();
        }

        @Override
        public boolean mayStayOut() {
            return mayStayOut;
        }

        @Override
        public void joined() {
            joined = true;
        }

        @Override
        public void close() throws IOException {
            fd.close();
        }
    }

    /** A channel stand-in on the read end of a pipe (closed at once when {@code !open}). */
    private static final class Handle implements EpollIoHandle {
        private final FileDescriptor fd;
        boolean closed;
        int events;
        Runnable onClose = () -> { };

        Handle(boolean open) throws IOException {
            Epoll.ensureAvailability();
            FileDescriptor[] pipe = FileDescriptor.pipe();
            pipe[1].close();
            fd = pipe[0];
            if (!open) {
                fd.close();
            }
        }

        @Override
        public FileDescriptor fd() {
            return fd;
        }

        @Override
        public void handle(IoRegistration registration, IoEvent event) {
            events++;
        }

        @Override
        public void close() throws IOException {
            closed = true;
            fd.close();
            onClose.run();
        }
    }

    /**
     * A server channel whose client has half-closed while the server side reads nothing
     * (auto-read off, as a relay under back-pressure): its interest has gone to none.
     */
    private record HalfClosed(Channel server, Socket client, Channel ch) implements AutoCloseable {
        static HalfClosed open(EventLoopGroup group) throws Exception {
            Epoll.ensureAvailability();
            CompletableFuture<Channel> halfClosed = new CompletableFuture<>();
            Channel server = new ServerBootstrap().group(group).channel(EpollServerSocketChannel.class)
                    .childOption(ChannelOption.AUTO_READ, false)
                    .childOption(ChannelOption.ALLOW_HALF_CLOSURE, true)
                    .childHandler(new ChannelInboundHandlerAdapter() {
                        @Override
                        public void channelActive(ChannelHandlerContext ctx) {
                            ctx.read(); // one read, which finds the EOF once the client half-closes
                        }

                        @Override
                        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
                            if (evt == ChannelInputShutdownEvent.INSTANCE) {
                                halfClosed.complete(ctx.channel());
                            }
                        }
                    })
                    .bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0)).sync().channel();
            Socket client = new Socket();
            client.setReceiveBufferSize(64 * 1024);
            client.connect(server.localAddress());
            client.shutdownOutput();
            return new HalfClosed(server, client, halfClosed.get(20, TimeUnit.SECONDS));
        }

        @Override
        public void close() throws Exception {
            client.close();
            server.close().sync();
        }
    }

    /**
     * The parent keeps its own descriptor of every relay listener and hands the relay engine
     * a new one at each reload. The engine's close of its old copy does not take the socket
     * out of the epoll set (another descriptor still holds it), so the cancellation must: the
     * new copy, received under the same number, was refused (EEXIST) and closed, and the
     * listener accepted no more connections.
     */
    @Test
    void aListenerAnotherDescriptorKeepsCanBeServedAgainUnderTheSameNumber() throws Exception {
        Epoll.ensureAvailability();
        io.netty.channel.unix.Socket parentCopy = io.netty.channel.unix.Socket.newSocketStream();
        parentCopy.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        parentCopy.listen(16);
        int[] sv = SocketPair.open();
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, EpollLoops.newFactory());
        List<Integer> numbers = new ArrayList<>();
        try {
            for (int round = 0; round < 3; round++) {
                FdPassing.send(sv[0], ByteBuffer.wrap(new byte[] {1}),
                        parentCopy.intValue());
                int fd = FdPassing.receive(sv[1], 8).fd();
                numbers.add(fd);
                Channel server = new ServerBootstrap().group(group)
                        .channelFactory(() -> new EpollServerSocketChannel(fd))
                        .childHandler(new ChannelInboundHandlerAdapter() {
                            @Override
                            public void channelActive(ChannelHandlerContext ctx) {
                                ctx.writeAndFlush(Unpooled.wrappedBuffer(new byte[] {'h'}))
                                        .addListener(ChannelFutureListener.CLOSE);
                            }
                        })
                        .register().sync().channel();
                try (Socket c = new Socket()) {
                    c.setSoTimeout(3_000);
                    c.connect(parentCopy.localAddress());
                    assertEquals('h', c.getInputStream().read(), "round " + round + ", descriptors " + numbers);
                }
                server.close().sync();
            }
            // Under any earlier round's number: a close the loop finished late left round 1 a
            // new one ([55, 56, 55] in CI), and round 2 then had round 0's.
            assertTrue(new java.util.HashSet<>(numbers).size() < numbers.size(),
                    "a new copy was received under an old number: " + numbers);
        } finally {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
            SocketPair.close(sv[0]);
            SocketPair.close(sv[1]);
            parentCopy.close();
        }
    }
}
