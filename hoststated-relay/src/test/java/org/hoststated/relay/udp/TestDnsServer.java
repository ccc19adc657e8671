package org.hoststated.relay.udp;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.DatagramChannel;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A small authoritative DNS server over UDP for tests: answers every A query with one A record
 * holding {@link #address}, on its own thread. It records the id and source port of each query
 * it gets, and can misbehave: stay silent, answer {@link #LATE_MS} late, send a forged answer
 * from another socket first, answer each pair of queries first with each other's ids (as the
 * late answer to a query that timed out arrives under an id given again to another), answer
 * with the question's name in upper case, answer from another socket only (a host behind NAT,
 * or one that answers from another address), or answer under another id than the query's.
 */
final class TestDnsServer implements AutoCloseable {
    enum Mode { ANSWER, SILENT, FORGE_FIRST, BIG, LATE, SWAP_IDS_FIRST, UPPER_CASE, FROM_OTHER_PORT, OTHER_ID,
        /** Silent to queries for names that start with "hold", answers the others. */
        SILENT_TO_HOLD }

    /** A query as the server saw it. */
    record Seen(int id, int sourcePort, String name) {
    }

    static final int LATE_MS = 700;

    final byte[] address;
    final List<Seen> seen = new CopyOnWriteArrayList<>();
    private final DatagramChannel socket;
    private final DatagramChannel forger;
    private final Thread thread;
    /** The first query of a pair in {@link Mode#SWAP_IDS_FIRST}, and whom to answer. */
    private byte[] held;
    private InetSocketAddress heldFrom;
    volatile Mode mode = Mode.ANSWER;

    TestDnsServer(InetAddress bind, byte[] address) throws IOException {
        this.address = address;
        socket = DatagramChannel.open().bind(new InetSocketAddress(bind, 0));
        forger = DatagramChannel.open().bind(new InetSocketAddress(bind, 0));
        thread = new Thread(this::serve, "test-dns-" + port());
        thread.setDaemon(true);
        thread.start();
    }

    int port() {
        try {
            return ((InetSocketAddress) socket.getLocalAddress()).getPort();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    InetSocketAddress endpoint() {
        try {
            return (InetSocketAddress) socket.getLocalAddress();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private void serve() {
        ByteBuffer in = ByteBuffer.allocate(65_535);
        try {
            while (true) {
                in.clear();
                InetSocketAddress from = (InetSocketAddress) socket.receive(in);
                in.flip();
                byte[] q = new byte[in.remaining()];
                in.get(q);
                if (q.length < 12) {
                    continue;
                }
                int id = (q[0] & 0xff) << 8 | q[1] & 0xff;
                seen.add(new Seen(id, from.getPort(), Dns.questionName(q)));
                switch (mode) {
                    case SILENT -> { }
                    case SILENT_TO_HOLD -> {
                        if (!Dns.questionName(q).startsWith("hold")) {
                            socket.send(ByteBuffer.wrap(Dns.answer(q, address, 0)), from);
                        }
                    }
                    case ANSWER -> socket.send(ByteBuffer.wrap(Dns.answer(q, address, 0)), from);
                    case BIG -> socket.send(ByteBuffer.wrap(Dns.answer(q, address, 10_000)), from);
                    case LATE -> {
                        sleep(LATE_MS);
                        socket.send(ByteBuffer.wrap(Dns.answer(q, address, 0)), from);
                    }
                    case SWAP_IDS_FIRST -> {
                        if (held == null) {
                            held = q;
                            heldFrom = from;
                        } else {
                            socket.send(ByteBuffer.wrap(withId(Dns.answer(held, address, 0), q)), from);
                            socket.send(ByteBuffer.wrap(withId(Dns.answer(q, address, 0), held)), heldFrom);
                            socket.send(ByteBuffer.wrap(Dns.answer(held, address, 0)), heldFrom);
                            socket.send(ByteBuffer.wrap(Dns.answer(q, address, 0)), from);
                            held = null;
                        }
                    }
                    case UPPER_CASE -> {
                        byte[] a = Dns.answer(q, address, 0);
                        for (int i = 12; i < a.length && a[i] != 0; i += (a[i] & 0xff) + 1) {
                            for (int j = i + 1; j <= i + (a[i] & 0xff); j++) {
                                a[j] = (byte) Character.toUpperCase(a[j]);
                            }
                        }
                        socket.send(ByteBuffer.wrap(a), from);
                    }
                    case FROM_OTHER_PORT -> forger.send(ByteBuffer.wrap(Dns.answer(q, address, 0)), from);
                    case OTHER_ID -> {
                        byte[] a = Dns.answer(q, address, 0);
                        a[1] ^= 1;
                        socket.send(ByteBuffer.wrap(a), from);
                    }
                    case FORGE_FIRST -> {
                        forger.send(ByteBuffer.wrap(Dns.answer(q, new byte[] {6, 6, 6, 6}, 0)), from);
                        socket.send(ByteBuffer.wrap(Dns.answer(q, address, 0)), from);
                    }
                }
            }
        } catch (ClosedChannelException e) {
            // closed by the test
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** {@code answer} with the id of {@code other}. */
    private static byte[] withId(byte[] answer, byte[] other) {
        answer[0] = other[0];
        answer[1] = other[1];
        return answer;
    }

    private static void sleep(int ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() throws Exception {
        socket.close();
        forger.close();
        thread.join(5_000);
    }
}
