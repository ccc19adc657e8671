package org.hoststated.relay;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * The peers of the session timeout tests where one side reads slowly: a server that sends
 * without end or reads an upload slowly, each on its own thread, and the pace of a slow
 * reader. Each server notes when the relay cut its connection.
 */
public final class SlowPeer implements AutoCloseable {
    /** A slow reader's pace: this many bytes... */
    public static final int READ_BYTES = 32 * 1024;
    /** ...every this many milliseconds (320 KB/s). */
    public static final long READ_EVERY_MS = 100;
    /** The relay's {@code socket buffer} in these tests: the kernel then holds megabytes for the slow side. */
    public static final int BIG_SOCKET_BUFFER = 4 * 1024 * 1024;
    /** The slow side's receive buffer. */
    public static final int SMALL_RECEIVE_BUFFER = 32 * 1024;

    private final ServerSocket server;
    /** When the relay cut the server's connection (its write or read failed, or it read EOF). */
    public final LinkedBlockingQueue<Long> cutAt = new LinkedBlockingQueue<>();
    /** A sink reads while this is true. */
    private volatile boolean reading = true;

    private SlowPeer(InetAddress at, boolean smallReceiveBuffer) throws IOException {
        server = new ServerSocket();
        if (smallReceiveBuffer) {
            server.setReceiveBufferSize(SMALL_RECEIVE_BUFFER); // inherited by the accepted socket
        }
        server.bind(new InetSocketAddress(at, 0), 4);
    }

    /**
     * A server that, once what it has read ends with {@code awaited}, sends {@code head} and
     * then zeros without end.
     */
    public static SlowPeer endlessSource(InetAddress at, String awaited, String head) throws IOException {
        SlowPeer p = new SlowPeer(at, false);
        p.serve(s -> {
            InputStream in = s.getInputStream();
            StringBuilder got = new StringBuilder();
            while (got.length() < awaited.length() || !got.substring(got.length() - awaited.length()).equals(awaited)) {
                int b = in.read();
                if (b < 0) {
                    throw new IOException("EOF before the request");
                }
                got.append((char) b);
            }
            OutputStream out = s.getOutputStream();
            out.write(head.getBytes(StandardCharsets.US_ASCII));
            byte[] chunk = new byte[64 * 1024];
            while (true) {
                out.write(chunk);
            }
        });
        return p;
    }

    /** A server with a small receive buffer that reads at a slow reader's pace until {@link #stopReading}. */
    public static SlowPeer slowSink(InetAddress at) throws IOException {
        SlowPeer p = new SlowPeer(at, true);
        p.serve(s -> {
            InputStream in = s.getInputStream();
            byte[] buf = new byte[READ_BYTES];
            while (true) {
                if (!p.reading) {
                    // Reads nothing more; the test sees the cut on the uploading client.
                    while (!p.server.isClosed()) {
                        Thread.sleep(50);
                    }
                    return;
                }
                if (in.read(buf) < 0) {
                    return;
                }
                Thread.sleep(READ_EVERY_MS);
            }
        });
        return p;
    }

    private interface Serve {
        void serve(Socket s) throws Exception;
    }

    private void serve(Serve how) {
        Thread t = new Thread(() -> {
            try (Socket s = server.accept()) {
                how.serve(s);
            } catch (Exception e) {
                // the relay cut the connection
            } finally {
                cutAt.add(System.nanoTime());
            }
        }, "slow-peer");
        t.setDaemon(true);
        t.start();
    }

    public InetSocketAddress address() {
        return (InetSocketAddress) server.getLocalSocketAddress();
    }

    /** A sink stops reading from now on. */
    public void stopReading() {
        reading = false;
    }

    /**
     * Reads {@code in} at a slow reader's pace for {@code ms}; fails if the stream ends.
     *
     * @return the bytes read
     */
    public static long readSlowly(InputStream in, long ms) throws IOException, InterruptedException {
        byte[] buf = new byte[READ_BYTES];
        long got = 0;
        long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(ms);
        while (System.nanoTime() < end) {
            int n;
            try {
                n = in.read(buf);
            } catch (IOException e) {
                throw new AssertionError("cut while reading slowly after " + got + " bytes: " + e, e);
            }
            assertTrue(n > 0, "the stream ended while reading slowly after " + got + " bytes");
            got += n;
            Thread.sleep(READ_EVERY_MS); // the slow reader under test
        }
        return got;
    }

    /**
     * Writes zeros to {@code s} without end on a thread of its own, and notes in the queue
     * returned when the relay cut it.
     */
    public static LinkedBlockingQueue<Long> writeWithoutEnd(Socket s, String head) {
        LinkedBlockingQueue<Long> cut = new LinkedBlockingQueue<>();
        Thread t = new Thread(() -> {
            try {
                OutputStream out = s.getOutputStream();
                out.write(head.getBytes(StandardCharsets.US_ASCII));
                byte[] chunk = new byte[64 * 1024];
                while (true) {
                    out.write(chunk);
                }
            } catch (IOException e) {
                cut.add(System.nanoTime());
            }
        }, "endless-upload");
        t.setDaemon(true);
        t.start();
        return cut;
    }

    /**
     * Waits for a cut and checks that it came about one {@code timeoutSec} after {@code since}
     * (when the slow side stopped reading): not much before, and well before two, give or take
     * {@code lateMs} the relay may take to close once the session has ended.
     */
    public static void assertCutAfterOneTimeout(LinkedBlockingQueue<Long> cutAt, long since, int timeoutSec, long lateMs)
            throws InterruptedException {
        Long cut = cutAt.poll(10, TimeUnit.SECONDS);
        assertTrue(cut != null, "the session outlived 10 s after the slow side stopped reading");
        long ms = (cut - since) / 1_000_000;
        long t = timeoutSec * 1000L;
        assertTrue(ms >= t * 3 / 4 && ms < t * 2 + lateMs,
                "cut " + ms + " ms after the reading stopped (timeout " + t + " ms)");
    }

    /** Fails if {@code cutAt} holds a cut, saying how long after {@code start} it came. */
    public static void assertNotCut(LinkedBlockingQueue<Long> cutAt, long start, String while_) {
        Long cut = cutAt.peek();
        assertTrue(cut == null, () -> "cut " + (cut - start) / 1_000_000 + " ms after the start, while " + while_);
    }

    @Override
    public void close() throws IOException {
        server.close();
    }
}
