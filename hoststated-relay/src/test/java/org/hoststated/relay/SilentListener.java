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
