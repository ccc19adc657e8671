package org.hoststated.pfe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import java.util.Iterator;
import java.util.concurrent.Callable;
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
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * pfe makes a summary's rows as the parent grants them, per answer: an answer of 500,000 rows
 * queued whole took pfe's heap (probe T), and answers sent one after the other held every
 * {@code show} behind the slowest reader's answer.
 */
class SummaryStreamTest {
    private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, EpollLoops.newFactory());
    private EventLoop loop;
    private ImsgChannel toParent;
    /** The parent's end of the socketpair, read by the test. */
    private int parentFd;
    private final ByteBuf in = Unpooled.buffer();
    private final byte[] buf = new byte[65536];
    private SummaryStream stream;

    @BeforeEach
    void open() throws Exception {
        int[] pair = SocketPair.open();
        loop = group.next();
        toParent = ImsgChannel.open(pair[0], ProcId.PFE, ProcId.PARENT, loop, (from, m) -> ImsgHandler.Result.HANDLED);
        parentFd = pair[1];
        stream = new SummaryStream(toParent);
    }

    @AfterEach
    void stop() throws Exception {
        toParent.close();
        Fds.close(parentFd);
        in.release();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).await(5, TimeUnit.SECONDS);
    }

    @Test
    void rowsAreMadeAsTheParentGrantsThemAndAllArriveInOrder() throws Exception {
        int n = 50_000; // the tests' paranoid leak detection makes each row's buffer dear
        AtomicInteger made = new AtomicInteger();
        on(() -> {
            stream.add(7, rows(7, n, made));
            return null;
        });
        assertEquals(0, (int) on(made::get), "rows made before any credit");
        int granted = 0;
        int frames = 0;
        while (frames < n) {
            if (frames == granted) {
                on(() -> {
                    stream.credit(7, 512);
                    return null;
                });
                granted += 512;
            }
            ByteBuf frame = nextFrame();
            frames++;
            if (frames % 1000 == 1 || frames == n) { // decoding each costs the test seconds
                Imsg m = Messages.decode(frame, ProcId.PFE, ProcId.PARENT);
                assertEquals(frames, m.payload(CtlHost.class).id(), "in order");
                assertTrue(on(made::get) <= granted, "rows made past the credit");
            }
        }
        assertEquals(0, (int) on(stream::pending));
    }

    @Test
    void anAnswerWithoutCreditHoldsNoOtherBack() throws Exception {
        AtomicInteger slowMade = new AtomicInteger();
        AtomicInteger fastMade = new AtomicInteger();
        int n = 3000;
        on(() -> {
            stream.add(1, rows(1, n, slowMade));
            stream.add(2, rows(2, n, fastMade));
            stream.credit(1, 512); // the slow client's parent grants one batch, and no more
            stream.credit(2, 512);
            stream.credit(99, 512); // no such answer: ignored
            return null;
        });
        int fast = 0;
        int slow = 0;
        while (fast < n) {
            Imsg m = Messages.decode(nextFrame(), ProcId.PFE, ProcId.PARENT);
            if (m.peerId() == 1) {
                slow++;
                continue;
            }
            assertEquals(2, m.peerId());
            assertEquals(++fast, m.payload(CtlHost.class).id(), "in order");
            if (fast % 512 == 0) {
                on(() -> {
                    stream.credit(2, 512);
                    return null;
                });
            }
        }
        assertEquals(512, slow, "the slow answer's one batch, sent first");
        assertEquals(512, (int) on(slowMade::get));
        assertEquals(1, (int) on(stream::pending));

        // The slow client went: its answer is dropped, and a late credit for it is ignored.
        on(() -> {
            stream.drop(1);
            stream.credit(1, 512);
            return null;
        });
        assertEquals(512, (int) on(slowMade::get));
        assertEquals(0, (int) on(stream::pending));
    }

    private static Iterator<Imsg> rows(int peer, int n, AtomicInteger made) {
        return new Iterator<>() {
            @Override
            public boolean hasNext() {
                return made.get() < n;
            }

            @Override
            public Imsg next() {
                int i = made.incrementAndGet();
                return new Imsg(MessageType.CTL_HOST, peer, 1, new CtlHost(i, 1, "host" + i, HostState.UP, false, 1, 1, 0,
                        HostError.NONE));
            }
        };
    }

    /** The next frame the parent's end receives, a slice of {@link #in}. */
    private ByteBuf nextFrame() throws Exception {
        while (in.readableBytes() < Messages.HEADER || in.readableBytes() < Messages.frameLength(in)) {
            int r = Fds.read(parentFd, buf);
            assertTrue(r > 0, "end of file");
            in.discardSomeReadBytes();
            in.writeBytes(buf, 0, r);
        }
        return in.readSlice(Messages.frameLength(in));
    }

    private <T> T on(Callable<T> task) throws Exception {
        return loop.submit(task).get(10, TimeUnit.SECONDS);
    }
}
