package org.hoststated.relay;

import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/**
 * A client that reads a little of a long stream, then, once its server has ended that stream
 * at the relay, sends a few bytes of its own and reads on: what a relay that closed it as soon
 * as the last bytes were in its kernel lost (the client's bytes made the kernel reset the
 * connection and drop what it had not sent; probe T of session 60).
 */
public final class LateClientBytes {
    private LateClientBytes() {
    }

    /**
     * Reads 64 KiB from {@code c}, waits 500 ms (the relay reads the server's whole stream and
     * its end meanwhile), sends {@code late}, and reads to the end; returns the bytes read.
     */
    public static int readAllSendingMidway(Socket c, String late) throws IOException, InterruptedException {
        InputStream in = c.getInputStream();
        int got = in.readNBytes(64 * 1024).length;
        Thread.sleep(500);
        c.getOutputStream().write(late.getBytes(StandardCharsets.US_ASCII));
        c.getOutputStream().flush();
        Thread.sleep(200);
        byte[] buf = new byte[16 * 1024];
        for (int n; (n = in.read(buf)) >= 0; ) {
            got += n;
        }
        return got;
    }
}
