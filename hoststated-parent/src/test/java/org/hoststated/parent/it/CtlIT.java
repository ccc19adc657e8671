package org.hoststated.parent.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * hoststatectl against the real daemon, as an operator drives it: every command, the exit
 * status and the one-line reasons, the socket's permissions as the kernel enforces them for
 * another user, and hostile clients on the control socket, after which the daemon (and every
 * engine) must still be running and answering.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class CtlIT {
    @TempDir
    static Path dir;
    static Daemon daemon;
    static Backend one;
    static Backend two;

    @BeforeAll
    static void start() throws Exception {
        Assumptions.assumeTrue("root".equals(System.getProperty("user.name")), "needs root: skipped");
        one = new Backend("one", "127.25.1.11", 0);
        int port = one.address.getPort();
        two = new Backend("two", "127.25.1.12", port);
        // Another user must be able to reach the socket file, so that its mode is what refuses it.
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        daemon = new Daemon(dir);
        daemon.writeConfig(daemon.globals() + "interval 1\ntimeout 300\n"
                + "table web {\n  real port " + port + "\n  check tcp\n  host 127.25.1.11\n  host 127.25.1.12\n}\n"
                + "relay www {\n  listen on 127.25.1.1 port " + freePort("127.25.1.1") + "\n  table web roundrobin\n}\n");
        daemon.start();
        daemon.awaitLogged("both hosts up", Duration.ofSeconds(20), () ->
                daemon.hostLine("127.25.1.11").endsWith("up") && daemon.hostLine("127.25.1.12").endsWith("up"));
    }

    @AfterAll
    static void stop() throws Exception {
        if (daemon != null) {
            daemon.close();
        }
        for (Backend b : new Backend[] {one, two}) {
            if (b != null) {
                b.close();
            }
        }
    }

    static int freePort(String ip) throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName(ip))) {
            return s.getLocalPort();
        }
    }

    @Test
    @Order(1)
    void theSocketIsRootsWithMode0660AndTheKernelRefusesOtherUsers() throws Exception {
        PosixFileAttributes a = Files.readAttributes(daemon.socket, PosixFileAttributes.class);
        assertEquals("rw-rw----", PosixFilePermissions.toString(a.permissions()));
        assertEquals("root", a.owner().getName());
        assertEquals("root", a.group().getName());
        Daemon.Result nobody = daemon.ctlVia(List.of("setpriv", "--reuid=nobody", "--regid=nogroup",
                "--clear-groups"), "show", "summary");
        assertEquals(new Daemon.Result(1, "hoststatectl: cannot connect to " + daemon.socket + ": permission denied\n"),
                nobody);
        // The same user in the socket's group gets in: the mode is the whole access rule.
        Daemon.Result member = daemon.ctlVia(List.of("setpriv", "--reuid=nobody", "--regid=root",
                "--clear-groups"), "show", "summary");
        assertEquals(0, member.status(), member.output());
    }

    @Test
    @Order(2)
    void showCommandsPrintTheirListings() throws Exception {
        Daemon.Result sum = daemon.ctl("sh", "su");
        assertEquals(0, sum.status(), sum.output());
        assertTrue(sum.output().startsWith("Type\t  Id\tName"), sum.output());
        assertTrue(sum.output().contains("table\t   0\tweb"), sum.output());
        Daemon.Result hosts = daemon.ctl("show", "hosts");
        assertEquals(0, hosts.status());
        assertTrue(hosts.output().contains("\t    \ttotal: "), hosts.output());
        Daemon.Result relays = daemon.ctl("show", "relays");
        assertEquals(0, relays.status());
        assertTrue(relays.output().contains("relay\t   0\twww"), relays.output());
        assertFalse(relays.output().contains("host\t"), relays.output());
    }

    @Test
    @Order(3)
    void enableAndDisableByNameAndById() throws Exception {
        assertEquals(new Daemon.Result(0, "command succeeded\n"), daemon.ctl("host", "disable", "127.25.1.12"));
        assertTrue(daemon.hostLine("127.25.1.12").endsWith("disabled"));
        assertEquals(new Daemon.Result(0, "command succeeded\n"), daemon.ctl("ho", "en", "1"));
        assertEquals(new Daemon.Result(0, "command succeeded\n"), daemon.ctl("table", "disable", "web"));
        assertTrue(daemon.ctl("show", "summary").output().contains("disabled"));
        assertEquals(new Daemon.Result(0, "command succeeded\n"), daemon.ctl("table", "enable", "0"));
        daemon.awaitLogged("hosts up again", Duration.ofSeconds(10), () ->
                daemon.hostLine("127.25.1.11").endsWith("up") && daemon.hostLine("127.25.1.12").endsWith("up"));
        // The log names each object by name and id, whichever the operator typed.
        String log = daemon.logText();
        for (String line : List.of("host 127.25.1.12 (id 1, table web) disabled by control client ",
                "host 127.25.1.12 (id 1, table web) enabled by control client ",
                "table web (id 0) disabled by control client ", "table web (id 0) enabled by control client ")) {
            assertTrue(log.contains("pfe: " + line), line + "\n" + log);
        }
    }

    @Test
    @Order(4)
    void failuresExitOneWithOneLine() throws Exception {
        assertEquals(new Daemon.Result(1, "command failed: no such host: nosuch\n"),
                daemon.ctl("host", "disable", "nosuch"));
        assertEquals(new Daemon.Result(1, "command failed: no such service: 7\n"),
                daemon.ctl("service", "enable", "7"));
        // A negative number is no id: it is sent as a name, with or without "--" before it.
        assertEquals(new Daemon.Result(1, "command failed: no such host: -1\n"), daemon.ctl("host", "disable", "-1"));
        assertEquals(new Daemon.Result(1, "command failed: no such host: -1\n"),
                daemon.ctl("host", "disable", "--", "-1"));
        Daemon.Result usage = daemon.ctl("s", "x");
        assertEquals(1, usage.status());
        assertTrue(usage.output().startsWith("hoststatectl: ambiguous argument: s (show, service, stop)\n"),
                usage.output());
    }

    @Test
    @Order(5)
    void pollAndLogLevel() throws Exception {
        assertEquals(new Daemon.Result(0, "command succeeded\n"), daemon.ctl("poll"));
        assertEquals(new Daemon.Result(0, "command succeeded\n"), daemon.ctl("log", "verbose"));
        assertEquals(new Daemon.Result(0, "command succeeded\n"), daemon.ctl("log", "brief"));
        assertTrue(daemon.logText().contains("log level verbose"), daemon.logText());
    }

    @Test
    @Order(6)
    void monitorPrintsEventsAsTheyHappen() throws Exception {
        List<String> cmd = new ArrayList<>(List.of(Daemon.java(), "-XX:-UsePerfData", "-cp", Daemon.classpath(),
                "org.hoststated.ctl.Hoststatectl", "-s", daemon.socket.toString(), "monitor"));
        Process mon = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        try (BufferedReader in = new BufferedReader(new InputStreamReader(mon.getInputStream(), StandardCharsets.UTF_8))) {
            // The monitor may connect after a first disable: repeat until one is seen.
            Thread disabler = new Thread(() -> {
                for (int i = 0; i < 20 && mon.isAlive(); i++) {
                    try {
                        daemon.ctl("host", "disable", "127.25.1.11");
                        daemon.ctl("host", "enable", "127.25.1.11");
                    } catch (Exception e) {
                        return;
                    }
                }
            });
            disabler.setDaemon(true);
            disabler.start();
            String line;
            String seen = null;
            while ((line = in.readLine()) != null) {
                if (line.startsWith("ctl_host_disable: imsg type ")) {
                    seen = line;
                    assertTrue(in.readLine().startsWith("\ttimestamp: "));
                    assertEquals("\tid: 0", in.readLine());
                    break;
                }
            }
            assertTrue(seen != null, "monitor printed no ctl_host_disable event");
        } finally {
            mon.destroy();
            mon.waitFor(5, TimeUnit.SECONDS);
        }
    }

    @Test
    @Order(7)
    void hostileClientsLoseTheirConnectionAndTheDaemonKeepsRunning() throws Exception {
        Map<String, Long> before = enginePids();
        byte[] random = new byte[4096];
        new Random(7).nextBytes(random);
        assertClosedAfter(random);
        // A request that is none is answered with why (probe R: closed without a word).
        String answer = assertClosedAfter(header(0x7fffffff, 20));     // oversize length
        assertTrue(answer.contains("bad request: "), answer);
        assertClosedAfter(header(4, 20));                              // length below the header
        // Text is no frame of any build, not a hoststatectl of another one (probe AC 6).
        answer = assertClosedAfter("hello world garbage!!\n".getBytes(StandardCharsets.US_ASCII));
        assertTrue(answer.contains("bad request: not a control protocol frame"), answer);
        answer = assertClosedAfter(header(16, 999));                   // unknown type
        assertTrue(answer.contains("bad request: "), answer);
        // A hoststatectl of another build (before versions: 0), whatever its request.
        for (byte[] other : List.of(header(16, 12, 0), header(16, 999, 7))) {
            answer = assertClosedAfter(other);
            assertTrue(answer.contains("hoststatectl and the running daemon are of different builds"), answer);
        }
        assertClosedAfter(header(16, 46));                             // HOST_STATUS: not a client's to send
        assertClosedAfter(concat(header(20, 21), new byte[4]));        // CTL_POLL with a payload
        assertClosedAfter(concat(header(40, 18), new byte[24]));       // CTL_HOST_DISABLE, garbage id
        // Half a frame, then the client goes away.
        try (SocketChannel c = open()) {
            c.write(ByteBuffer.wrap(header(64, 18), 0, 10));
        }
        // More clients than the daemon serves at once: the extra ones are closed, nothing else.
        List<SocketChannel> many = new ArrayList<>();
        try {
            for (int i = 0; i < 300; i++) {
                many.add(open());
            }
            many.get(0).write(ByteBuffer.wrap(header(16, 12)));        // CTL_SHOW_SUM, then never read
        } finally {
            for (SocketChannel c : many) {
                c.close();
            }
        }
        daemon.awaitLogged("daemon answers again", Duration.ofSeconds(10),
                () -> daemon.ctl("show", "summary").status() == 0);
        // As many connections as it serves that send nothing: the oldest make room for
        // hoststatectl, rather than locking it out until their idle timeout.
        List<SocketChannel> silent = new ArrayList<>();
        try {
            for (int i = 0; i < 256; i++) { // ControlServer.MAX_CLIENTS
                silent.add(open());
            }
            assertEquals(0, daemon.ctl("show", "summary").status(), "hoststatectl locked out by silent clients");
        } finally {
            for (SocketChannel c : silent) {
                c.close();
            }
        }
        assertTrue(daemon.process().isAlive());
        assertEquals(before, enginePids(), "an engine was restarted");
        assertFalse(daemon.logText().contains("Exception"), daemon.logText());
    }

    /**
     * Requests sent together on one connection are answered in turn, each answer whole before
     * the next begins. The parent refused the second at once ("a request is already in
     * progress"), so its refusal came before the first one's answer and a client could not
     * tell which request it answered.
     */
    @Test
    @Order(7)
    void requestsSentTogetherAreAnsweredInTurn() throws Exception {
        try (SocketChannel c = open()) {
            // CTL_SHOW_SESSIONS, CTL_SHOW_SUM, CTL_POLL in one write.
            c.write(ByteBuffer.wrap(concat(concat(header(16, 25), header(16, 12)), header(16, 21))));
            List<String> answers = new ArrayList<>();
            StringBuilder answer = new StringBuilder();
            while (answers.size() < 3) {
                org.hoststated.core.msg.Imsg m = RelayControl.read(c);
                answer.append(m.type()).append(' ');
                if (m.type() == org.hoststated.core.msg.MessageType.CTL_END
                        || m.type() == org.hoststated.core.msg.MessageType.CTL_OK
                        || m.type() == org.hoststated.core.msg.MessageType.CTL_FAIL) {
                    answers.add(answer.toString().trim());
                    answer.setLength(0);
                }
            }
            assertTrue(answers.get(0).matches("(CTL_SESSION )*CTL_END"), answers.toString());
            assertTrue(answers.get(1).matches("CTL_RELAY .*CTL_TABLE .*CTL_HOST .*CTL_END"), answers.toString());
            assertEquals("CTL_OK", answers.get(2), answers.toString());
        }
    }

    /**
     * A parent out of descriptors: the clients it cannot accept wait, one line says why (at
     * most once a minute), and once descriptors are free again it answers. Netty logged each
     * failed accept (every second) as an exception that "reached at the tail of the pipeline".
     */
    @Test
    @Order(8)
    void aParentOutOfDescriptorsLogsOneLineAndAnswersAgainAfterwards() throws Exception {
        long pid = daemon.pid();
        long open = settledDescriptorCount(pid);
        String limits = Files.readAllLines(Path.of("/proc/" + pid + "/limits")).stream()
                .filter(l -> l.startsWith("Max open files")).findFirst().orElseThrow();
        String[] f = limits.split("\\s+");
        String soft = f[3];
        String hard = f[4];
        int logged = daemon.logText().length();
        List<SocketChannel> many = new ArrayList<>();
        prlimit(pid, (open + 4) + ":" + hard);
        try {
            for (int i = 0; i < 20; i++) {
                many.add(open());
            }
            Thread.sleep(2500);
        } finally {
            prlimit(pid, soft + ":" + hard);
            for (SocketChannel c : many) {
                c.close();
            }
        }
        daemon.awaitLogged("daemon answers again", Duration.ofSeconds(10),
                () -> daemon.ctl("show", "summary").status() == 0);
        String after = daemon.logText().substring(logged);
        assertTrue(after.contains("parent: control socket: cannot accept a client: Too many open files"), after);
        assertFalse(after.contains("tail of the pipeline"), after);
        assertEquals(1, after.split("cannot accept", -1).length - 1, after);
    }

    /**
     * The parent's open descriptors once the count holds still: the previous test's 256 clients
     * may still be closing, and a limit set above a count that then falls lets every accept
     * through (seen under load).
     */
    private static long settledDescriptorCount(long pid) throws Exception {
        long last = -1;
        for (int i = 0; i < 50; i++) {
            long now;
            try (java.util.stream.Stream<Path> fds = Files.list(Path.of("/proc/" + pid + "/fd"))) {
                now = fds.count();
            }
            if (now == last) {
                return now;
            }
            last = now;
            Thread.sleep(200);
        }
        return last;
    }

    private static void prlimit(long pid, String nofile) throws Exception {
        Process p = new ProcessBuilder("prlimit", "--pid", Long.toString(pid), "--nofile=" + nofile)
                .inheritIO().start();
        assertEquals(0, p.waitFor(), "prlimit " + nofile);
    }

    /**
     * A burst of connections past the limit (a monitoring system's, run in parallel) is one
     * warning a minute, which counts the clients closed since: it was a line per client (216
     * lines in a run here).
     */
    @Test
    @Order(9)
    void aBurstOfClientsPastTheLimitIsNotALinePerClient() throws Exception {
        int from = daemon.logText().length();
        List<SocketChannel> many = new ArrayList<>();
        try {
            for (int i = 0; i < 600; i++) {
                many.add(open());
            }
        } finally {
            for (SocketChannel c : many) {
                c.close();
            }
        }
        daemon.awaitLogged("daemon answers again", Duration.ofSeconds(10),
                () -> daemon.ctl("show", "summary").status() == 0);
        List<String> lines = daemon.logText().substring(from).lines().filter(l -> l.contains("too many clients"))
                .toList();
        assertTrue(lines.size() <= 1, lines.size() + " lines, the first: " + (lines.isEmpty() ? "" : lines.get(0)));
    }

    /**
     * A client past the limit, when every connection has spoken, is told why it is turned
     * away: it read only "daemon closed the connection".
     */
    @Test
    @Order(9)
    void aClientPastTheLimitIsToldWhy() throws Exception {
        List<SocketChannel> monitors = new ArrayList<>();
        try {
            for (int i = 0; i < 256; i++) { // ControlServer.MAX_CLIENTS, each a monitor: they have spoken
                SocketChannel c = open();
                c.write(ByteBuffer.wrap(header(16, 22)));
                monitors.add(c);
            }
            Thread.sleep(1000); // the parent has read every monitor's request: none is silent
            Daemon.Result r = daemon.ctl("show", "summary");
            assertEquals(1, r.status(), r.toString());
            assertTrue(r.output().contains("too many control clients (256 connected); try again"), r.toString());
        } finally {
            for (SocketChannel c : monitors) {
                c.close();
            }
        }
        daemon.awaitLogged("daemon answers again", Duration.ofSeconds(10),
                () -> daemon.ctl("show", "summary").status() == 0);
    }

    @Test
    @Order(10)
    void stopEndsTheDaemonAndThenItIsNotRunning() throws Exception {
        assertEquals(new Daemon.Result(0, "command succeeded\n"), daemon.ctl("stop"));
        assertTrue(daemon.process().waitFor(15, TimeUnit.SECONDS), "daemon did not stop");
        assertEquals(0, daemon.process().exitValue(), daemon.logText());
        assertFalse(Files.exists(daemon.socket));
        assertEquals(new Daemon.Result(1, "hoststatectl: cannot connect to " + daemon.socket
                + ": daemon not running?\n"), daemon.ctl("show", "summary"));
    }

    private static Map<String, Long> enginePids() {
        return Map.of("pfe", daemon.child("hoststated: pf engine").orElse(-1L),
                "hce", daemon.child("hoststated: health check engine").orElse(-1L),
                "relay", daemon.child("hoststated: relay engine").orElse(-1L));
    }

    private static SocketChannel open() throws IOException {
        SocketChannel c = SocketChannel.open(StandardProtocolFamily.UNIX);
        c.connect(UnixDomainSocketAddress.of(daemon.socket));
        return c;
    }

    /** Sends {@code bytes} and expects the daemon to close the connection (EOF or reset). */
    /**
     * Sends {@code bytes} and reads until the daemon closes the connection; what it answered,
     * as ISO-8859-1 text (a reset ends it too).
     */
    private static String assertClosedAfter(byte[] bytes) throws Exception {
        try (SocketChannel c = open()) {
            c.write(ByteBuffer.wrap(bytes));
            ByteBuffer b = ByteBuffer.allocate(1 << 16);
            StringBuilder got = new StringBuilder();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            c.configureBlocking(false);
            while (System.nanoTime() < deadline) {
                int n;
                try {
                    n = c.read(b.clear());
                } catch (IOException e) {
                    return got.toString(); // reset by the daemon
                }
                if (n < 0) {
                    return got.toString();
                }
                got.append(new String(b.array(), 0, n, java.nio.charset.StandardCharsets.ISO_8859_1));
                Thread.sleep(20);
            }
            throw new AssertionError("daemon kept a hostile connection open");
        }
    }

    /** A request's header, of this build's control protocol. */
    static byte[] header(int len, int type) {
        return header(len, type, org.hoststated.core.msg.Messages.CONTROL_VERSION);
    }

    static byte[] header(int len, int type, int version) {
        return ByteBuffer.allocate(16).putInt(len).putShort((short) type).putShort((short) 0).putInt(version).putInt(0)
                .array();
    }

    static byte[] concat(byte[] a, byte[] b) {
        byte[] c = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, c, a.length, b.length);
        return c;
    }
}
