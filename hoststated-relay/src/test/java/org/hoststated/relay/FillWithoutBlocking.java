package org.hoststated.relay;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.util.concurrent.TimeUnit;

/**
 * A client that fills every buffer on its way to a server that does not read, with no write
 * of its own left blocked in the kernel: a reset sent to it then reaches its next read, not a
 * write in flight (which would take the reset's error and leave the read only the end).
 */
public final class FillWithoutBlocking {
    private static final long IDLE_NANOS = TimeUnit.MILLISECONDS.toNanos(200);

    private FillWithoutBlocking() {
    }

    /**
     * Writes zeros to {@code c}, non-blocking, until it has taken nothing for 200 ms; leaves it
     * blocking again.
     */
    public static void fill(SocketChannel c) throws IOException, InterruptedException {
        c.configureBlocking(false);
        ByteBuffer chunk = ByteBuffer.allocate(65536);
        for (long idle = System.nanoTime(); System.nanoTime() - idle < IDLE_NANOS; ) {
            chunk.clear();
            if (c.write(chunk) > 0) {
                idle = System.nanoTime();
            } else {
                Thread.sleep(5);
            }
        }
        c.configureBlocking(true);
    }
}
