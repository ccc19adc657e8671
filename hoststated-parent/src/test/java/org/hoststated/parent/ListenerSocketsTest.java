package org.hoststated.parent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.channel.epoll.Epoll;
import io.netty.channel.unix.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.hoststated.core.config.Config;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The UDP socket of a {@code protocol dns} relay gets a receive buffer beyond
 * {@code net.core.rmem_max} from the parent as root, so a burst of queries is not dropped by
 * the kernel; {@code socket buffer} sets another size.
 */
class ListenerSocketsTest {
    @TempDir
    Path dir;

    @Test
    void aDnsListenerGetsItsReceiveBufferBeyondTheSystemLimit() throws Exception {
        Assumptions.assumeTrue("root".equals(System.getProperty("user.name")), "needs root for SO_RCVBUFFORCE");
        // Netty's unix sockets live in the epoll native library, which the parent's loop loads.
        Epoll.ensureAvailability();
        int limit = Integer.parseInt(Files.readString(Path.of("/proc/sys/net/core/rmem_max")).trim());
        assertReceiveBuffer("", 4 << 20, limit);
        assertReceiveBuffer("  tcp socket buffer 9000000\n", 9_000_000, limit);
    }

    private void assertReceiveBuffer(String option, int expected, int limit) throws Exception {
        Path file = dir.resolve("hoststated.conf");
        Files.writeString(file, "l3 backend none\nprotocol d {\n  protocol dns\n" + option + "}\n"
                + "relay r {\n  listen on 127.0.0.1 port 26953\n  protocol d\n  forward to 127.0.0.1 port 53\n}\n");
        Config config = new ConfigSource(file, Map.of()).load().loaded().config();
        ListenerSockets sockets = new ListenerSockets();
        try {
            sockets.bindAll(config);
            Socket s = new Socket(sockets.fd(config, config.relays().get(0)));
            // Linux reports twice the size asked for (the other half is its bookkeeping).
            int got = s.getReceiveBufferSize();
            assertTrue(got >= 2 * expected, "receive buffer " + got + " for " + expected + " (rmem_max " + limit + ")");
        } finally {
            sockets.closeAll();
        }
    }

    /** A port in use is reported in the operator's words, without Netty's system call and errno. */
    @Test
    void aPortInUseIsOneReadableLine() throws Exception {
        Epoll.ensureAvailability();
        try (java.net.ServerSocket taken = new java.net.ServerSocket(0, 1, java.net.InetAddress.getByName("127.0.0.1"))) {
            int port = taken.getLocalPort();
            Path file = dir.resolve("hoststated.conf");
            Files.writeString(file, "l3 backend none\nrelay r {\n  listen on 127.0.0.1 port " + port + "\n"
                    + "  forward to 127.0.0.1 port 9\n}\n");
            Config config = new ConfigSource(file, Map.of()).load().loaded().config();
            ListenerSockets sockets = new ListenerSockets();
            try {
                java.io.IOException e = assertThrows(java.io.IOException.class, () -> sockets.bindAll(config));
                assertEquals("relay r: cannot listen on 127.0.0.1 port " + port + ": Address already in use", e.getMessage());
            } finally {
                sockets.closeAll();
            }
        }
    }

    /** An IPv6 address is written in its short form (::1), as the configuration file writes it. */
    @Test
    void aPortInUseOnIpv6NamesTheAddressInItsShortForm() throws Exception {
        Epoll.ensureAvailability();
        try (java.net.ServerSocket taken = new java.net.ServerSocket(0, 1, java.net.InetAddress.getByName("::1"))) {
            int port = taken.getLocalPort();
            Path file = dir.resolve("hoststated.conf");
            Files.writeString(file, "l3 backend none\nrelay r {\n  listen on ::1 port " + port + "\n"
                    + "  forward to ::1 port 9\n}\n");
            Config config = new ConfigSource(file, Map.of()).load().loaded().config();
            ListenerSockets sockets = new ListenerSockets();
            try {
                java.io.IOException e = assertThrows(java.io.IOException.class, () -> sockets.bindAll(config));
                assertEquals("relay r: cannot listen on ::1 port " + port + ": Address already in use", e.getMessage());
            } finally {
                sockets.closeAll();
            }
        }
    }

    /**
     * A reload that moves a relay from a wildcard address to one of its addresses on the same
     * port cannot bind while the running listener holds the port; the error says why, and what
     * does it.
     */
    @Test
    void aReloadOntoAnAddressTheRunningWildcardListenerHoldsSaysWhy() throws Exception {
        Epoll.ensureAvailability();
        int port;
        try (java.net.ServerSocket probe = new java.net.ServerSocket(0)) {
            port = probe.getLocalPort();
        }
        Config running = load("0.0.0.0", port);
        Config next = load("127.0.0.1", port);
        ListenerSockets sockets = new ListenerSockets();
        try {
            sockets.bindAll(running);
            java.io.IOException e = assertThrows(java.io.IOException.class, () -> sockets.bindAll(next));
            assertEquals("relay r: cannot listen on 127.0.0.1 port " + port + ": Address already in use (the running"
                    + " configuration listens on 0.0.0.0 port " + port + ", which overlaps it: restart the daemon"
                    + " to move a relay between them)", e.getMessage());
        } finally {
            sockets.closeAll();
        }
    }

    private Config load(String address, int port) throws Exception {
        Path file = dir.resolve("hoststated-" + address + ".conf");
        Files.writeString(file, "l3 backend none\nrelay r {\n  listen on " + address + " port " + port + "\n"
                + "  forward to 192.0.2.9 port 9\n}\n");
        return new ConfigSource(file, Map.of()).load().loaded().config();
    }
}
