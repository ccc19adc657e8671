package org.hoststated.parent.it;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * A backend for health check tests that behaves as its {@link Session} says: answers, answers
 * wrongly, half answers, or says nothing. Listens on one address, port 0; each connection runs on
 * its own thread.
 */
final class HceBackend implements AutoCloseable {
    @FunctionalInterface
    interface Session {
        void run(InputStream in, OutputStream out) throws IOException;
    }

    /** Holds the connection without a word until the client leaves. */
    static final Session SILENT = (in, out) -> {
        while (in.read() >= 0) {
            // discard
        }
    };

    /** Reads the request's head, then sends {@code text} and closes. */
    static Session answer(String text) {
        return (in, out) -> {
            readHead(in);
            write(out, text);
        };
    }

    /** Reads the request's head, sends {@code text}, then holds the connection. */
    static Session halfAnswer(String text) {
        return (in, out) -> {
            readHead(in);
            write(out, text);
            SILENT.run(in, out);
        };
    }

    /** Reads one line, then sends {@code text} and closes. */
    static Session answerLine(String text) {
        return (in, out) -> {
            int c;
            while ((c = in.read()) >= 0 && c != '\n') {
                // the request line
            }
            write(out, text);
        };
    }

    /** Sends {@code text} as soon as the client connects, then holds the connection. */
    static Session banner(String text) {
        return (in, out) -> {
            write(out, text);
            SILENT.run(in, out);
        };
    }

    final int port;
    private final ServerSocket server;
    private final List<Socket> open = new ArrayList<>();

    HceBackend(String ip, Session session) throws IOException {
        server = new ServerSocket();
        server.bind(new InetSocketAddress(InetAddress.getByName(ip), 0), 128);
        port = server.getLocalPort();
        Thread t = new Thread(() -> serve(session), "backend-" + ip);
        t.setDaemon(true);
        t.start();
    }

    private void serve(Session session) {
        while (!server.isClosed()) {
            Socket s;
            try {
                s = server.accept();
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
                    // The check closed first (it resets): expected.
                }
            });
            w.setDaemon(true);
            w.start();
        }
    }

    private static void readHead(InputStream in) throws IOException {
        StringBuilder sb = new StringBuilder();
        int c;
        while (sb.indexOf("\r\n\r\n") < 0 && (c = in.read()) >= 0) {
            sb.append((char) c);
        }
    }

    private static void write(OutputStream out, String text) throws IOException {
        out.write(text.getBytes(StandardCharsets.ISO_8859_1));
        out.flush();
    }

    @Override
    public void close() throws IOException {
        server.close();
        synchronized (open) {
            for (Socket s : open) {
                s.close();
            }
        }
    }
}
