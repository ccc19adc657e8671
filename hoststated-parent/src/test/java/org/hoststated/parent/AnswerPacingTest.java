package org.hoststated.parent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.hoststated.core.msg.AnswerCredit;
import org.hoststated.core.msg.CtlHost;
import org.hoststated.core.msg.Empty;
import org.hoststated.core.msg.HostError;
import org.hoststated.core.msg.HostState;
import org.hoststated.core.msg.Imsg;
import org.hoststated.core.msg.MessageType;
import org.hoststated.core.msg.SummaryRequest;
import org.hoststated.core.msg.Messages;
import org.hoststated.core.msg.ProcId;
import org.hoststated.core.proc.EpollLoops;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Each {@code show summary} answer goes at its own client's pace: the parent stopped reading
 * pfe's channel while one client was behind, and {@code show relays} beside a slow summary got
 * no reply within 30 s. Real control connections on a real control socket; pfe is played by
 * {@link Pfe}, which sends an answer's rows only against the parent's credit, as pfe does.
 */
class AnswerPacingTest {
    private static final int ROWS = 30_000; // the tests' paranoid leak detection makes each row dear
    /** A row's bytes and its entry in the channel's queue (Netty counts about 100 bytes per write). */
    private static final int ROW_COST = 160;

    @TempDir
    Path dir;
    private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, EpollLoops.newFactory());
    private final EventLoop loop = group.next();
    private final Pfe pfe = new Pfe();
    private AnswerPacing pacing;
    private ControlServer control;

    /** pfe as the parent sees it: rows against credit, each batch after the credit, never in it. */
    private final class Pfe implements java.util.function.Consumer<Imsg> {
        final Map<Integer, ControlClient> asked = new HashMap<>();
        final Map<Integer, Integer> made = new HashMap<>();
        final List<Imsg> drops = new ArrayList<>();
        final CompletableFuture<Imsg> dropped = new CompletableFuture<>();
        /** Rows per answer. */
        volatile int rows = ROWS;

        @Override
        public void accept(Imsg m) {
            if (m.type() == MessageType.CTL_ANSWER_DROP) {
                drops.add(m);
                dropped.complete(m);
                asked.remove(m.peerId());
                return;
            }
            int rows = m.payload(AnswerCredit.class).rows();
            loop.execute(() -> send(m.peerId(), rows));
        }

        private void send(int client, int rows) {
            ControlClient c = asked.get(client);
            for (int i = 0; c != null && i < rows; i++) {
                int n = made.merge(client, 1, Integer::sum);
                if (n > this.rows) {
                    asked.remove(client);
                    pacing.forward(c, Imsg.of(MessageType.CTL_END));
                    return;
                }
                pacing.forward(c, Imsg.of(MessageType.CTL_HOST,
                        new CtlHost(n, 1, "host" + n, HostState.UP, false, 1, 1, 0, HostError.NONE)));
            }
        }
    }

    private SocketChannel connect(long maxStallMs) throws Exception {
        if (control == null) {
            pacing = new AnswerPacing(loop, pfe, maxStallMs);
            control = new ControlServer(loop, dir.resolve("s"), new ControlServer.Requests() {
                @Override
                public void request(ControlClient c, Imsg m) {
                    pfe.asked.put(c.id, c);
                    pacing.begin(c);
                }

                @Override
                public void clientClosed(ControlClient c) {
                    pacing.forget(c);
                }
            });
            io.netty.channel.ChannelFuture bound = loop.submit(control::open).get().await();
            assertTrue(bound.isSuccess(), String.valueOf(bound.cause()));
        }
        SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX);
        ch.connect(UnixDomainSocketAddress.of(dir.resolve("s")));
        ByteBuf req = Unpooled.buffer();
        Messages.encode(new Imsg(MessageType.CTL_SHOW_SUM, Messages.CONTROL_VERSION, 0, SummaryRequest.SUMMARY), req);
        ch.write(req.nioBuffer());
        req.release();
        return ch;
    }

    @AfterEach
    void stop() throws Exception {
        if (control != null) {
            on(() -> {
                control.close();
                return null;
            });
        }
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).await(5, TimeUnit.SECONDS);
    }

    @Test
    void aClientThatDoesNotReadHoldsBackOnlyItsOwnAnswer() throws Exception {
        try (SocketChannel slow = connect(AnswerPacing.MAX_STALL_MS); SocketChannel fast = connect(AnswerPacing.MAX_STALL_MS)) {
            // The slow client reads nothing while the other's whole answer arrives.
            assertEquals(ROWS, readAnswer(fast));
            int slowMade = on(() -> pfe.made.getOrDefault(1, 0));
            assertTrue(slowMade < ROWS / 4, slowMade + " rows of the slow answer made while its client read none");
            long queued = on(() -> control.client(1).pendingBytes());
            assertTrue(queued <= AnswerPacing.PACE_BYTES + AnswerPacing.BATCH * (long) ROW_COST, queued + " bytes queued for it");
            // It reads at last, and gets its answer whole and in order.
            assertEquals(ROWS, readAnswer(slow));
            assertEquals(0, (int) on(pacing::underWay));
            assertTrue(on(pfe.drops::isEmpty));
        }
    }

    @Test
    void aClientThatTakesNothingIsClosedAndItsAnswerDropped() throws Exception {
        try (SocketChannel stalled = connect(300)) {
            Imsg drop = pfe.dropped.get(30, TimeUnit.SECONDS);
            assertEquals(1, drop.peerId());
            assertEquals(0, (int) on(pacing::underWay));
            assertTrue(on(() -> control.client(1) == null), "the stalled client is closed");
        }
    }

    /**
     * A client that reads slowly but steadily gets its whole answer: each wait for it started
     * another look at its progress, they piled up over a long answer and each counted the
     * same quarter second as stalled, so a reader at 200 kB/s was closed after a few seconds
     * as one that took nothing for 5 s (probe W).
     */
    @Test
    void aClientThatReadsSlowlyButSteadilyGetsItsWholeAnswer() throws Exception {
        pfe.rows = 8_000; // 640 kB at about 200 kB/s
        try (SocketChannel slow = connect(1000)) {
            assertEquals(8_000, readAnswer(slow, 4 << 10, 20));
            assertTrue(on(pfe.drops::isEmpty), "the answer was dropped");
        }
    }

    /** Reads one answer up to its CTL_END; checks its rows are in order, and returns how many. */
    private static int readAnswer(SocketChannel ch) throws Exception {
        return readAnswer(ch, 1 << 16, 0);
    }

    /** {@link #readAnswer(SocketChannel)}, {@code chunk} bytes at a time with {@code pauseMs} between reads. */
    private static int readAnswer(SocketChannel ch, int chunk, long pauseMs) throws Exception {
        ByteBuffer in = ByteBuffer.allocate(chunk);
        in.flip();
        int rows = 0;
        while (true) {
            byte[] frame = nextFrame(ch, in, pauseMs);
            int type = ((frame[4] & 0xff) << 8) | (frame[5] & 0xff);
            if (type == MessageType.CTL_END.id()) {
                return rows;
            }
            rows++;
            if (rows % 1000 == 1) { // decoding each costs the test seconds
                ByteBuf f = Unpooled.wrappedBuffer(frame);
                Imsg m = Messages.decode(f, ProcId.PARENT, ProcId.CONTROL);
                f.release();
                assertEquals(rows, m.payload(CtlHost.class).id(), "in order");
            }
        }
    }

    private static byte[] nextFrame(SocketChannel ch, ByteBuffer in, long pauseMs) throws Exception {
        fill(ch, in, Messages.HEADER, pauseMs);
        int len = in.getInt(in.position());
        fill(ch, in, len, pauseMs);
        byte[] frame = new byte[len];
        in.get(frame);
        return frame;
    }

    /** Reads until {@code in} holds {@code n} bytes. */
    private static void fill(SocketChannel ch, ByteBuffer in, int n, long pauseMs) throws Exception {
        while (in.remaining() < n) {
            if (pauseMs > 0) {
                Thread.sleep(pauseMs);
            }
            in.compact();
            if (ch.read(in) < 0) {
                throw new IOException("closed");
            }
            in.flip();
        }
    }

    private <T> T on(Callable<T> task) throws Exception {
        return loop.submit(task).get(10, TimeUnit.SECONDS);
    }
}
