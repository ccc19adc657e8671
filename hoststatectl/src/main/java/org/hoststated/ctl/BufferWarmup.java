package org.hoststated.ctl;

import io.netty.buffer.Unpooled;
import io.netty.util.internal.logging.InternalLoggerFactory;

/**
 * Initialises netty-buffer on a second thread while the main thread parses the command line,
 * loads the message types and connects: the codecs need a {@code ByteBuf}, and netty-buffer's
 * static set-up (platform probes, leak detector) is the largest single part of the CLI's
 * start-up. Class initialisation is thread-safe, so the main thread simply waits for whatever
 * is not done yet when it first encodes a frame.
 */
final class BufferWarmup extends Thread {
    private BufferWarmup() {
        super("buffer-warmup");
        setDaemon(true);
    }

    /** Starts the warm-up; call first thing in {@code main}. */
    static void begin() {
        // The CLI has no buffer to leak past its exit, and sampling costs start-up time.
        if (System.getProperty("io.netty.leakDetection.level") == null) {
            System.setProperty("io.netty.leakDetection.level", "disabled");
        }
        // Empty: no OS classifiers, so netty does not read /etc/os-release and friends (it
        // needs them only to pick native libraries, which the CLI never loads).
        if (System.getProperty("io.netty.osClassifiers") == null) {
            System.setProperty("io.netty.osClassifiers", "");
        }
        new BufferWarmup().start();
    }

    @Override
    public void run() {
        InternalLoggerFactory.setDefaultFactory(QuietLoggerFactory.INSTANCE);
        Unpooled.buffer(16).release();
    }
}
