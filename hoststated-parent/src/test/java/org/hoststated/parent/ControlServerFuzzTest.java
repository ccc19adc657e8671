package org.hoststated.parent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollIoHandler;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import org.hoststated.core.msg.CtlId;
import org.hoststated.core.msg.Empty;
import org.hoststated.core.msg.Flag;
import org.hoststated.core.msg.Imsg;
import org.hoststated.core.msg.MessageType;
import org.hoststated.core.msg.Messages;
import org.hoststated.core.msg.SummaryRequest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Review CL: malformed control requests, mutated from valid ones (bit flips, truncation,
 * random lengths, random types), sent to a real ControlServer whose request handler answers
 * CTL_OK. Each connection must end in its answers, a CTL_FAIL, or a close, within a second;
 * no request that is not well formed may reach the handler; the server must answer a valid
 * request afterwards.
 */
class ControlServerFuzzTest {
    @TempDir
    Path dir;

    private static byte[] frame(Imsg m) {
        ByteBuf b = Unpooled.buffer();
        Messages.encode(m, b);
        byte[] a = new byte[b.readableBytes()];
        b.readBytes(a);
        return a;
    }

    @Test
    void mutatedRequestsCloseOnlyTheirClient() throws Exception {
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
        Path socket = dir.resolve("hoststated.sock");
        AtomicInteger handled = new AtomicInteger();
        List<String> odd = new ArrayList<>();
        ControlServer control = new ControlServer(group.next(), socket, (c, m) -> {
            handled.incrementAndGet();
            try {
                // What reaches the parent must re-encode to a valid frame.
                frame(m);
            } catch (RuntimeException e) {
                synchronized (odd) {
                    odd.add(m + ": " + e);
                }
            }
            c.send(Imsg.of(MessageType.CTL_OK));
        });
        int v = Messages.CONTROL_VERSION;
        List<byte[]> seeds = List.of(
                frame(new Imsg(MessageType.CTL_SHOW_SUM, v, 0, new SummaryRequest(SummaryRequest.View.RELAYS))),
                frame(new Imsg(MessageType.CTL_HOST_DISABLE, v, 0, new CtlId(3, null))),
                frame(new Imsg(MessageType.CTL_TABLE_ENABLE, v, 0, new CtlId(CtlId.NO_ID, "web"))),
                frame(new Imsg(MessageType.CTL_LOG_VERBOSE, v, 0, new Flag(true))),
                frame(new Imsg(MessageType.CTL_SHOW_SESSIONS, v, 0, Empty.INSTANCE)));
        Random rnd = new Random(42);
        try {
            assertTrue(group.next().submit(control::open).get().await().isSuccess());
            for (int round = 0; round < 600; round++) {
                byte[] f = seeds.get(rnd.nextInt(seeds.size())).clone();
                int how = rnd.nextInt(4);
                if (how == 0) {
                    // flip bits past the version
                    for (int i = 0; i < 1 + rnd.nextInt(4); i++) {
                        int at = 12 + rnd.nextInt(Math.max(1, f.length - 12));
                        if (at < f.length) {
                            f[at] ^= (byte) (1 << rnd.nextInt(8));
                        }
                    }
                } else if (how == 1) {
                    // random type
                    int t = rnd.nextInt(80);
                    f[4] = (byte) (t >> 8);
                    f[5] = (byte) t;
                } else if (how == 2) {
                    // length that lies
                    int len = 16 + rnd.nextInt(64);
                    ByteBuffer.wrap(f).putInt(0, len);
                } else {
                    // random payload bytes after a valid header
                    for (int i = 16; i < f.length; i++) {
                        f[i] = (byte) rnd.nextInt(256);
                    }
                }
                exchange(socket, f, round);
            }
            // Still serving.
            String last = exchange(socket, seeds.get(0), -1);
            assertEquals("CTL_OK", last);
            synchronized (odd) {
                assertTrue(odd.isEmpty(), odd.toString());
            }
        } finally {
            group.next().submit(control::close).get();
            group.shutdownGracefully().await();
        }
    }

    private static String typeName(int t) {
        try {
            return MessageType.forId(t).toString();
        } catch (Exception e) {
            return "type " + t;
        }
    }

    /** Sends {@code f}, returns the type of the first answer, "closed", or fails on a hang. */
    private static String exchange(Path socket, byte[] f, int round) throws Exception {
        try (SocketChannel c = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            c.connect(UnixDomainSocketAddress.of(socket));
            c.write(ByteBuffer.wrap(f));
            c.shutdownOutput();
            c.configureBlocking(false);
            ByteBuffer in = ByteBuffer.allocate(65536);
            long deadline = System.nanoTime() + 2_000_000_000L;
            while (System.nanoTime() < deadline) {
                int n;
                try {
                    n = c.read(in);
                } catch (IOException e) {
                    return "reset";
                }
                if (n < 0) {
                    if (in.position() >= 6) {
                        int type = (in.get(4) & 0xff) << 8 | (in.get(5) & 0xff);
                        return typeName(type);
                    }
                    return "closed";
                }
                if (in.position() >= 16) {
                    int type = (in.get(4) & 0xff) << 8 | (in.get(5) & 0xff);
                    return typeName(type);
                }
                Thread.sleep(2);
            }
            // A frame that promised more than it sent waits for the rest: half-closed by us,
            // the server must not hold the connection forever (idle timeout is 60 s, though).
            return "waiting";
        }
    }
}
