package org.hoststated.ctl;

import io.netty.buffer.Unpooled;
import io.netty.util.internal.logging.InternalLoggerFactory;

/**
 * Runs the two slowest one-time set-ups of the CLI on their own threads while the main thread
 * parses the command line and loads the message types, so that they overlap instead of adding
 * up:
 * <ul>
 * <li>netty-buffer's static set-up (platform probes, leak detector), which the codecs need
 *     for their first {@code ByteBuf};
 * <li>the JDK's Unix domain socket support, whose static set-up creates a {@code SecureRandom}
 *     (for names of sockets bound without one, which the CLI never does) and with it loads the
 *     security providers: the largest single part of the first {@code connect}.
 * </ul>
 * Class initialisation is thread-safe, so the main thread simply waits for whatever is not done
 * yet when it first needs it. No lambdas here: their first bootstrap costs more than it saves.
 */
final class StartupWarmup extends Thread {
    private static final int BUFFERS = 0;
    private static final int UNIX_SOCKETS = 1;
    private final int what;

    private StartupWarmup(String name, int what) {
        super(name);
        this.what = what;
        setDaemon(true);
    }

    /** Starts the warm-ups; call first thing in {@code main}. */
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
        new StartupWarmup("socket-warmup", UNIX_SOCKETS).start();
        new StartupWarmup("buffer-warmup", BUFFERS).start();
    }

    @Override
    public void run() {
        if (what == BUFFERS) {
            InternalLoggerFactory.setDefaultFactory(QuietLoggerFactory.INSTANCE);
            Unpooled.buffer(16).release();
            return;
        }
        try {
            // Initialising is allowed for any class; only its members would be out of reach.
            Class.forName("sun.nio.ch.UnixDomainSockets", true, null);
        } catch (ClassNotFoundException | LinkageError e) {
            // Another JDK: the first connect does the same work, only later.
        }
    }
}
