package org.hoststated.parent.it;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/** Client side helpers of the relay end-to-end tests: one session, and a steady stream of them. */
final class RelayClient {
    private RelayClient() {
    }

    /** A port free on {@code ip} now (the daemon binds it a moment later). */
    static int freePort(String ip) throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName(ip))) {
            return s.getLocalPort();
        }
    }

    static Socket open(String ip, int port) throws IOException {
        Socket s = new Socket();
        s.connect(new InetSocketAddress(InetAddress.getByName(ip), port), 3000);
        s.setSoTimeout(5000);
        return s;
    }

    static String readLine(InputStream in) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        for (int c; (c = in.read()) != '\n'; ) {
            if (c < 0) {
                return null;
            }
            b.write(c);
        }
        return b.toString(StandardCharsets.US_ASCII);
    }

    /** Writes {@code line} and reads the echo of it. */
    static String echo(Socket s, String line) throws IOException {
        s.getOutputStream().write((line + "\n").getBytes(StandardCharsets.US_ASCII));
        s.getOutputStream().flush();
        return readLine(s.getInputStream());
    }

    /**
     * One whole session: the backend's name, an echoed line, FIN, EOF. A failure says at which
     * step and from which local port, so that the daemon's log line can be found.
     */
    static String session(String ip, int port) throws IOException {
        try (Socket s = open(ip, port)) {
            String step = "reading the backend's name";
            try {
                String name = readLine(s.getInputStream());
                if (name == null) {
                    throw new IOException("closed before the backend's name");
                }
                step = "echo";
                if (!"ping".equals(echo(s, "ping"))) {
                    throw new IOException("no echo from " + name);
                }
                step = "awaiting the end after the client's FIN";
                s.shutdownOutput();
                if (s.getInputStream().read() != -1) {
                    throw new IOException("data after the echo");
                }
                return name;
            } catch (IOException e) {
                throw new IOException(e + " (" + step + ", client port " + s.getLocalPort() + ")", e);
            }
        }
    }

    /** Sessions one after another on a thread, counting those that failed and why. */
    static final class Load implements AutoCloseable {
        final AtomicInteger ok = new AtomicInteger();
        final List<String> failures = new CopyOnWriteArrayList<>();
        private final AtomicBoolean running = new AtomicBoolean(true);
        private final Thread thread;

        Load(String ip, int port) {
            thread = new Thread(() -> {
                while (running.get()) {
                    try {
                        session(ip, port);
                        ok.incrementAndGet();
                    } catch (IOException e) {
                        failures.add(e.toString());
                    }
                }
            }, "relay-load");
            thread.setDaemon(true);
            thread.start();
        }

        @Override
        public void close() throws InterruptedException {
            running.set(false);
            thread.join(10_000);
        }
    }
}
