package org.hoststated.parent.it;

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

/**
 * A real TCP backend for the relay tests: writes its name and a newline, then echoes what it
 * reads until the client's FIN, then closes. A thread per connection, so sessions can stay open.
 */
final class RelayEchoBackend implements AutoCloseable {
    final String name;
    final InetSocketAddress address;
    private final ServerSocket server;
    private final List<Socket> open = new CopyOnWriteArrayList<>();

    RelayEchoBackend(String name, String ip) throws IOException {
        this.name = name;
        server = new ServerSocket();
        server.setReuseAddress(true);
        server.bind(new InetSocketAddress(InetAddress.getByName(ip), 0), 256);
        address = (InetSocketAddress) server.getLocalSocketAddress();
        Thread t = new Thread(this::acceptLoop, "echo-" + name);
        t.setDaemon(true);
        t.start();
    }

    int port() {
        return address.getPort();
    }

    private void acceptLoop() {
        while (!server.isClosed()) {
            try {
                Socket s = server.accept();
                open.add(s);
                Thread t = new Thread(() -> serve(s), "echo-" + name + "-conn");
                t.setDaemon(true);
                t.start();
            } catch (IOException e) {
                return;
            }
        }
    }

    private void serve(Socket s) {
        try (s) {
            OutputStream out = s.getOutputStream();
            InputStream in = s.getInputStream();
            out.write((name + "\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            in.transferTo(out);
        } catch (IOException e) {
            // The client went away (a health check does): normal here.
        } finally {
            open.remove(s);
        }
    }

    @Override
    public void close() throws IOException {
        server.close();
        for (Socket s : open) {
            s.close();
        }
    }
}
