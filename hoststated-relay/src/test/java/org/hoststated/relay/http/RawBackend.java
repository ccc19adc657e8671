package org.hoststated.relay.http;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A backend on a plain server socket, one thread per connection, running a script the test
 * gives it: for servers that misbehave on purpose, and to see the exact bytes the relay sent.
 */
final class RawBackend implements AutoCloseable {
    interface Script {
        void serve(RawBackend backend, InputStream in, OutputStream out) throws IOException;
    }

    private final ServerSocket server;
    private final Script script;
    final List<Socket> sockets = new CopyOnWriteArrayList<>();
    final AtomicInteger connections = new AtomicInteger();
    /** What scripts recorded (request heads, bodies). */
    final LinkedBlockingQueue<String> seen = new LinkedBlockingQueue<>();

    RawBackend(String address, Script script) throws IOException {
        this.script = script;
        server = new ServerSocket();
        server.bind(new InetSocketAddress(InetAddress.getByName(address), 0), 64);
        Thread t = new Thread(this::accept, "raw-backend");
        t.setDaemon(true);
        t.start();
    }

    InetSocketAddress address() {
        return (InetSocketAddress) server.getLocalSocketAddress();
    }

    private void accept() {
        while (!server.isClosed()) {
            try {
                Socket s = server.accept();
                connections.incrementAndGet();
                sockets.add(s);
                Thread t = new Thread(() -> {
                    try (s) {
                        script.serve(this, s.getInputStream(), s.getOutputStream());
                    } catch (IOException e) {
                        // The relay went away; the test sees that on its side.
                    }
                }, "raw-backend-conn");
                t.setDaemon(true);
                t.start();
            } catch (IOException e) {
                return;
            }
        }
    }

    /** Reads a request head (through the blank line); null at EOF before any byte. */
    static String head(InputStream in) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        int state = 0;
        for (int c; state < 4; ) {
            c = in.read();
            if (c < 0) {
                if (b.size() == 0) {
                    return null;
                }
                throw new IOException("EOF in head");
            }
            b.write(c);
            state = (c == '\r' && (state == 0 || state == 2)) || (c == '\n' && (state == 1 || state == 3)) ? state + 1
                    : c == '\r' ? 1 : 0;
        }
        return b.toString(StandardCharsets.ISO_8859_1);
    }

    /** A script that answers every request head on the connection with {@code response}. */
    static Script answering(String response) {
        return (backend, in, out) -> {
            while (head(in) != null) {
                write(out, response);
            }
        };
    }

    static void write(OutputStream out, String s) throws IOException {
        out.write(s.getBytes(StandardCharsets.ISO_8859_1));
        out.flush();
    }

    @Override
    public void close() throws IOException {
        server.close();
        for (Socket s : sockets) {
            s.close();
        }
    }
}
