package org.hoststated.parent.it;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicInteger;

/** A real TCP backend for the tests: answers every connection with its name and closes. */
final class Backend implements AutoCloseable {
    final String name;
    final InetSocketAddress address;
    /** Connections accepted so far, health checks included. */
    final AtomicInteger accepted = new AtomicInteger();
    private final ServerSocket server;
    private final Thread thread;

    Backend(String name, String ip, int port) throws IOException {
        this.name = name;
        this.server = new ServerSocket();
        server.setReuseAddress(true);
        server.bind(new InetSocketAddress(InetAddress.getByName(ip), port), 128);
        this.address = (InetSocketAddress) server.getLocalSocketAddress();
        this.thread = new Thread(this::serve, "backend-" + name);
        thread.setDaemon(true);
        thread.start();
    }

    private void serve() {
        while (!server.isClosed()) {
            try (Socket s = server.accept(); OutputStream out = s.getOutputStream()) {
                accepted.incrementAndGet();
                out.write((name + "\n").getBytes(StandardCharsets.US_ASCII));
            } catch (IOException e) {
                // Closed, or a client (a health check) that went away: both are normal here.
            }
        }
    }

    @Override
    public void close() throws IOException {
        server.close();
    }
}
