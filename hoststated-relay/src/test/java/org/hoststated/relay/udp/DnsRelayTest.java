package org.hoststated.relay.udp;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.netty.channel.Channel;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.unix.Socket;
import java.io.FileInputStream;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BooleanSupplier;
import org.hoststated.core.config.ForwardTarget;
import org.hoststated.core.config.ListenConfig;
import org.hoststated.core.config.RelayConfig;
import org.hoststated.core.config.TcpOptions;
import org.hoststated.core.posix.UnixDatagramSocket;
import org.hoststated.relay.RelayCounters;
import org.hoststated.relay.RelayTransport;
import org.hoststated.relay.TestSyslog;
import org.hoststated.relay.handler.RelayContext;
import org.hoststated.relay.lb.HostSelector;
import org.hoststated.relay.lb.RelayHosts;
import org.hoststated.relay.lb.RoundRobin;
import org.hoststated.relay.lb.TargetHost;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The DNS relay against real small DNS servers on 127.24.0.0/16 and real UDP clients: id
 * rewriting both ways, answers only from the host asked, misbehaving clients and backends.
 */
class DnsRelayTest {
    static final InetAddress RELAY_ADDR = addr("127.24.0.1");
    static final InetAddress BACKEND_ADDR = addr("127.24.0.2");
    static final byte[] ANSWER = {10, 24, 0, 7};

    private final List<AutoCloseable> closing = new ArrayList<>();
    private final RelayCounters counters = new RelayCounters();
    private EventLoopGroup workers;
    private DnsRelay relay;
    private Channel listener;
    private InetSocketAddress relayAt;
    /** The relay's limit of waiting queries, for the next start. */
    private int maxWaiting = DnsRelay.MAX_WAITING;
    /** Whether the relay logs each closed query, for the next start. */
    private boolean logSessions;
    /** The protocol's tcp options, for the next start. */
    private TcpOptions options = TcpOptions.defaults();

    static InetAddress addr(String a) {
        try {
            return InetAddress.getByName(a);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    TestDnsServer server() throws IOException {
        TestDnsServer s = new TestDnsServer(BACKEND_ADDR, ANSWER);
        closing.add(s);
        return s;
    }

    void start(RelayTransport transport, List<TestDnsServer> backends, int timeoutSec, boolean disabled,
            int rotateAfter) throws IOException {
        startOnHosts(transport, backends.stream().map(TestDnsServer::endpoint).toList(), timeoutSec, disabled,
                rotateAfter);
    }

    /** A relay over a table of these hosts, all up. */
    void startOnHosts(RelayTransport transport, List<InetSocketAddress> backends, int timeoutSec, boolean disabled,
            int rotateAfter) throws IOException {
        startOnHosts(transport, RELAY_ADDR, backends, timeoutSec, disabled, rotateAfter);
    }

    /** A relay listening on {@code listen} over a table of these hosts, all up. */
    void startOnHosts(RelayTransport transport, InetAddress listen, List<InetSocketAddress> backends, int timeoutSec,
            boolean disabled, int rotateAfter) throws IOException {
        RelayTransport.epoll(); // loads the native library for Socket
        Socket s = Socket.newSocketDgram();
        s.bind(new InetSocketAddress(listen, 0));
        relayAt = s.localAddress();
        List<TargetHost> hosts = new ArrayList<>();
        for (InetSocketAddress b : backends) {
            hosts.add(new TargetHost(hosts.size() + 1, "dns" + hosts.size(), b, 0));
        }
        RelayConfig rc = new RelayConfig(1, "dns", new ListenConfig(listen, relayAt.getPort(), false),
                new ForwardTarget(BACKEND_ADDR, "dns", backends.get(0).getPort(), 0), false, 0, "dns", timeoutSec,
                disabled);
        HostSelector sel = new HostSelector(new RoundRobin(), false, RelayHosts.allUsable(hosts));
        RelayContext ctx = new RelayContext(rc, sel, counters, null, null, null, logSessions);
        workers = transport.newWorkers(1, "test-dns-relay");
        relay = new DnsRelay(ctx, options, transport.name(), rotateAfter, maxWaiting);
        listener = relay.serve(s.intValue(), workers).syncUninterruptibly().channel();
    }

    void start(List<TestDnsServer> backends) throws IOException {
        start(RelayTransport.epoll(), backends, 600, false, DnsRelay.ROTATE_AFTER);
    }

    DatagramSocket client() throws IOException {
        DatagramSocket c = new DatagramSocket(new InetSocketAddress(RELAY_ADDR, 0));
        c.setSoTimeout(5_000);
        closing.add(c);
        return c;
    }

    byte[] ask(DatagramSocket c, byte[] query) throws IOException {
        c.send(new DatagramPacket(query, query.length, relayAt));
        DatagramPacket p = new DatagramPacket(new byte[65_535], 65_535);
        c.receive(p);
        assertEquals(relayAt, p.getSocketAddress(), "answer comes from the relay's address");
        return Arrays.copyOf(p.getData(), p.getLength());
    }

    static void await(String what, BooleanSupplier cond) throws InterruptedException {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!cond.getAsBoolean()) {
            if (System.nanoTime() > end) {
                throw new AssertionError("timed out waiting for " + what);
            }
            Thread.sleep(10);
        }
    }

    @AfterEach
    void tearDown() throws Exception {
        if (listener != null) {
            listener.close().syncUninterruptibly();
        }
        if (workers != null) {
            workers.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        }
        for (AutoCloseable c : closing) {
            c.close();
        }
    }

    /**
     * Review CK: {@code ip ttl} applies on both sockets, as the manual says and relayd did; the
     * queries to the hosts left with the system's 64.
     */
    @Test
    void the_queries_to_the_hosts_leave_with_the_protocols_ip_ttl() throws Exception {
        options = new TcpOptions(0, null, null, 0, 7, 0);
        start(List.of(server()));
        ask(client(), Dns.query(1, "ttl.example"));
        io.netty.channel.unix.IntegerUnixChannelOption ttl = new io.netty.channel.unix.IntegerUnixChannelOption("IP_TTL", 0, 2);
        assertEquals(7, listener.config().getOption(ttl), "the listener's");
        java.lang.reflect.Field current = DnsRelay.class.getDeclaredField("current");
        current.setAccessible(true);
        UpstreamSocket up = relay.loop().submit(() -> (UpstreamSocket) current.get(relay)).get();
        assertEquals(7, up.channel.config().getOption(ttl), "the socket the query left by");
    }

    @Test
    void answers_carry_the_clients_id_while_the_backend_sees_the_relays() throws Exception {
        TestDnsServer b = server();
        start(List.of(b));
        DatagramSocket c = client();
        Set<Integer> backendIds = new HashSet<>();
        for (int i = 0; i < 50; i++) {
            int id = 0x1200 + i;
            byte[] a = ask(c, Dns.query(id, "host" + i + ".example"));
            assertEquals(id, Dns.id(a));
            assertArrayEquals(ANSWER, Dns.answerAddress(a));
            assertEquals("host" + i + ".example", Dns.questionName(a));
        }
        for (TestDnsServer.Seen s : b.seen) {
            backendIds.add(s.id());
        }
        // Random 16-bit ids: 50 sequential client ids come out as (almost surely) 50 other values.
        assertTrue(backendIds.size() >= 49, "backend ids " + backendIds);
        long kept = b.seen.stream().filter(s -> s.id() == 0x1200 + Integer.parseInt(s.name().replaceAll("\\D", ""))).count();
        assertTrue(kept <= 1, "client ids passed through unchanged: " + kept);
        await("sessions to end", () -> counters.active() == 0);
        assertEquals(50, counters.total());
    }

    /**
     * A relay at its limit of waiting queries (3 here, against a host that answers nothing)
     * drops the others and warns, once a minute at most, with the count: each drop was a debug
     * line only, so a flood showed as the timeouts of the queries that waited and nothing more.
     */
    @Test
    void queries_over_the_waiting_limit_are_dropped_with_a_warning(@TempDir Path tmp) throws Exception {
        try (TestSyslog log = new TestSyslog(tmp, false)) {
            UnixDatagramSocket syslogd = log.socket;
            TestDnsServer b = server();
            b.mode = TestDnsServer.Mode.SILENT;
            maxWaiting = 3;
            start(List.of(b));
            DatagramSocket c = client();
            for (int i = 0; i < 10; i++) {
                byte[] q = Dns.query(0x100 + i, "q" + i + ".example");
                c.send(new DatagramPacket(q, q.length, relayAt));
            }
            String line = nextLine(syslogd);
            assertTrue(line.endsWith("relay dns: 3 queries waiting, the relay's limit: new queries are dropped "
                    + "(1 since the last such warning)"), line);
            await("the first 3 queries at the host", () -> b.seen.size() == 3);
            assertEquals(3, counters.total(), "the dropped queries are no sessions");
        }
    }

    /**
     * The queries that the relay's configuration before a reload still has waiting (the two
     * opened on the shared counters here) count towards the limit and in the close line's
     * "(N active)": counted per generation, twice the limit could wait after a reload, and the
     * line said 0 while {@code show sessions} listed 100 (probe R).
     */
    @Test
    void the_queries_of_the_generation_before_a_reload_count(@TempDir Path tmp) throws Exception {
        try (TestSyslog log = new TestSyslog(tmp, false)) {
            logSessions = true;
            counters.opened();
            counters.opened();
            maxWaiting = 4;
            TestDnsServer b = server();
            start(List.of(b));
            DatagramSocket c = client();
            assertEquals(0x4243, Dns.id(ask(c, Dns.query(0x4243, "counted.example"))));
            String line = nextLine(log.socket);
            assertTrue(line.contains(", session 3 (2 active), "), line);
            b.mode = TestDnsServer.Mode.SILENT;
            for (int i = 0; i < 5; i++) {
                byte[] q = Dns.query(0x200 + i, "w" + i + ".example");
                c.send(new DatagramPacket(q, q.length, relayAt));
            }
            await("the queries the limit leaves room for at the host", () -> b.seen.size() == 3);
            Thread.sleep(200);
            assertEquals(3, b.seen.size(), "2 of the previous generation and 2 of this one wait");
        }
    }

    /**
     * A query's line is logged once its answer left: it said "answered" as soon as the answer
     * was queued, also when the kernel then refused to send it.
     */
    @Test
    void an_answered_query_is_logged_once_its_answer_is_sent(@TempDir Path tmp) throws Exception {
        try (TestSyslog log = new TestSyslog(tmp, false)) {
            logSessions = true;
            start(List.of(server()));
            DatagramSocket c = client();
            assertEquals(0x4242, Dns.id(ask(c, Dns.query(0x4242, "logged.example"))));
            String line = nextLine(log.socket);
            assertTrue(line.matches(".*relay dns, session \\d+ \\(0 active\\), 127\\.24\\.0\\.1:\\d+ -> dns0:\\d+, "
                    + "answered \\(\\d+\\.\\d ms\\)"), line);
            await("the query to end", () -> counters.active() == 0);
        }
    }

    /** The next line the relay logs to {@code syslogd}, within 10 s. */
    private static String nextLine(UnixDatagramSocket syslogd) throws Exception {
        return nextLine(syslogd, 10);
    }

    /** The next line the relay logs to {@code syslogd}, within {@code seconds}. */
    private static String nextLine(UnixDatagramSocket syslogd, int seconds) throws Exception {
        return CompletableFuture.supplyAsync(() -> {
            byte[] buf = new byte[9000];
            try {
                return new String(buf, 0, syslogd.receive(buf), StandardCharsets.UTF_8).strip();
            } catch (IOException e) {
                throw new RuntimeException(e);
            }
        }).get(seconds, TimeUnit.SECONDS);
    }

    /**
     * A host that answers from another port than it was asked at (a NAT, a server bound to
     * another socket), or under ids of its own: its answers are dropped, and the relay warns,
     * once a minute at most, with the count. They were debug lines only, so a misconfigured
     * backend showed as nothing but its clients' queries timing out.
     */
    @ParameterizedTest
    @EnumSource(value = TestDnsServer.Mode.class, names = {"FROM_OTHER_PORT", "OTHER_ID"})
    void answers_no_query_takes_are_warned_of(TestDnsServer.Mode mode, @TempDir Path tmp) throws Exception {
        try (TestSyslog log = new TestSyslog(tmp, false)) {
            UnixDatagramSocket syslogd = log.socket;
            TestDnsServer b = server();
            b.mode = mode;
            start(List.of(b));
            DatagramSocket c = client();
            // One query: an id changed by the host can match no other.
            byte[] q = Dns.query(0x100, "q.example");
            c.send(new DatagramPacket(q, q.length, relayAt));
            String line = nextLine(syslogd);
            String why = mode == TestDnsServer.Mode.FROM_OTHER_PORT
                    ? "the query with its id went to 127.24.0.2:" + b.port()
                    : "its id \\d+ is no waiting query's";
            assertTrue(line.matches(".*relay dns: answer from 127\\.24\\.0\\.2:\\d+ dropped: "
                    + why.replace(".", "\\.") + " \\(1 since the last such warning\\)"), line);
            c.setSoTimeout(200);
            assertThrows(SocketTimeoutException.class, () -> c.receive(new DatagramPacket(new byte[512], 512)));
            await("the queries to time out", () -> counters.active() == 0);
        }
    }

    /**
     * The once-a-minute warning of dropped answers outlives a reload (the relay's counters
     * carry it): the next generation warned again at once, saying 1 where 4 had been dropped.
     */
    @Test
    void the_warning_of_dropped_answers_outlives_a_reload(@TempDir Path tmp) throws Exception {
        try (TestSyslog log = new TestSyslog(tmp, false)) {
            UnixDatagramSocket syslogd = log.socket;
            TestDnsServer b = server();
            b.mode = TestDnsServer.Mode.OTHER_ID;
            start(List.of(b));
            DatagramSocket c = client();
            byte[] q = Dns.query(0x100, "q.example");
            c.send(new DatagramPacket(q, q.length, relayAt));
            assertTrue(nextLine(syslogd).endsWith("(1 since the last such warning)"));
            // The next generation, with the relay's counters, as a reload makes it.
            listener.close().syncUninterruptibly();
            workers.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
            start(List.of(b));
            c.send(new DatagramPacket(q, q.length, relayAt));
            await("the answer dropped", () -> b.seen.size() == 2);
            assertThrows(TimeoutException.class, () -> nextLine(syslogd, 1), "a second warning within the minute");
        }
    }

    @Test
    void many_clients_with_the_same_id_each_get_their_own_answer() throws Exception {
        start(List.of(server()));
        List<DatagramSocket> clients = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            DatagramSocket c = client();
            byte[] q = Dns.query(0x4242, "c" + i + ".example");
            c.send(new DatagramPacket(q, q.length, relayAt));
            clients.add(c);
        }
        for (int i = 0; i < 8; i++) {
            DatagramPacket p = new DatagramPacket(new byte[512], 512);
            clients.get(i).receive(p);
            byte[] a = Arrays.copyOf(p.getData(), p.getLength());
            assertEquals(0x4242, Dns.id(a));
            assertEquals("c" + i + ".example", Dns.questionName(a));
        }
    }

    @Test
    void a_forged_answer_from_another_port_is_dropped() throws Exception {
        TestDnsServer b = server();
        b.mode = TestDnsServer.Mode.FORGE_FIRST;
        start(List.of(b));
        DatagramSocket c = client();
        for (int i = 0; i < 10; i++) {
            byte[] a = ask(c, Dns.query(7 + i, "forged.example"));
            assertArrayEquals(ANSWER, Dns.answerAddress(a), "the real host's answer, not the forged one");
        }
        c.setSoTimeout(200);
        assertThrows(SocketTimeoutException.class, () -> c.receive(new DatagramPacket(new byte[512], 512)),
                "one answer per query");
    }

    @Test
    void an_answer_to_another_question_under_a_waiting_queries_id_is_dropped() throws Exception {
        TestDnsServer b = server();
        b.mode = TestDnsServer.Mode.SWAP_IDS_FIRST;
        start(List.of(b));
        for (int round = 0; round < 5; round++) {
            DatagramSocket first = client();
            DatagramSocket second = client();
            byte[] q1 = Dns.query(0x100 + round, "first" + round + ".example");
            byte[] q2 = Dns.query(0x200 + round, "second" + round + ".example");
            first.send(new DatagramPacket(q1, q1.length, relayAt));
            await("the first query at the backend", () -> b.seen.size() % 2 == 1);
            second.send(new DatagramPacket(q2, q2.length, relayAt));
            DatagramPacket p = new DatagramPacket(new byte[512], 512);
            first.receive(p);
            assertEquals("first" + round + ".example", Dns.questionName(Arrays.copyOf(p.getData(), p.getLength())),
                    "each client gets the answer to its own question");
            second.receive(p);
            assertEquals("second" + round + ".example", Dns.questionName(Arrays.copyOf(p.getData(), p.getLength())));
        }
    }

    @Test
    void an_answer_with_the_name_in_another_case_is_taken() throws Exception {
        TestDnsServer b = server();
        b.mode = TestDnsServer.Mode.UPPER_CASE;
        start(List.of(b));
        byte[] a = ask(client(), Dns.query(5, "MiXed.Example"));
        assertEquals(5, Dns.id(a));
        assertEquals("MIXED.EXAMPLE", Dns.questionName(a));
    }

    @Test
    void large_answers_pass_whole() throws Exception {
        TestDnsServer b = server();
        b.mode = TestDnsServer.Mode.BIG;
        start(List.of(b));
        byte[] q = Dns.query(99, "big.example");
        byte[] a = ask(client(), q);
        assertEquals(99, Dns.id(a));
        byte[] expected = Dns.answer(q, ANSWER, 10_000);
        assertArrayEquals(expected, a);
    }

    @Test
    void junk_from_clients_is_dropped_and_the_relay_goes_on() throws Exception {
        TestDnsServer b = server();
        start(List.of(b));
        DatagramSocket c = client();
        byte[] answerShaped = Dns.answer(Dns.query(5, "x.example"), ANSWER, 0);
        // Two questions (RFC 9619: a query has at most one; dnsmasq drops it): its answer
        // could be matched by the id alone.
        byte[] one = Dns.query(7, "two.example");
        byte[] two = Arrays.copyOf(one, one.length + one.length - DnsHeader.LENGTH);
        System.arraycopy(one, DnsHeader.LENGTH, two, one.length, one.length - DnsHeader.LENGTH);
        two[5] = 2;
        // One question, malformed (probe B: forwarded, each held a session for the timeout):
        // cut short in a label, without the root label, or a compression pointer alone.
        byte[] q = Dns.query(8, "cut.example");
        byte[] cutInLabel = Arrays.copyOf(q, DnsHeader.LENGTH + 3);
        byte[] noRoot = Arrays.copyOf(q, q.length - 5);
        byte[] pointer = Arrays.copyOf(q, DnsHeader.LENGTH + 6);
        pointer[DnsHeader.LENGTH] = (byte) 0xc0;
        pointer[DnsHeader.LENGTH + 1] = 12;
        // Text that reads as a header of an unassigned opcode (13), and a DSO message (6),
        // which RFC 8490 keeps off UDP (probe Y: forwarded, each held a query for the timeout).
        byte[] text = "hello world, not dns at all".getBytes(StandardCharsets.US_ASCII);
        byte[] dso = Dns.query(9, "dso.example");
        dso[2] = (byte) (6 << 3);
        for (byte[] junk : List.of(new byte[0], new byte[] {1, 2, 3}, new byte[11], answerShaped, two, cutInLabel,
                noRoot, pointer, text, dso)) {
            c.send(new DatagramPacket(junk, junk.length, relayAt));
        }
        byte[] a = ask(c, Dns.query(6, "ok.example"));
        assertEquals(6, Dns.id(a));
        assertEquals(1, b.seen.size(), "only the real query reached the backend");
    }

    @Test
    void unanswered_queries_end_after_the_timeout() throws Exception {
        TestDnsServer b = server();
        b.mode = TestDnsServer.Mode.SILENT;
        start(RelayTransport.epoll(), List.of(b), 1, false, DnsRelay.ROTATE_AFTER);
        DatagramSocket c = client();
        for (int i = 0; i < 5; i++) {
            byte[] q = Dns.query(i, "silent.example");
            c.send(new DatagramPacket(q, q.length, relayAt));
        }
        await("queries to reach the backend", () -> b.seen.size() == 5);
        assertEquals(5, counters.active());
        // The waiting queries are the relay's sessions in show sessions.
        List<org.hoststated.core.msg.CtlSession> rows = relay.sessions(0, System.nanoTime());
        assertEquals(5, rows.size());
        assertEquals(c.getLocalPort(), rows.get(0).clientPort());
        assertEquals(b.port(), rows.get(0).targetPort());
        await("waiting queries to time out", () -> counters.active() == 0);
        assertEquals(0, relay.sessions(0, System.nanoTime()).size());
        b.mode = TestDnsServer.Mode.ANSWER;
        assertEquals(9, Dns.id(ask(c, Dns.query(9, "back.example"))));
    }

    @Test
    void queries_go_round_robin_to_the_hosts() throws Exception {
        TestDnsServer one = server();
        TestDnsServer two = server();
        start(List.of(one, two));
        DatagramSocket c = client();
        for (int i = 0; i < 10; i++) {
            ask(c, Dns.query(i, "rr.example"));
        }
        assertEquals(5, one.seen.size());
        assertEquals(5, two.seen.size());
    }

    @Test
    void a_query_whose_send_fails_at_once_goes_to_the_next_host_up() throws Exception {
        // A send to the broadcast address fails at once (EACCES: no SO_BROADCAST), as one to
        // a host whose route went away does (ENETUNREACH) until its next check. As for a TCP
        // relay's connect, the next host up takes the query, though the host has no retry.
        TestDnsServer good = server();
        InetSocketAddress unreachable = new InetSocketAddress(addr("255.255.255.255"), good.port());
        startOnHosts(RelayTransport.epoll(), List.of(unreachable, good.endpoint()), 600, false,
                DnsRelay.ROTATE_AFTER);
        DatagramSocket c = client();
        for (int i = 0; i < 4; i++) {
            assertEquals(i, Dns.id(ask(c, Dns.query(i, "failover" + i + ".example"))));
        }
        assertEquals(4, good.seen.size(), "every query reached the host that was there");
    }

    /**
     * An IPv6 client may send a query larger than any IPv4 datagram (65,527 bytes against
     * 65,507): its send to an IPv4 host fails, and it goes on to an IPv6 host of the table. It
     * was dropped ("forward failed") though an IPv6 host was up (probe Z).
     */
    @Test
    void a_query_too_large_for_ipv4_goes_on_to_an_ipv6_host() throws Exception {
        TestDnsServer v4 = server();
        TestDnsServer v6 = new TestDnsServer(addr("::1"), ANSWER);
        closing.add(v6);
        startOnHosts(RelayTransport.epoll(), addr("::1"), List.of(v4.endpoint(), v6.endpoint()), 600, false,
                DnsRelay.ROTATE_AFTER);
        DatagramSocket c = new DatagramSocket(new InetSocketAddress(addr("::1"), 0));
        c.setSoTimeout(5_000);
        closing.add(c);
        for (int i = 0; i < 4; i++) {
            byte[] q = Dns.padded(Dns.query(0x300 + i, "large" + i + ".example"), 65_520);
            assertEquals(0x300 + i, Dns.id(ask(c, q)), "query " + i);
        }
        assertEquals(0, v4.seen.size());
        assertEquals(4, v6.seen.size());
    }

    /**
     * By count alone a relay of little traffic sent every query from one port for hours; a
     * forger who learnt it had only the id to guess. A socket serves a second at most.
     */
    @Test
    void the_source_port_changes_each_second_at_little_traffic_too() throws Exception {
        TestDnsServer b = server();
        start(RelayTransport.epoll(), List.of(b), 600, false, DnsRelay.ROTATE_AFTER);
        DatagramSocket c = client();
        for (int i = 0; i < 8; i++) {
            ask(c, Dns.query(i, "slow.example"));
            Thread.sleep(400);
        }
        Set<Integer> ports = new HashSet<>();
        b.seen.forEach(s -> ports.add(s.sourcePort()));
        assertTrue(ports.size() >= 2, "source ports " + ports);
        assertTrue(ports.size() <= 4, "a socket serves about a second: " + ports);
    }

    @Test
    void the_source_port_towards_the_backends_changes_over_time() throws Exception {
        TestDnsServer b = server();
        start(RelayTransport.epoll(), List.of(b), 600, false, 4);
        DatagramSocket c = client();
        for (int i = 0; i < 40; i++) {
            ask(c, Dns.query(i, "port.example"));
        }
        Set<Integer> ports = new HashSet<>();
        b.seen.forEach(s -> ports.add(s.sourcePort()));
        assertTrue(ports.size() >= 8, "source ports " + ports);
    }

    @Test
    void a_disabled_relay_answers_nothing() throws Exception {
        TestDnsServer b = server();
        start(RelayTransport.epoll(), List.of(b), 600, true, DnsRelay.ROTATE_AFTER);
        DatagramSocket c = client();
        c.setSoTimeout(300);
        assertThrows(SocketTimeoutException.class, () -> ask(c, Dns.query(1, "off.example")));
        assertEquals(0, b.seen.size());
    }

    @Test
    void closing_the_listener_ends_the_waiting_queries() throws Exception {
        TestDnsServer b = server();
        b.mode = TestDnsServer.Mode.SILENT;
        start(List.of(b));
        DatagramSocket c = client();
        byte[] q = Dns.query(1, "stop.example");
        c.send(new DatagramPacket(q, q.length, relayAt));
        await("the query to reach the backend", () -> b.seen.size() == 1);
        listener.close().syncUninterruptibly();
        await("the waiting query to end", () -> counters.active() == 0);
    }

    /**
     * With no descriptor free, the socket a rotation needs cannot even be created: the relay
     * goes on through its current socket and tries again once a second, warning once a minute
     * at most. Each failed try was kept for good (Netty hands back a stand-in channel that
     * never closes), one more socket object a second, each flushed after every read; and each
     * was a warning. A query to which the host stays silent keeps each retired socket open, as
     * under load, so that no socket of the relay's own frees a descriptor for the next.
     */
    @Test
    void sockets_that_could_not_be_created_are_not_kept_nor_warned_of_each(@TempDir Path tmp) throws Exception {
        long limit = openFilesLimit();
        assumeTrue(limit > 0 && limit <= 100_000, "descriptor limit " + limit + ": too many to use up");
        try (TestSyslog log = new TestSyslog(tmp, false)) {
            UnixDatagramSocket syslogd = log.socket;
            TestDnsServer b = server();
            b.mode = TestDnsServer.Mode.SILENT_TO_HOLD;
            start(RelayTransport.epoll(), List.of(b), 600, false, 2);
            DatagramSocket c = client();
            DatagramSocket unanswered = client();
            byte[] hold = Dns.query(0, "hold.example");
            ask(c, Dns.query(0, "fd.example"));
            // Loads the log's classes while their jar can still be opened.
            org.slf4j.LoggerFactory.getLogger(DnsRelayTest.class).warn("descriptors used up from here");
            nextLine(syslogd);
            List<FileInputStream> hog = new ArrayList<>();
            try {
                long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(3_500);
                for (int i = 1; System.nanoTime() < end; i++) {
                    unanswered.send(new DatagramPacket(hold, hold.length, relayAt));
                    useUpDescriptors(hog);
                    assertEquals(i, Dns.id(ask(c, Dns.query(i, "fd.example"))), "answered through the current socket");
                    Thread.sleep(100);
                }
            } finally {
                for (FileInputStream f : hog) {
                    f.close();
                }
            }
            int sockets = relay.loop().submit(relay::upstreamSockets).get();
            assertTrue(sockets <= 3, sockets + " sockets towards the backends kept");
            String line = nextLine(syslogd);
            assertTrue(line.endsWith("(1 since the last such warning)")
                    && line.contains("relay dns: cannot open a udp socket towards the backends: Too many open files ("),
                    line);
            int before = (int) b.seen.stream().map(TestDnsServer.Seen::sourcePort).distinct().count();
            await("a new socket once descriptors are free", () -> {
                try {
                    ask(c, Dns.query(1, "fd.example"));
                } catch (IOException e) {
                    throw new IllegalStateException(e);
                }
                return b.seen.stream().map(TestDnsServer.Seen::sourcePort).distinct().count() > before;
            });
            assertThrows(TimeoutException.class, () -> nextLine(syslogd, 1), "no second warning within the minute");
        }
    }

    /** Opens /dev/null until this process has no descriptor left. */
    static void useUpDescriptors(List<FileInputStream> hog) {
        try {
            while (true) {
                hog.add(new FileInputStream("/dev/null"));
            }
        } catch (IOException e) {
            // Too many open files: none left.
        }
    }

    /** The soft limit of open files of this process, or -1 if unknown. */
    static long openFilesLimit() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/limits"))) {
            if (line.startsWith("Max open files")) {
                String soft = line.substring("Max open files".length()).trim().split("\\s+")[0];
                return soft.equals("unlimited") ? -1 : Long.parseLong(soft);
            }
        }
        return -1;
    }

    @Test
    void io_uring_relays_dns_too() throws Exception {
        RelayTransport uring = RelayTransport.ioUring();
        assumeTrue(uring != null, "io_uring not available here");
        TestDnsServer b = server();
        start(uring, List.of(b), 600, false, DnsRelay.ROTATE_AFTER);
        DatagramSocket c = client();
        for (int i = 0; i < 20; i++) {
            byte[] a = ask(c, Dns.query(0xbeef - i, "uring.example"));
            assertEquals(0xbeef - i, Dns.id(a));
            assertArrayEquals(ANSWER, Dns.answerAddress(a));
        }
        long unchanged = b.seen.stream().filter(s -> s.id() > 0xbeef - 20 && s.id() <= 0xbeef).count();
        assertTrue(unchanged <= 1, "client ids passed through unchanged: " + unchanged);
    }

    @Test
    void ssl_on_a_dns_relay_is_refused() {
        RelayConfig rc = new RelayConfig(1, "dns", new ListenConfig(RELAY_ADDR, 53, true),
                new ForwardTarget(BACKEND_ADDR, "dns", 53, 0), false, 0, "dns", 600, false);
        RelayContext ctx = new RelayContext(rc, HostSelector.fixed(new TargetHost(-1, "dns",
                new InetSocketAddress(BACKEND_ADDR, 53), 0)), counters, null, null, null, false);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new DnsRelay(ctx, TcpOptions.defaults(), "epoll"));
        assertTrue(e.getMessage().contains("ssl over udp"), e.getMessage());
    }
}
