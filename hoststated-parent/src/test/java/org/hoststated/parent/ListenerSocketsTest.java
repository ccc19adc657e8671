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

    /**
     * A reload that needs more listening sockets than the limit of open files: Netty's
     * unchecked socket(2) failure escaped, leaving the sockets bound so far open (accepting
     * connections nobody served, the limit used up) and the reload unanswered (probe T). Now an
     * IOException that names the limit, with every socket of the attempt closed.
     */
    @Test
    void runningOutOfDescriptorsFailsTheBindClosingWhatItOpened() throws Exception {
        java.io.IOException e = bindAllWithin(60, 30);
        assertTrue(e.getMessage().contains(": Too many open files (this process may have "), e.getMessage());
    }

    /**
     * Listeners bound within the limit, but too few descriptors left to pass them to the relay
     * engine: a reload then failed to pass hundreds, said it succeeded, and left those relays
     * accepting connections nobody served (probe U). Refused before anything changes.
     */
    @Test
    void tooFewDescriptorsLeftToPassTheListenersFailsTheBind() throws Exception {
        java.io.IOException e = bindAllWithin(20, 60);
        assertTrue(e.getMessage().startsWith("20 relays need " + (20 + ListenerSockets.PASS_RESERVE)
                + " descriptors free to pass their listening sockets to the relay engine, and "), e.getMessage());
    }

    /**
     * Binds {@code relays} relays' listeners with this process's limit of open files lowered to
     * what it has open and {@code room} more; returns the failure, having checked that every
     * socket of the attempt was closed.
     */
    private java.io.IOException bindAllWithin(int relays, int room) throws Exception {
        Epoll.ensureAvailability();
        StringBuilder conf = new StringBuilder("l3 backend none\n");
        java.util.List<Integer> ports = new java.util.ArrayList<>();
        for (int i = 0; ports.size() < relays; i++) {
            int port = CtlPorts.free();
            if (ports.contains(port)) {
                continue;
            }
            ports.add(port);
            conf.append("relay r").append(i).append(" {\n  listen on 127.0.0.1 port ").append(port)
                    .append("\n  forward to 127.0.0.1 port 9\n}\n");
        }
        Path file = dir.resolve("hoststated.conf");
        Files.writeString(file, conf.toString());
        Config config = new ConfigSource(file, Map.of()).load().loaded().config();
        ListenerSockets sockets = new ListenerSockets();
        long pid = ProcessHandle.current().pid();
        String[] limit = Files.readAllLines(Path.of("/proc/self/limits")).stream()
                .filter(l -> l.startsWith("Max open files")).findFirst().orElseThrow().split("\\s+");
        long open;
        try (java.util.stream.Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
            open = fds.count();
        }
        java.io.IOException e;
        prlimit(pid, (open + room) + ":" + limit[4]);
        try {
            e = assertThrows(java.io.IOException.class, () -> sockets.bindAll(config));
        } finally {
            prlimit(pid, limit[3] + ":" + limit[4]);
            sockets.closeAll();
        }
        for (int port : ports) {
            try (java.net.ServerSocket again = new java.net.ServerSocket()) {
                again.bind(new java.net.InetSocketAddress("127.0.0.1", port)); // closed, so free
            }
        }
        return e;
    }

    private static void prlimit(long pid, String nofile) throws Exception {
        Process p = new ProcessBuilder("prlimit", "--pid", Long.toString(pid), "--nofile=" + nofile)
                .redirectErrorStream(true).start();
        assertEquals(0, p.waitFor(), new String(p.getInputStream().readAllBytes()));
    }

    /** Free ports on 127.0.0.1. */
    private static final class CtlPorts {
        static int free() throws java.io.IOException {
            try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
                return s.getLocalPort();
            }
        }
    }

    @Test
    void aDnsListenerGetsItsReceiveBufferBeyondTheSystemLimit() throws Exception {
        Assumptions.assumeTrue("root".equals(System.getProperty("user.name")), "needs root for SO_RCVBUFFORCE");
        // Netty's unix sockets live in the epoll native library, which the parent's loop loads.
        Epoll.ensureAvailability();
        int limit = Integer.parseInt(Files.readString(Path.of("/proc/sys/net/core/rmem_max")).trim());
        assertReceiveBuffer("", 4 << 20, limit);
        assertReceiveBuffer("  tcp socket buffer 9000000\n", 9_000_000, limit);
    }

    /**
     * A DNS relay's UDP socket is bound without SO_REUSEADDR: with it, any local user's socket
     * setting it too bound the same address and port and got the relay's queries (probe AN).
     */
    @Test
    void aDnsListenersPortCannotBeSharedByAnotherSocket() throws Exception {
        Epoll.ensureAvailability();
        Config config = dnsRelayOnAFreePort();
        int port = config.relays().get(0).listen().port();
        ListenerSockets sockets = new ListenerSockets();
        try {
            sockets.bindAll(config);
            try (java.net.DatagramSocket other = new java.net.DatagramSocket(null)) {
                other.setReuseAddress(true);
                assertThrows(java.net.BindException.class, () -> other.bind(new java.net.InetSocketAddress("127.0.0.1", port)));
            }
        } finally {
            sockets.closeAll();
        }
    }

    /**
     * A DNS relay's socket paused while the relay engine runs nothing: the queries that came
     * meanwhile are dropped when it is passed again, not sent on stale (probe AQ).
     */
    @Test
    void aPausedDnsListenerDropsTheQueriesThatCameMeanwhile() throws Exception {
        Epoll.ensureAvailability();
        Config config = dnsRelayOnAFreePort();
        int port = config.relays().get(0).listen().port();
        ListenerSockets sockets = new ListenerSockets();
        try (java.net.DatagramSocket client = new java.net.DatagramSocket()) {
            sockets.bindAll(config);
            assertEquals(0, sockets.pause(), "a UDP socket is not stopped");
            for (int i = 0; i < 3; i++) {
                client.send(new java.net.DatagramPacket(new byte[] {(byte) i}, 1, java.net.InetAddress.getByName("127.0.0.1"),
                        port));
            }
            Thread.sleep(100);
            int fd = sockets.fd(config, config.relays().get(0));
            assertEquals(0, org.hoststated.core.posix.Fds.dropWaitingDatagrams(fd, 10), "dropped when passed");
            client.send(new java.net.DatagramPacket(new byte[] {9}, 1, java.net.InetAddress.getByName("127.0.0.1"), port));
            Thread.sleep(100);
            assertEquals(1, org.hoststated.core.posix.Fds.dropWaitingDatagrams(fd, 10), "served as ever afterwards");
        } finally {
            sockets.closeAll();
        }
    }

    /**
     * Review CK: the DNS listener outlives reloads, and a {@code socket buffer} a reload removed
     * stayed its send buffer until a restart; it goes back to the system's default.
     */
    @Test
    void aDnsListenersSendBufferFollowsReloads() throws Exception {
        Epoll.ensureAvailability();
        int port = dnsRelayOnAFreePort().relays().get(0).listen().port();
        int system = Integer.parseInt(String.join("", Files.readAllLines(Path.of("/proc/sys/net/core/wmem_default"))).trim());
        Config small = dns("127.0.0.1", port, "  tcp socket buffer 4096\n");
        Config none = dns("127.0.0.1", port, "");
        ListenerSockets sockets = new ListenerSockets();
        try {
            sockets.bindAll(small);
            Socket s = new Socket(sockets.fd(small, small.relays().get(0)));
            assertEquals(8192, s.getSendBufferSize());
            sockets.bindAll(none);
            assertEquals(s.intValue(), sockets.fd(none, none.relays().get(0)), "the same socket");
            assertEquals(system, s.getSendBufferSize());
        } finally {
            sockets.closeAll();
        }
    }

    /** Review CK: as {@link #aReloadOntoAnAddressTheRunningWildcardListenerHoldsSaysWhy}, for a DNS relay. */
    @Test
    void aDnsRelayMovedOntoAnAddressTheRunningWildcardListenerHoldsSaysWhy() throws Exception {
        Epoll.ensureAvailability();
        int port = dnsRelayOnAFreePort().relays().get(0).listen().port();
        assertReloadRefused(dns("0.0.0.0", port, ""), dns("127.0.0.1", port, ""), "relay r: cannot listen on 127.0.0.1"
                + " port " + port + " (udp): Address already in use (the running configuration listens on 0.0.0.0 port "
                + port + ", which overlaps it: restart the daemon to move a relay between them)");
    }

    private Config dns(String address, int port, String tcpOption) throws Exception {
        Path file = dir.resolve("dns-" + address + "-" + tcpOption.length() + ".conf");
        Files.writeString(file, "l3 backend none\nprotocol d {\n  protocol dns\n" + tcpOption + "}\nrelay r {\n"
                + "  listen on " + address + " port " + port + "\n  protocol d\n  forward to 127.0.0.1 port 53\n}\n");
        return new ConfigSource(file, Map.of()).load().loaded().config();
    }

    /** A configuration with one DNS relay, on 127.0.0.1 at a UDP port free now. */
    private Config dnsRelayOnAFreePort() throws Exception {
        int port;
        try (java.net.DatagramSocket probe = new java.net.DatagramSocket(0, java.net.InetAddress.getByName("127.0.0.1"))) {
            port = probe.getLocalPort();
        }
        return dns("127.0.0.1", port, "");
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

    /**
     * An address on no interface (a VRRP address on a keepalived backup node) is bound all the
     * same, so the relay serves once it comes: the daemon would not start there (probe N).
     */
    @Test
    void anAddressNotOnThisMachineIsBoundAllTheSame() throws Exception {
        Epoll.ensureAvailability();
        boolean ipv6 = Files.exists(Path.of("/proc/net/if_inet6"));
        for (String address : ipv6 ? new String[] {"192.0.2.77", "2001:db8::77"} : new String[] {"192.0.2.77"}) {
            Config config = load(address, 26954);
            ListenerSockets sockets = new ListenerSockets();
            try {
                sockets.bindAll(config);
                Socket s = new Socket(sockets.fd(config, config.relays().get(0)));
                assertEquals(java.net.InetAddress.getByName(address), s.localAddress().getAddress(), address);
            } finally {
                sockets.closeAll();
            }
        }
    }

    /**
     * A relay on 0.0.0.0 listens on IPv4 alone; one on :: on both families. The parent bound
     * 0.0.0.0 as a dual-stack socket, which served IPv6 clients, ::1 included (probe D).
     */
    @Test
    void aListenerOnTheIpv4WildcardTakesNoIpv6Client() throws Exception {
        Epoll.ensureAvailability();
        Assumptions.assumeTrue(Files.exists(Path.of("/proc/net/if_inet6")), "needs IPv6: skipped");
        int port = CtlPorts.free();
        Config any4 = load("0.0.0.0", port);
        ListenerSockets sockets = new ListenerSockets();
        try {
            sockets.bindAll(any4);
            Socket s = new Socket(sockets.fd(any4, any4.relays().get(0)));
            assertEquals(java.net.InetAddress.getByName("0.0.0.0"), s.localAddress().getAddress());
            try (java.net.Socket c = new java.net.Socket()) {
                assertThrows(java.net.ConnectException.class,
                        () -> c.connect(new java.net.InetSocketAddress("::1", port), 2000));
            }
            try (java.net.Socket c = new java.net.Socket()) {
                c.connect(new java.net.InetSocketAddress("127.0.0.1", port), 2000);
            }
        } finally {
            sockets.closeAll();
        }
        Config any6 = load("::", port);
        sockets = new ListenerSockets();
        try {
            sockets.bindAll(any6);
            for (String client : new String[] {"::1", "127.0.0.1"}) {
                try (java.net.Socket c = new java.net.Socket()) {
                    c.connect(new java.net.InetSocketAddress(client, port), 2000);
                }
            }
        } finally {
            sockets.closeAll();
        }
    }

    /**
     * A TCP listener is armed before it listens (SO_LINGER 0, which the connections it accepts
     * inherit): a relay engine that dies resets its sessions, those queued in the listener
     * before an engine adopted it too, which the engine's own arming came too late for (they
     * got FINs in RelayEngineRestartIT).
     */
    @Test
    void aTcpListenerIsArmedSoThatWhatItAcceptsResetsIfTheRelayEngineDies() throws Exception {
        Epoll.ensureAvailability();
        int port = CtlPorts.free();
        Config c = load("127.0.0.1", port);
        ListenerSockets sockets = new ListenerSockets();
        try {
            sockets.bindAll(c);
            Socket s = new Socket(sockets.fd(c, c.relays().get(0)));
            assertEquals(0, s.getSoLinger());
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
        assertReloadRefused(load("0.0.0.0", port), load("127.0.0.1", port), "relay r: cannot listen on 127.0.0.1 port "
                + port + ": Address already in use (the running configuration listens on 0.0.0.0 port " + port
                + ", which overlaps it: restart the daemon to move a relay between them)");
    }

    /** Binds {@code running}'s listeners, then fails to bind {@code next}'s with {@code expected}. */
    private static void assertReloadRefused(Config running, Config next, String expected) throws Exception {
        ListenerSockets sockets = new ListenerSockets();
        try {
            sockets.bindAll(running);
            java.io.IOException e = assertThrows(java.io.IOException.class, () -> sockets.bindAll(next));
            assertEquals(expected, e.getMessage());
        } finally {
            sockets.closeAll();
        }
    }

    /**
     * A relay engine that refused the configuration and runs none served no listener, whose
     * queue took connections for nobody: the clients waited out their own timeouts (session 64's
     * note). Paused, a listener refuses connections and resets those queued, and keeps its port;
     * passed again to an engine, it accepts again, and the next pause stops it again.
     */
    @Test
    void aPausedListenerRefusesConnectionsKeepsItsPortAndListensOnceItIsPassedAgain() throws Exception {
        Epoll.ensureAvailability();
        int port = CtlPorts.free();
        Config c = load("127.0.0.1", port);
        ListenerSockets sockets = new ListenerSockets();
        try {
            sockets.bindAll(c);
            byte[] peer = new byte[32];
            for (int round = 0; round < 2; round++) {
                Socket listener = new Socket(sockets.fd(c, c.relays().get(0)));
                try (java.net.Socket queued = new java.net.Socket("127.0.0.1", port)) {
                    assertEquals(1, sockets.pause());
                    queued.setSoTimeout(2000);
                    assertThrows(java.net.SocketException.class, () -> queued.getInputStream().read(), "queued: reset");
                }
                assertThrows(java.net.ConnectException.class, () -> new java.net.Socket("127.0.0.1", port).close());
                assertThrows(java.net.BindException.class, () -> bindWithoutReuse(port), "the port stays taken");
                // By a socket with SO_REUSEADDR too, as Java's (probe AQ: any user's took the port).
                assertThrows(java.net.BindException.class, () -> new java.net.ServerSocket(port, 1,
                        java.net.InetAddress.getByName("127.0.0.1")).close(), "not even with SO_REUSEADDR");
                // A reload's bind that fails after this leaves it paused: only passing it resumes it.
                sockets.bindAll(c);
                assertThrows(java.net.ConnectException.class, () -> new java.net.Socket("127.0.0.1", port).close(),
                        "still paused after a bind");
                assertEquals(0, sockets.pause(), "paused once");
                assertEquals(listener.intValue(), sockets.fd(c, c.relays().get(0)), "the same socket, listening again");
                try (java.net.Socket client = new java.net.Socket("127.0.0.1", port)) {
                    assertTrue(acceptWithin(listener, peer, 2000), "accepted once passed again, round " + round);
                }
            }
        } finally {
            sockets.closeAll();
        }
    }

    /** Binds 127.0.0.1 {@code port} without SO_REUSEADDR, which Java's ServerSocket sets. */
    private static void bindWithoutReuse(int port) throws Exception {
        try (java.net.ServerSocket s = new java.net.ServerSocket()) {
            s.setReuseAddress(false);
            s.bind(new java.net.InetSocketAddress("127.0.0.1", port));
        }
    }

    private Config load(String address, int port) throws Exception {
        Path file = dir.resolve("hoststated-" + address + ".conf");
        Files.writeString(file, "l3 backend none\nrelay r {\n  listen on " + address + " port " + port + "\n"
                + "  forward to 192.0.2.9 port 9\n}\n");
        return new ConfigSource(file, Map.of()).load().loaded().config();
    }

    /**
     * An HTTP relay's listener defers its accepts (TCP_DEFER_ACCEPT, one second): a client that
     * has connected but sent nothing is not accepted yet, and is once its request comes. A TCP
     * relay's listener accepts at once, and so does an HTTP relay's kept socket after a reload
     * that made it a TCP relay.
     */
    @Test
    void anHttpRelaysListenerAcceptsAClientOnceItHasSpoken() throws Exception {
        Epoll.ensureAvailability();
        int http;
        int tcp;
        try (java.net.ServerSocket a = new java.net.ServerSocket(0); java.net.ServerSocket b = new java.net.ServerSocket(0)) {
            http = a.getLocalPort();
            tcp = b.getLocalPort();
        }
        Config running = loadTwo("http", http, tcp);
        ListenerSockets sockets = new ListenerSockets();
        try {
            sockets.bindAll(running);
            Socket deferred = new Socket(sockets.fd(running, running.relays().get(0)));
            Socket plain = new Socket(sockets.fd(running, running.relays().get(1)));
            assertEquals(ListenerSockets.DEFER_ACCEPT_SECONDS, deferred.getIntOpt(IPPROTO_TCP, TCP_DEFER_ACCEPT));
            assertEquals(0, plain.getIntOpt(IPPROTO_TCP, TCP_DEFER_ACCEPT));
            byte[] peer = new byte[32];
            try (java.net.Socket client = new java.net.Socket("127.0.0.1", http)) {
                Thread.sleep(300);
                assertEquals(-1, deferred.accept(peer), "a client that has sent nothing is not accepted yet");
                client.getOutputStream().write("GET / HTTP/1.1\r\nHost: a\r\n\r\n".getBytes());
                assertTrue(acceptWithin(deferred, peer, 2000), "accepted once its request came");
            }
            try (java.net.Socket client = new java.net.Socket("127.0.0.1", tcp)) {
                assertTrue(acceptWithin(plain, peer, 2000), "a TCP relay's client is accepted at once");
            }
            Config next = loadTwo("tcp", http, tcp);
            sockets.bindAll(next);
            assertEquals(deferred.intValue(), sockets.fd(next, next.relays().get(0)), "the socket is kept");
            assertEquals(0, deferred.getIntOpt(IPPROTO_TCP, TCP_DEFER_ACCEPT));
        } finally {
            sockets.closeAll();
        }
    }

    private static final int IPPROTO_TCP = 6;
    private static final int TCP_DEFER_ACCEPT = 9;

    /** Accepts on the non-blocking {@code listener} within {@code ms}, closing what it got. */
    private static boolean acceptWithin(Socket listener, byte[] peer, long ms) throws Exception {
        long end = System.nanoTime() + ms * 1_000_000;
        while (System.nanoTime() < end) {
            int fd = listener.accept(peer);
            if (fd >= 0) {
                new Socket(fd).close();
                return true;
            }
            Thread.sleep(10);
        }
        return false;
    }

    private Config loadTwo(String firstProtocol, int first, int second) throws Exception {
        Path file = dir.resolve("hoststated-" + firstProtocol + ".conf");
        Files.writeString(file, "l3 backend none\nprotocol web {\n  protocol " + firstProtocol + "\n}\n"
                + "relay r {\n  listen on 127.0.0.1 port " + first + "\n  protocol web\n  forward to 192.0.2.9 port 9\n}\n"
                + "relay t {\n  listen on 127.0.0.1 port " + second + "\n  forward to 192.0.2.9 port 9\n}\n");
        return new ConfigSource(file, Map.of()).load().loaded().config();
    }
}
