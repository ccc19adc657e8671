package org.hoststated.relay.udp;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.unix.Socket;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.hoststated.core.config.ForwardTarget;
import org.hoststated.core.config.ListenConfig;
import org.hoststated.core.config.ProtocolConfig;
import org.hoststated.core.config.ProtocolType;
import org.hoststated.core.config.RelayConfig;
import org.hoststated.core.config.SslOptions;
import org.hoststated.core.config.TcpOptions;
import org.hoststated.relay.RelayCounters;
import org.hoststated.relay.RelayServer;
import org.hoststated.relay.RelayTransport;
import org.hoststated.relay.lb.HostSelector;
import org.hoststated.relay.lb.RelayHosts;
import org.hoststated.relay.lb.RoundRobin;
import org.hoststated.relay.lb.TargetHost;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A {@code protocol dns} relay stopped the way a reload stops the relay it replaces
 * ({@link RelayServer#stop}): the queries it forwarded still get their answers, as a TCP
 * relay's sessions run to their end. The soak run lost the queries in flight at each reload.
 */
class DnsRelayRetireTest {
    private final RelayCounters counters = new RelayCounters();
    private EventLoopGroup workers;
    private RelayServer server;
    private TestDnsServer backend;
    private DatagramSocket client;
    private InetSocketAddress relayAt;

    void start(RelayTransport transport) throws Exception {
        RelayTransport.epoll(); // loads the native library for Socket
        backend = new TestDnsServer(DnsRelayTest.BACKEND_ADDR, DnsRelayTest.ANSWER);
        Socket s = Socket.newSocketDgram();
        s.bind(new InetSocketAddress(DnsRelayTest.RELAY_ADDR, 0));
        relayAt = s.localAddress();
        RelayConfig rc = new RelayConfig(1, "dns", new ListenConfig(DnsRelayTest.RELAY_ADDR, relayAt.getPort(), false),
                new ForwardTarget(DnsRelayTest.BACKEND_ADDR, "dns", backend.port(), 0), false, 1, "dnsp", 5, false);
        ProtocolConfig p = new ProtocolConfig(1, "dnsp", ProtocolType.DNS, TcpOptions.defaults(), SslOptions.defaults(),
                List.of(), false, null);
        HostSelector sel = new HostSelector(new RoundRobin(), false,
                RelayHosts.allUsable(List.of(new TargetHost(1, "dns0", backend.endpoint(), 0))));
        workers = transport.newWorkers(1, "test-dns-retire");
        server = new RelayServer(rc, p, workers, transport, sel, counters, false);
        server.serve(s.intValue()).syncUninterruptibly();
        client = new DatagramSocket(new InetSocketAddress(DnsRelayTest.RELAY_ADDR, 0));
        client.setSoTimeout(3_000);
    }

    @AfterEach
    void tearDown() throws Exception {
        if (server != null) {
            server.closeSessions();
        }
        if (workers != null) {
            workers.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        }
        if (client != null) {
            client.close();
        }
        if (backend != null) {
            backend.close();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"epoll", "io_uring"})
    void a_query_waiting_when_a_reload_retires_the_relay_gets_its_answer(String name) throws Exception {
        start(transport(name));
        backend.mode = TestDnsServer.Mode.LATE;
        byte[] q = Dns.query(0x4242, "reload.example");
        client.send(new DatagramPacket(q, q.length, relayAt));
        DnsRelayTest.await("the query to reach the backend", () -> backend.seen.size() == 1);
        assertTrue(server.hasSessions(), "the waiting query is a session");
        server.stop();
        DatagramPacket p = new DatagramPacket(new byte[512], 512);
        client.receive(p);
        byte[] a = Arrays.copyOf(p.getData(), p.getLength());
        assertEquals(0x4242, Dns.id(a));
        assertArrayEquals(DnsRelayTest.ANSWER, Dns.answerAddress(a));
        assertEquals(relayAt, p.getSocketAddress(), "the answer comes from the relay's address");
        DnsRelayTest.await("the session to end", () -> counters.active() == 0 && !server.hasSessions());
        DnsRelayTest.await("the retired listener to close", this::portFree);
    }

    @ParameterizedTest
    @ValueSource(strings = {"epoll", "io_uring"})
    void a_retired_relay_without_waiting_queries_closes_its_listener_at_once(String name) throws Exception {
        start(transport(name));
        byte[] q = Dns.query(7, "idle.example");
        client.send(new DatagramPacket(q, q.length, relayAt));
        client.receive(new DatagramPacket(new byte[512], 512));
        DnsRelayTest.await("the session to end", () -> counters.active() == 0);
        server.stop();
        DnsRelayTest.await("the retired listener to close", this::portFree);
        assertFalse(server.hasSessions());
    }

    @ParameterizedTest
    @ValueSource(strings = {"epoll", "io_uring"})
    void closing_the_sessions_at_shutdown_ends_the_waiting_queries_at_once(String name) throws Exception {
        start(transport(name));
        backend.mode = TestDnsServer.Mode.SILENT;
        byte[] q = Dns.query(8, "shutdown.example");
        client.send(new DatagramPacket(q, q.length, relayAt));
        DnsRelayTest.await("the query to reach the backend", () -> backend.seen.size() == 1);
        server.stop();
        server.closeSessions();
        DnsRelayTest.await("the waiting query to end", () -> counters.active() == 0);
    }

    /** Whether the relay's port can be bound again: its socket is closed. */
    private boolean portFree() {
        try (DatagramSocket d = new DatagramSocket(relayAt)) {
            return true;
        } catch (java.net.SocketException e) {
            return false;
        }
    }

    private static RelayTransport transport(String name) {
        if (name.equals("epoll")) {
            return RelayTransport.epoll();
        }
        RelayTransport t = RelayTransport.ioUring();
        org.junit.jupiter.api.Assumptions.assumeTrue(t != null, "io_uring not available here");
        return t;
    }
}
