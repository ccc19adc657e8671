package org.hoststated.relay;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A real backend server on 127.0.0.1, port 0, with plain blocking sockets (one thread per
 * connection), so relay tests check against the kernel, not against Netty itself.
 */
final class TestBackend implements AutoCloseable {
    enum Mode {
        /** Writes its name and a newline, then echoes; FIN after the client's FIN. */
        IDENT_ECHO,
        /** Writes {@code size} pattern bytes, FIN, then reads the client's bytes to EOF. */
        SOURCE_THEN_SINK,
        /** Reads the client's bytes to EOF and writes nothing (a syslog server, a log collector). */
        SINK
    }

    /** What a SOURCE_THEN_SINK connection received after it sent FIN. */
    record Received(long bytes, byte[] sha256) {
    }

    private final String name;
    private final Mode mode;
    private final long size;
    private final ServerSocket server;
    private final List<Socket> sockets = new CopyOnWriteArrayList<>();
    private final AtomicInteger connections = new AtomicInteger();
    final LinkedBlockingQueue<Received> received = new LinkedBlockingQueue<>();

    private TestBackend(String name, Mode mode, long size) throws IOException {
        this(name, mode, size, InetAddress.getLoopbackAddress());
    }

    private TestBackend(String name, Mode mode, long size, InetAddress at) throws IOException {
        this.name = name;
        this.mode = mode;
        this.size = size;
        server = new ServerSocket();
        server.bind(new InetSocketAddress(at, 0), 128);
        Thread t = new Thread(this::acceptLoop, "backend-" + name);
        t.setDaemon(true);
        t.start();
    }

    static TestBackend identEcho(String name) throws IOException {
        return new TestBackend(name, Mode.IDENT_ECHO, 0);
    }

    /** Like {@link #identEcho(String)}, listening on {@code at}. */
    static TestBackend identEcho(String name, InetAddress at) throws IOException {
        return new TestBackend(name, Mode.IDENT_ECHO, 0, at);
    }

    static TestBackend source(String name, long size) throws IOException {
        return new TestBackend(name, Mode.SOURCE_THEN_SINK, size);
    }

    static TestBackend sink(String name) throws IOException {
        return new TestBackend(name, Mode.SINK, 0);
    }

    int port() {
        return server.getLocalPort();
    }

    InetSocketAddress address() {
        return (InetSocketAddress) server.getLocalSocketAddress();
    }

    String name() {
        return name;
    }

    int connections() {
        return connections.get();
    }

    private void acceptLoop() {
        while (!server.isClosed()) {
            try {
                Socket s = server.accept();
                connections.incrementAndGet();
                sockets.add(s);
                Thread t = new Thread(() -> serve(s), "backend-" + name + "-conn");
                t.setDaemon(true);
                t.start();
            } catch (IOException e) {
                return;
            }
        }
    }

    private void serve(Socket s) {
        try (s) {
            // Without it, tests that shrink the relay's socket buffers wait for delayed ACKs.
            s.setTcpNoDelay(true);
            InputStream in = s.getInputStream();
            OutputStream out = s.getOutputStream();
            if (mode == Mode.IDENT_ECHO) {
                out.write((name + "\n").getBytes(StandardCharsets.US_ASCII));
                out.flush();
                in.transferTo(out);
                s.shutdownOutput();
                in.read();
            } else if (mode == Mode.SINK) {
                in.transferTo(OutputStream.nullOutputStream());
            } else {
                Pattern.write(out, size);
                s.shutdownOutput();
                MessageDigest d = Pattern.sha256();
                byte[] buf = new byte[64 * 1024];
                long n = 0;
                for (int r; (r = in.read(buf)) >= 0; ) {
                    d.update(buf, 0, r);
                    n += r;
                }
                received.add(new Received(n, d.digest()));
            }
        } catch (IOException e) {
            // The client went away; the test sees that on its own side.
        }
    }

    @Override
    public void close() throws IOException {
        server.close();
        for (Socket s : sockets) {
            s.close();
        }
    }
}
