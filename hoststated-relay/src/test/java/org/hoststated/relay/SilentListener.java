package org.hoststated.relay;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.util.ArrayList;
import java.util.List;

/**
 * A listener whose accept queue is full and never drained: the kernel drops further SYNs, so a
 * connect to it waits as a connect to a host that drops packets does.
 */
public final class SilentListener implements AutoCloseable {
    private final ServerSocket server;
    private final List<Socket> queued = new ArrayList<>();

    private SilentListener(ServerSocket server) {
        this.server = server;
    }

    public static SilentListener open() throws IOException {
        SilentListener l = new SilentListener(new ServerSocket(0, 1, InetAddress.getLoopbackAddress()));
        for (int i = 0; i < 16; i++) {
            Socket s = new Socket();
            try {
                s.connect(l.address(), 200);
                l.queued.add(s);
            } catch (SocketTimeoutException full) {
                s.close();
                return l;
            }
        }
        l.close();
        throw new IOException("the accept queue did not fill");
    }

    /**
     * Makes room in the queue (takes and closes the connections that filled it) and returns the
     * next connection, one whose SYN was dropped until now (the kernel retries it after a
     * second), within 20 s.
     */
    public Socket acceptTheNext() throws IOException {
        server.setSoTimeout(20_000);
        for (int i = 0; i < queued.size(); i++) {
            server.accept().close();
        }
        return server.accept();
    }

    public InetSocketAddress address() {
        return (InetSocketAddress) server.getLocalSocketAddress();
    }

    @Override
    public void close() throws IOException {
        for (Socket s : queued) {
            s.close();
        }
        server.close();
    }
}
