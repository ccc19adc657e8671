package org.hoststated.relay;

import java.io.IOException;
import java.nio.file.Path;
import org.hoststated.core.log.LogConfig;
import org.hoststated.core.posix.UnixDatagramSocket;

/**
 * The engine's log sent, as the daemon sends it, to a syslog socket of the test's own in
 * {@code dir}; closing gives the tests their log on standard error back, then the socket.
 */
public final class TestSyslog implements AutoCloseable {
    public final UnixDatagramSocket socket;

    public TestSyslog(Path dir, boolean verbose) throws IOException {
        Path devLog = dir.resolve("log");
        socket = UnixDatagramSocket.bind(devLog);
        LogConfig.init("hoststated", "relay", false, verbose, devLog);
    }

    @Override
    public void close() throws IOException {
        LogConfig.init("hoststated", "hoststated", true, false);
        socket.close();
    }
}
