package org.hoststated.pfe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import java.util.Iterator;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.hoststated.core.imsg.ImsgChannel;
import org.hoststated.core.imsg.ImsgHandler;
import org.hoststated.core.msg.CtlHost;
import org.hoststated.core.msg.HostError;
import org.hoststated.core.msg.HostState;
import org.hoststated.core.msg.Imsg;
import org.hoststated.core.msg.MessageType;
import org.hoststated.core.msg.Messages;
import org.hoststated.core.msg.ProcId;
import org.hoststated.core.posix.Fds;
import org.hoststated.core.posix.SocketPair;
import org.hoststated.core.proc.EpollLoops;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * pfe makes a summary's rows as the parent takes them: an answer of 500,000 rows queued whole
 * took pfe's heap (probe T).
 */
class SummaryStreamTest {
    private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, EpollLoops.newFactory());

    @AfterEach
    void stop() throws Exception {
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).await(5, TimeUnit.SECONDS);
    }

    @Test
    void rowsAreMadeAsTheParentReadsThemAndAllArriveInOrder() throws Exception {
        int[] pair = SocketPair.open();
        EventLoop loop = group.next();
        ImsgChannel toParent = ImsgChannel.open(pair[0], ProcId.PFE, ProcId.PARENT, loop,
                (from, m) -> ImsgHandler.Result.HANDLED);
        int n = 50_000; // the tests' paranoid leak detection makes each row's buffer dear
        AtomicInteger made = new AtomicInteger();
        Iterator<Imsg> rows = new Iterator<>() {
            @Override
            public boolean hasNext() {
                return made.get() < n;
            }

            @Override
            public Imsg next() {
                int i = made.incrementAndGet();
                return new Imsg(MessageType.CTL_HOST, 7, 1, new CtlHost(i, 1, "host" + i, HostState.UP, false, 1, 1, 0,
                        HostError.NONE));
            }
        };
        SummaryStream stream = new SummaryStream(toParent);
        loop.submit(() -> stream.add(rows)).get(10, TimeUnit.SECONDS);
        Thread.sleep(500);
        // The parent reads nothing yet: a few batches fill the socket, and pfe waits.
        int before = loop.submit(made::get).get(10, TimeUnit.SECONDS);
        assertTrue(before < n / 4, before + " of " + n + " rows made before the parent read any");

        ByteBuf in = Unpooled.buffer();
        byte[] buf = new byte[65536];
        int frames = 0;
        while (frames < n) {
            int r = Fds.read(pair[1], buf);
            assertTrue(r > 0, "end of file after " + frames + " rows");
            in.discardSomeReadBytes();
            in.writeBytes(buf, 0, r);
            while (in.readableBytes() >= Messages.HEADER && in.readableBytes() >= Messages.frameLength(in)) {
                ByteBuf frame = in.readSlice(Messages.frameLength(in));
                frames++;
                if (frames % 1000 == 1 || frames == n) { // decoding each costs the test seconds
                    Imsg m = Messages.decode(frame, ProcId.PFE, ProcId.PARENT);
                    assertEquals(frames, m.payload(CtlHost.class).id(), "in order");
                }
            }
        }
        assertEquals(0, (int) loop.submit(stream::pending).get(10, TimeUnit.SECONDS));
        toParent.close();
        Fds.close(pair[1]);
    }
}
