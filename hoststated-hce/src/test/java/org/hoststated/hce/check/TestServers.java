package org.hoststated.hce.check;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;

/**
 * Real servers on loopback, port 0, each on its own threads, for check tests: the server's
 * behaviour is a function of the accepted connection's streams.
 */
public final class TestServers implements AutoCloseable {
    private final List<AutoCloseable> open = new ArrayList<>();

    /** A server whose every connection runs {@code session(in, out)} on its own thread. */
    public int serve(InetAddress bind, Session session) throws IOException {
        ServerSocket ss = new ServerSocket();
        ss.bind(new InetSocketAddress(bind, 0), 4096);
        open.add(ss);
        Thread t = new Thread(() -> {
            while (!ss.isClosed()) {
                Socket s;
                try {
                    s = ss.accept();
                } catch (IOException e) {
                    return;
                }
                synchronized (open) {
                    open.add(s);
                }
                Thread w = new Thread(() -> {
                    try (s) {
                        session.run(s.getInputStream(), s.getOutputStream());
                    } catch (IOException e) {
                        // The check closed first (SO_LINGER 0 resets): expected.
                    }
                });
                w.setDaemon(true);
                w.start();
            }
        }, "test-server");
        t.setDaemon(true);
        t.start();
        return ss.getLocalPort();
    }

    public int serve(Session session) throws IOException {
        return serve(InetAddress.getLoopbackAddress(), session);
    }

    /** A bound port with nothing listening: connects are refused. */
    public static int refusedPort() throws IOException {
        try (ServerSocket ss = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return ss.getLocalPort();
        }
    }

    /**
     * A listener that never accepts, with its accept queue filled, so the kernel drops further
     * SYNs: a connect to it times out.
     */
    public int blackhole() throws IOException {
        ServerSocket ss = new ServerSocket();
        ss.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 1);
        open.add(ss);
        for (int i = 0; i < 4; i++) {
            Socket filler = new Socket();
            open.add(filler);
            try {
                filler.connect(ss.getLocalSocketAddress(), 200);
            } catch (IOException e) {
                break; // queue full: from here on SYNs are dropped
            }
        }
        return ss.getLocalPort();
    }

    /** Reads what a client sends until it closes or {@code stop} returns true. */
    public static String readUntil(InputStream in, java.util.function.Predicate<String> stop) throws IOException {
        StringBuilder sb = new StringBuilder();
        byte[] buf = new byte[1024];
        int n;
        while (!stop.test(sb.toString()) && (n = in.read(buf)) > 0) {
            sb.append(new String(buf, 0, n, java.nio.charset.StandardCharsets.ISO_8859_1));
        }
        return sb.toString();
    }

    @FunctionalInterface
    public interface Session {
        void run(InputStream in, OutputStream out) throws IOException;
    }

    /** A session that holds the connection open without answering until the client leaves. */
    public static final Session SILENT = (in, out) -> {
        while (in.read() >= 0) {
            // discard
        }
    };

    @Override
    public void close() {
        synchronized (open) {
            for (AutoCloseable c : open) {
                try {
                    c.close();
                } catch (Exception e) {
                    // test teardown
                }
            }
        }
    }

}
