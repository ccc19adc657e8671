package org.hoststated.parent.it;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * A {@code protocol dns} relay in the real daemon: the parent binds its UDP socket (next to a
 * TCP relay on the same address and port), the relay engine forwards queries to a real small
 * DNS server under new ids and returns the answers with the client's id, and queries sent while
 * the relay engine restarts wait in the parent's socket and are answered.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class DnsRelayIT {
    static final String RELAY_ADDR = "127.24.1.1";
    static final String BACKEND_ADDR = "127.24.1.2";
    @TempDir
    static Path dir;
    static Daemon daemon;
    static DnsServer dns;
    static InetSocketAddress relay;

    @BeforeAll
    static void start() throws Exception {
        Assumptions.assumeTrue("root".equals(System.getProperty("user.name")), "needs root: skipped");
        dns = new DnsServer(InetAddress.getByName(BACKEND_ADDR));
        int port = DaemonIT.freePort();
        relay = new InetSocketAddress(RELAY_ADDR, port);
        daemon = new Daemon(dir);
        daemon.writeConfig(daemon.globals()
                + "protocol resolver {\n  protocol dns\n}\n"
                + "relay dns {\n  listen on " + RELAY_ADDR + " port " + port + "\n  protocol resolver\n"
                + "  forward to " + BACKEND_ADDR + " port " + dns.port() + "\n}\n"
                + "relay dnstcp {\n  listen on " + RELAY_ADDR + " port " + port + "\n"
                + "  forward to " + BACKEND_ADDR + " port " + dns.port() + "\n}\n");
        daemon.start();
    }

    @AfterAll
    static void stop() throws Exception {
        if (daemon != null) {
            daemon.close();
        }
        if (dns != null) {
            dns.close();
        }
    }

    /** Asks through the relay until answered (the relay engine may still be starting). */
    static byte[] ask(int id, Duration limit) throws IOException {
        try (DatagramSocket c = new DatagramSocket(new InetSocketAddress(RELAY_ADDR, 0))) {
            c.setSoTimeout(500);
            byte[] q = query(id);
            long deadline = System.nanoTime() + limit.toNanos();
            while (true) {
                c.send(new DatagramPacket(q, q.length, relay));
                DatagramPacket p = new DatagramPacket(new byte[512], 512);
                try {
                    c.receive(p);
                    return Arrays.copyOf(p.getData(), p.getLength());
                } catch (java.net.SocketTimeoutException e) {
                    if (System.nanoTime() > deadline) {
                        throw new AssertionError("no answer through the relay\n" + daemon.logText());
                    }
                }
            }
        }
    }

    @Test
    @Order(1)
    void queries_are_relayed_with_the_clients_id_restored() throws Exception {
        for (int id : List.of(1, 0x2222, 0xfffe)) {
            byte[] a = ask(id, Duration.ofSeconds(20));
            assertEquals(id, (a[0] & 0xff) << 8 | a[1] & 0xff);
            assertArrayEquals(DnsServer.ADDRESS, Arrays.copyOfRange(a, a.length - 4, a.length));
        }
        int last = dns.ids.get(dns.ids.size() - 1);
        assertNotEquals(0xfffe, last, "the backend saw the relay's id, not the client's");
    }

    @Test
    @Order(2)
    void the_tcp_relay_on_the_same_port_still_accepts() throws Exception {
        try (java.net.Socket s = new java.net.Socket()) {
            s.connect(relay, 2000);
        }
    }

    @Test
    @Order(3)
    void a_query_sent_while_the_relay_engine_restarts_is_answered() throws Exception {
        long old = daemon.child("hoststated: relay engine").orElseThrow();
        ProcessHandle.of(old).ifPresent(ProcessHandle::destroyForcibly);
        // Until it is gone, a dying engine's io_uring may still take a datagram off the socket
        // (lost, as with any crash mid-read; clients retry): the property is that queries
        // sent while no engine runs wait in the parent's socket.
        awaitGone(old, Duration.ofSeconds(10));
        try (DatagramSocket c = new DatagramSocket(new InetSocketAddress(RELAY_ADDR, 0))) {
            c.setSoTimeout(20_000);
            byte[] q = query(0x3333);
            // The parent holds the socket: the query waits there until the new engine reads it.
            c.send(new DatagramPacket(q, q.length, relay));
            DatagramPacket p = new DatagramPacket(new byte[512], 512);
            try {
                c.receive(p);
            } catch (java.net.SocketTimeoutException e) {
                throw new AssertionError("the query sent during the restart was not answered\n" + daemon.logText());
            }
            assertEquals(0x3333, (p.getData()[0] & 0xff) << 8 | p.getData()[1] & 0xff);
        }
        assertNotEquals(old, daemon.child("hoststated: relay engine").orElseThrow());
    }

    /**
     * Waits until process {@code pid} has exited: reaped, or a zombie with no thread left. A
     * group leader shows as a zombie as soon as its own thread is done, while the others (an
     * event loop among them, with its io_uring) may still be on their way out.
     */
    static void awaitGone(long pid, Duration limit) throws Exception {
        Path status = Path.of("/proc", Long.toString(pid), "status");
        long deadline = System.nanoTime() + limit.toNanos();
        while (System.nanoTime() < deadline) {
            try {
                List<String> lines = Files.readAllLines(status);
                if (lines.stream().anyMatch(l -> l.matches("State:\\s+Z.*"))
                        && lines.stream().anyMatch(l -> l.matches("Threads:\\s+1"))) {
                    return;
                }
            } catch (NoSuchFileException e) {
                return;
            }
            Thread.sleep(10);
        }
        throw new AssertionError("process " + pid + " still running after " + limit);
    }

    @Test
    @Order(4)
    void a_reload_keeps_answering() throws Exception {
        daemon.signal("HUP");
        daemon.awaitLogged("reload", Duration.ofSeconds(20), () -> daemon.logText().contains("configuration 2 running"));
        for (int i = 0; i < 5; i++) {
            assertEquals(0x4400 + i, id(ask(0x4400 + i, Duration.ofSeconds(10))));
        }
    }

    static int id(byte[] m) {
        return (m[0] & 0xff) << 8 | m[1] & 0xff;
    }

    /** An A query for hoststated.example. */
    static byte[] query(int id) {
        byte[] name = {10, 'h', 'o', 's', 't', 's', 't', 'a', 't', 'e', 'd', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 0};
        byte[] q = new byte[12 + name.length + 4];
        q[0] = (byte) (id >> 8);
        q[1] = (byte) id;
        q[2] = 0x01;
        q[5] = 1;
        System.arraycopy(name, 0, q, 12, name.length);
        q[q.length - 3] = 1;
        q[q.length - 1] = 1;
        return q;
    }

    /** A small DNS server: answers each query with its question and one A record. */
    static final class DnsServer implements AutoCloseable {
        static final byte[] ADDRESS = {10, 24, 1, 9};
        final List<Integer> ids = new CopyOnWriteArrayList<>();
        private final DatagramSocket socket;
        private final Thread thread;

        DnsServer(InetAddress bind) throws IOException {
            socket = new DatagramSocket(new InetSocketAddress(bind, 0));
            thread = new Thread(this::serve, "it-dns");
            thread.setDaemon(true);
            thread.start();
        }

        int port() {
            return socket.getLocalPort();
        }

        private void serve() {
            byte[] buf = new byte[512];
            while (!socket.isClosed()) {
                try {
                    DatagramPacket p = new DatagramPacket(buf, buf.length);
                    socket.receive(p);
                    if (p.getLength() < 12) {
                        continue;
                    }
                    ids.add(id(buf));
                    byte[] rr = {(byte) 0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4};
                    byte[] a = Arrays.copyOf(buf, p.getLength() + rr.length + ADDRESS.length);
                    System.arraycopy(rr, 0, a, p.getLength(), rr.length);
                    System.arraycopy(ADDRESS, 0, a, p.getLength() + rr.length, ADDRESS.length);
                    a[2] |= (byte) 0x80;
                    a[7] = 1;
                    socket.send(new DatagramPacket(a, a.length, p.getSocketAddress()));
                } catch (IOException e) {
                    return;
                }
            }
        }

        @Override
        public void close() throws Exception {
            socket.close();
            thread.join(5_000);
        }
    }
}
