package org.hoststated.core.imsg;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.hoststated.core.log.LogConfig;
import org.hoststated.core.msg.ConfChunk;
import org.hoststated.core.msg.Imsg;
import org.hoststated.core.msg.MessageType;
import org.hoststated.core.msg.Messages;
import org.hoststated.core.msg.ProcId;
import org.hoststated.core.posix.Fds;
import org.hoststated.core.posix.RawFd;
import org.hoststated.core.posix.SocketPair;
import org.hoststated.core.posix.UnixDatagramSocket;
import org.hoststated.core.proc.EpollLoops;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * An imsg channel on a descriptor as the parent hands it over: a socketpair end, blocking (the
 * channels between engines are passed this way). The soak saw a relay engine killed by the
 * watchdog, and pfe's loop stuck for 5 s in a read: Netty reads again after a read that filled
 * its buffer, and on a blocking descriptor with nothing more to read that read waits for the
 * peer's next message, holding the whole loop (pings, show sessions) meanwhile.
 */
class ImsgChannelTest {
    /** Netty's first read of a channel (AdaptiveRecvByteBufAllocator's initial guess). */
    private static final int FIRST_READ = 2048;

    private EventLoopGroup group;
    private int writer = -1;

    @BeforeEach
    void loop() {
        group = new MultiThreadIoEventLoopGroup(1, EpollLoops.newFactory());
    }

    @AfterEach
    void close() throws Exception {
        if (writer >= 0) {
            // Ends a read still waiting (EOF), so that the loop can shut down.
            Fds.close(writer);
        }
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).await(5, TimeUnit.SECONDS);
    }

    @Test
    void theChannelsDescriptorIsMadeNonBlocking() throws Exception {
        int[] pair = SocketPair.open();
        writer = pair[1];
        ImsgChannel.open(pair[0], ProcId.RELAY, ProcId.PARENT, (EventLoop) group.next(), (from, m) -> ImsgHandler.Result.HANDLED);
        assertTrue(RawFd.nonBlocking(pair[0]), "the channel's descriptor is still blocking");
    }

    @Test
    void messagesThatFillAReadExactlyLeaveTheLoopFree() throws Exception {
        int[] pair = SocketPair.open();
        writer = pair[1];
        EventLoop loop = (EventLoop) group.next();
        AtomicInteger got = new AtomicInteger();
        ImsgChannel.open(pair[0], ProcId.RELAY, ProcId.PARENT, loop, (from, m) -> {
            got.incrementAndGet();
            return ImsgHandler.Result.HANDLED;
        });
        // One frame at a time, each followed by silence: a frame of exactly Netty's first read
        // size filled that read, and the read after it waited for a next message.
        int frames = 0;
        for (int size : new int[] {FIRST_READ, 2 * FIRST_READ, 1024, 4 * FIRST_READ, 100, 8 * FIRST_READ, 16 * FIRST_READ, 65536}) {
            byte[] frame = frameOf(size);
            RawFd.writeAll(writer, frame);
            frames++;
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            while (got.get() < frames && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            assertEquals(frames, got.get(), "messages delivered, frame of " + size);
            // The peer sends nothing more: the loop must still run tasks.
            CountDownLatch ran = new CountDownLatch(1);
            loop.execute(ran::countDown);
            assertTrue(ran.await(2, TimeUnit.SECONDS), "after a frame of " + size
                    + " bytes the loop is held in a read that waits for the peer");
        }
    }

    /**
     * A peer killed with messages it had not read resets the channel: the close is reported
     * (the parent's "lost child"), and the reset is no warning of its own before it. (So is a
     * broken pipe, a write after the peer closed; which of the end of file and the failed write
     * comes first is the kernel's timing, so no test provokes it.)
     */
    @Test
    void aResetIsReportedAsTheCloseItIsWithoutAWarning(@TempDir Path tmp) throws Exception {
        Path devLog = tmp.resolve("log");
        try (UnixDatagramSocket syslogd = UnixDatagramSocket.bind(devLog)) {
            LogConfig.init("hoststated", "parent", false, true, devLog);
            int[] pair = SocketPair.open();
            CountDownLatch closed = new CountDownLatch(1);
            ImsgChannel ch = ImsgChannel.open(pair[0], ProcId.PARENT, ProcId.RELAY, (EventLoop) group.next(),
                    new ImsgHandler() {
                        @Override
                        public Result dispatch(ImsgChannel from, Imsg m) {
                            return Result.HANDLED;
                        }

                        @Override
                        public void closed(ImsgChannel from) {
                            closed.countDown();
                        }
                    });
            ch.send(MessageType.PING);
            Thread.sleep(100); // the PING waits unread in the peer's socket
            Fds.close(pair[1]);
            assertTrue(closed.await(5, TimeUnit.SECONDS), "close reported");
            LoggerFactory.getLogger(ImsgChannelTest.class).warn("end of test");
            List<String> said = new ArrayList<>();
            byte[] buf = new byte[9000];
            while (said.isEmpty() || !said.get(said.size() - 1).endsWith("end of test")) {
                said.add(new String(buf, 0, syslogd.receive(buf), StandardCharsets.UTF_8));
            }
            // Debug (7, facility daemon 24: 31), not a warning (28).
            assertTrue(said.stream().anyMatch(l -> l.startsWith("<31>")
                    && l.endsWith("channel to relay: Connection reset by peer")), said.toString());
            assertEquals(1, said.stream().filter(l -> l.startsWith("<28>")).count(), said.toString());
        } finally {
            LogConfig.init("hoststated", "test", true, false);
        }
    }

    /** An encoded RECONF_CONF message exactly {@code size} bytes long. */
    private static byte[] frameOf(int size) {
        int overhead = encode("").length;
        byte[] frame = encode("x".repeat(size - overhead));
        assertEquals(size, frame.length, "frame size");
        return frame;
    }

    private static byte[] encode(String text) {
        ByteBuf out = Unpooled.buffer();
        try {
            Messages.encode(new Imsg(MessageType.RECONF_CONF, 0, 1, new ConfChunk(1, text)), out);
            byte[] b = new byte[out.readableBytes()];
            out.readBytes(b);
            return b;
        } finally {
            out.release();
        }
    }
}
