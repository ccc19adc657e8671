package org.hoststated.relay;

import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;

/**
 * A TCP socket whose output passes on only the first {@code bytes} written once
 * {@link #cutAfter} is called: a TLS client layered over it sends part of a record.
 */
public final class CuttingSocket extends Socket {
    private volatile int allow = -1;
    private OutputStream out;

    public void cutAfter(int bytes) {
        allow = bytes;
    }

    @Override
    public synchronized OutputStream getOutputStream() throws IOException {
        if (out == null) {
            OutputStream raw = super.getOutputStream();
            out = new FilterOutputStream(raw) {
                @Override
                public void write(byte[] b, int off, int len) throws IOException {
                    int n = allow < 0 ? len : Math.min(len, allow);
                    if (allow >= 0) {
                        allow -= n;
                    }
                    raw.write(b, off, n);
                }
            };
        }
        return out;
    }
}
