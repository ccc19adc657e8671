package org.hoststated.parent.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The whole daemon as root with a {@code protocol http} relay over two real HTTP servers,
 * driven by curl and raw sockets: forwarded-for, keep-alive, hashing on a header, a filter
 * with {@code return error}, a response rule, smuggling refused, and the session log line
 * with the logged header.
 */
class HttpRelayIT {
    @TempDir
    static Path dir;
    static Daemon daemon;
    static final List<HttpServer> servers = new ArrayList<>();
    static InetSocketAddress relay;

    @BeforeAll
    static void start() throws Exception {
        Assumptions.assumeTrue("root".equals(System.getProperty("user.name")), "needs root: skipped");
        int backendPort = freePort("127.23.2.11");
        for (String ip : List.of("127.23.2.11", "127.23.2.12")) {
            HttpServer s = HttpServer.create(new InetSocketAddress(InetAddress.getByName(ip), backendPort), 32);
            s.createContext("/", ex -> {
                byte[] body = ("host " + ip + "\nxff " + ex.getRequestHeaders().getFirst("X-Forwarded-For") + "\n"
                        + "peer " + ex.getRemoteAddress().getPort() + "\n").getBytes(StandardCharsets.US_ASCII);
                ex.getResponseHeaders().add("Server", "jdk");
                ex.sendResponseHeaders(200, body.length);
                ex.getResponseBody().write(body);
                ex.close();
            });
            s.start();
            servers.add(s);
        }
        relay = new InetSocketAddress(InetAddress.getByName("127.23.2.1"), freePort("127.23.2.1"));
        daemon = new Daemon(dir);
        daemon.writeConfig(daemon.globals() + "interval 1\ntimeout 300\nlog all\n"
                + "table web {\n  real port " + backendPort + "\n  check tcp\n  host 127.23.2.11\n  host 127.23.2.12\n}\n"
                + "protocol web {\n  protocol http\n  return error style \"body { color: green; }\"\n"
                + "  request header append \"$REMOTE_ADDR\" to \"X-Forwarded-For\"\n"
                + "  request header filter \"*EvilBot*\" from \"User-Agent\"\n"
                + "  request header log \"User-Agent\"\n"
                + "  request header hash \"X-User\"\n"
                + "  response header change \"Server\" to \"hoststated\"\n}\n"
                + "relay www {\n  listen on 127.23.2.1 port " + relay.getPort() + "\n  protocol web\n"
                + "  table web hash\n}\n");
        daemon.start();
        daemon.awaitLogged("both hosts up", Duration.ofSeconds(20), () ->
                daemon.hostLine("127.23.2.11").endsWith("up") && daemon.hostLine("127.23.2.12").endsWith("up"));
    }

    @AfterAll
    static void stop() throws Exception {
        if (daemon != null) {
            daemon.close();
        }
        servers.forEach(s -> s.stop(0));
    }

    static int freePort(String ip) throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName(ip))) {
            return s.getLocalPort();
        }
    }

    static String url() {
        return "http://127.23.2.1:" + relay.getPort() + "/";
    }

    /** curl with {@code args}; stdout, with the exit status checked. */
    static String curl(String... args) throws Exception {
        Assumptions.assumeTrue(Daemon.installed("curl"), "curl not installed: skipped");
        List<String> cmd = new ArrayList<>(List.of("curl", "-sS", "--max-time", "10"));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(20, TimeUnit.SECONDS), "curl hung");
        assertEquals(0, p.exitValue(), out);
        return out;
    }

    @Test
    void curlGetsAnswersWithForwardedForOverOneKeptConnection() throws Exception {
        String out = curl("-v", "-H", "X-User: alice", url(), url(), url());
        assertEquals(3, out.split("xff 127\\.").length - 1, out);
        assertTrue(out.contains("Re-using existing connection"), out);
        assertTrue(out.contains("< Server: hoststated"), out);
    }

    @Test
    void clientsThatCloseAreServedOverKeptBackendConnections() throws Exception {
        // Each of the 5 worker loops (the default prefork) keeps its own idle connections.
        Set<String> peers = new HashSet<>();
        for (int i = 0; i < 12; i++) {
            String out = curl("-i", "-H", "X-User: carol", "-H", "Connection: close", url());
            assertTrue(out.contains("Connection: close"), out);
            peers.add(out.substring(out.indexOf("peer ")));
        }
        assertTrue(peers.size() <= 5, "backend connections: " + peers);
    }

    @Test
    void aHeaderValueKeepsItsHostAndUsersSpreadOverBoth() throws Exception {
        Map<String, String> hostOf = new HashMap<>();
        Set<String> hosts = new HashSet<>();
        for (int round = 0; round < 2; round++) {
            for (int u = 0; u < 12; u++) {
                String host = curl("-H", "X-User: user" + u, url()).lines().findFirst().orElseThrow();
                hosts.add(host);
                String before = hostOf.putIfAbsent("user" + u, host);
                assertTrue(before == null || before.equals(host), "user" + u + " moved");
            }
        }
        assertEquals(2, hosts.size());
    }

    @Test
    void aFilteredClientGetsTheStyledErrorPage() throws Exception {
        String out = curl("-i", "-A", "x-EvilBot-y", url());
        assertTrue(out.startsWith("HTTP/1.1 403 Forbidden"), out);
        assertTrue(out.contains("body { color: green; }"), out);
    }

    @Test
    void smugglingIsRefusedAndTheSessionLogNamesTheLoggedHeader() throws Exception {
        try (Socket s = new Socket()) {
            s.connect(relay, 2000);
            s.setSoTimeout(5000);
            OutputStream out = s.getOutputStream();
            out.write(("POST / HTTP/1.1\r\nHost: a\r\nUser-Agent: raw-it\r\nContent-Length: 4\r\n"
                    + "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            InputStream in = s.getInputStream();
            String answer = new String(in.readAllBytes(), StandardCharsets.US_ASCII);
            assertTrue(answer.startsWith("HTTP/1.1 400 Bad Request"), answer);
        }
        curl("-A", "curl-it-logged", url());
        daemon.awaitLogged("the session line", Duration.ofSeconds(10),
                () -> daemon.logText().contains("[User-Agent: curl-it-logged]"));
        assertTrue(daemon.logText().contains("both Content-Length and Transfer-Encoding (400 Bad Request)"));
    }

    /**
     * A reload replaces the relay: a keep-alive client idle after its answer is closed (it
     * reconnects to the new relay and its rules) and the next connection is served.
     */
    @Test
    void aReloadEndsIdleKeepAliveSessions() throws Exception {
        try (Socket s = new Socket()) {
            s.connect(relay, 2000);
            s.setSoTimeout(10_000);
            s.getOutputStream().write("GET / HTTP/1.1\r\nHost: a\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            InputStream in = s.getInputStream();
            StringBuilder got = new StringBuilder();
            while (!got.toString().matches("(?s).*\r\n\r\n.*peer \\d+\n")) {
                int c = in.read();
                assertTrue(c >= 0, "closed before the answer: " + got);
                got.append((char) c);
            }
            assertTrue(got.toString().startsWith("HTTP/1.1 200 "), got.toString());
            Daemon.Result r = daemon.ctl("reload");
            assertEquals(0, r.status(), r.output());
            assertEquals(-1, in.read(), "the idle session ends after the reload");
        }
        daemon.awaitLogged("the closed session's line", Duration.ofSeconds(10),
                () -> daemon.logText().contains("done (relay reloaded)"));
        assertTrue(curl(url()).startsWith("host 127.23.2.1"));
    }
}
