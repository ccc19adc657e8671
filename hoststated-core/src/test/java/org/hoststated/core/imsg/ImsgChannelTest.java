package org.hoststated.core.imsg;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.hoststated.core.msg.ConfChunk;
import org.hoststated.core.msg.Imsg;
import org.hoststated.core.msg.MessageType;
import org.hoststated.core.msg.Messages;
import org.hoststated.core.msg.ProcId;
import org.hoststated.core.posix.Fds;
import org.hoststated.core.posix.RawFd;
import org.hoststated.core.posix.SocketPair;
import org.hoststated.core.proc.EpollLoops;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

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
