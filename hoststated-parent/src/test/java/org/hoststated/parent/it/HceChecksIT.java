package org.hoststated.parent.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * The health check engine in the whole daemon, as root: every check type against real backends
 * that answer, answer wrongly, half answer or stay silent, and check scripts run by the parent
 * as the unprivileged user. The interval is long, so every round after the first is one that
 * {@code hoststatectl poll} started. States and reasons are read from {@code show hosts}.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class HceChecksIT {
    private static final String BODY = "<html>healthy</html>\n";
    @TempDir
    static Path dir;
    static Path scripts;
    static Daemon daemon;
    static final List<HceBackend> backends = new ArrayList<>();

    /** Host address -> the state and last error {@code show hosts} must show after a round. */
    static final Map<String, String> expected = new LinkedHashMap<>();

    @BeforeAll
    static void start() throws Exception {
        Assumptions.assumeTrue("root".equals(System.getProperty("user.name")), "needs root: skipped");
        scripts = scriptDir();
        StringBuilder conf = new StringBuilder();
        daemon = new Daemon(dir);
        conf.append(daemon.globals()).append("interval 60\ntimeout 500\nlog updates\n");
        table(conf, "tcp_ok", "check tcp", "127.20.1.1", HceBackend.SILENT, "up");
        table(conf, "tcp_refused", "check tcp", "127.20.1.2", null, "down tcp connection refused");
        table(conf, "http_ok", "check http \"/\" host www.example.org code 200", "127.20.1.3",
                HceBackend.answer("HTTP/1.1 200 OK\r\n\r\n"), "up");
        table(conf, "http_404", "check http \"/\" code 200", "127.20.1.4",
                HceBackend.answer("HTTP/1.0 404 Not Found\r\n\r\n"), "down http code mismatch");
        table(conf, "http_silent", "check http \"/\" code 200", "127.20.1.5", HceBackend.SILENT,
                "down tcp read timeout");
        table(conf, "http_half", "check http \"/\" code 200", "127.20.1.6", HceBackend.halfAnswer("HTTP/1.0 2"),
                "down tcp read timeout");
        String digest = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-1")
                .digest(BODY.getBytes(StandardCharsets.ISO_8859_1)));
        table(conf, "digest_ok", "check http \"/\" digest \"" + digest + "\"", "127.20.1.7",
                HceBackend.answer("HTTP/1.0 200 OK\r\n\r\n" + BODY), "up");
        table(conf, "digest_bad", "check http \"/\" digest \"" + digest + "\"", "127.20.1.8",
                HceBackend.answer("HTTP/1.0 200 OK\r\n\r\nsomething else"), "down http digest mismatch");
        table(conf, "banner_ok", "check send nothing expect \"220 *\"", "127.20.1.9",
                HceBackend.banner("220 mail.example.org ESMTP\r\n"), "up");
        table(conf, "banner_bad", "check send \"PING\\r\\n\" expect \"+PONG*\"", "127.20.1.10",
                HceBackend.answerLine("-ERR\r\n"), "down send/expect failed");
        table(conf, "ping", "check icmp", "127.20.1.11", null, "up");
        table(conf, "ping6", "check icmp", "::1", null, "up");
        conf.append("table scripts {\n real port 22\n timeout 1000\n check script \"").append(scripts.resolve("check"))
                .append("\"\n host 127.20.2.1\n host 127.20.2.2\n host 127.20.2.3\n}\n")
                .append("service s_scripts {\n virtual host 127.20.0.1 port 22\n table scripts\n}\n");
        expected.put("127.20.2.1", "up");
        expected.put("127.20.2.2", "down script failed");
        expected.put("127.20.2.3", "down script timeout");
        daemon.writeConfig(conf.toString());
        daemon.start();
    }

    /** One table with one host, its backend (none: nothing listens) and a service using it. */
    private static void table(StringBuilder conf, String name, String check, String host, HceBackend.Session session,
            String state) throws IOException {
        int port = 9000 + expected.size(); // nothing listens there on our addresses
        if (session != null) {
            HceBackend b = new HceBackend(host, session);
            backends.add(b);
            port = b.port;
        }
        conf.append("table ").append(name).append(" {\n real port ").append(port).append("\n ").append(check)
                .append("\n host ").append(host).append("\n}\n")
                .append("service s_").append(name).append(" {\n virtual host 127.20.0.1 port ").append(port)
                .append("\n table ").append(name).append("\n}\n");
        expected.put(host, state);
    }

    /**
     * The check script, in a directory the unprivileged user can read: up (exit 1) for the first
     * host, down (exit 0) for the second, too slow for the third. It notes the uid it ran as.
     */
    private static Path scriptDir() throws IOException {
        Path d = Files.createTempDirectory(Path.of("/tmp"), "hce-it-");
        Files.setPosixFilePermissions(d, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path out = Files.createDirectory(d.resolve("out"));
        Files.setPosixFilePermissions(out, PosixFilePermissions.fromString("rwxrwxrwx"));
        Path script = Files.writeString(d.resolve("check"), "#!/bin/sh\nid -u > " + out + "/uid-$1\n"
                + "case \"$1\" in\n 127.20.2.1) exit 1 ;;\n 127.20.2.2) exit 0 ;;\n *) echo $$ > " + out + "/pid-$1; exec sleep 30 ;;\nesac\n");
        Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwxr-xr-x"));
        return d;
    }

    @AfterAll
    static void stop() throws Exception {
        if (daemon != null) {
            daemon.close();
        }
        for (HceBackend b : backends) {
            b.close();
        }
        if (scripts != null) {
            try (Stream<Path> s = Files.walk(scripts)) {
                s.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    @Test
    @Order(1)
    void every_check_type_gives_its_state_and_reason() {
        // A check hce had to give up on for the machine's load (a script's answer after its
        // deadline) is no verdict until the next round, 60 s away: start one as an operator would.
        long[] nextPoll = {System.nanoTime() + TimeUnit.SECONDS.toNanos(15)};
        daemon.awaitLogged("every host checked", Duration.ofSeconds(60), () -> {
            if (hosts().equals(expected)) {
                return true;
            }
            if (System.nanoTime() > nextPoll[0]) {
                assertEquals(0, daemon.ctl("poll").status());
                nextPoll[0] = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
            }
            return false;
        });
    }

    @Test
    @Order(2)
    void state_changes_are_logged_as_in_the_original() {
        String log = daemon.logText();
        assertTrue(log.matches("(?s).*host 127\\.20\\.1\\.1, check tcp \\(\\d+ms\\), state unknown -> up,"
                + " availability 100\\.00%.*"), log);
        assertTrue(log.matches("(?s).*host 127\\.20\\.1\\.5, check http code \\(\\d+ms\\), state unknown -> down,"
                + " availability 0\\.00% \\(tcp read timeout\\).*"), log);
        assertTrue(log.contains("check send expect"), log);
        assertTrue(log.contains("check script"), log);
        assertTrue(log.contains("check icmp"), log);
    }

    @Test
    @Order(3)
    void scripts_run_as_the_unprivileged_user_and_are_killed_at_the_timeout() throws Exception {
        for (String host : List.of("127.20.2.1", "127.20.2.2", "127.20.2.3")) {
            assertEquals("65534", Files.readString(scripts.resolve("out/uid-" + host)).trim(), host);
        }
        // The slow script (its shell became sleep 30 by exec) was killed at the timeout.
        long pid = Long.parseLong(Files.readString(scripts.resolve("out/pid-127.20.2.3")).trim());
        Daemon.awaitTrue("killed script gone", Duration.ofSeconds(5),
                () -> ProcessHandle.of(pid).map(h -> !h.isAlive()).orElse(true));
    }

    @Test
    @Order(4)
    void poll_starts_a_round_now() throws Exception {
        String before = total("127.20.1.1");
        assertTrue(before.matches("total: (\\d+)/\\1 checks"), before);
        int rounds = Integer.parseInt(before.substring("total: ".length(), before.indexOf('/')));
        Daemon.Result r = daemon.ctl("poll");
        assertEquals(0, r.status(), r.output());
        // The interval is 60 s: one more check within seconds is the poll's round.
        int next = rounds + 1;
        daemon.awaitLogged("another round", Duration.ofSeconds(10),
                () -> total("127.20.1.1").equals("total: " + next + "/" + next + " checks")
                        && total("127.20.1.5").equals("total: 0/" + next + " checks"));
        assertEquals(expected, hosts());
        // log updates: the second round changed nothing, so it logged nothing.
        String log = daemon.logText();
        assertEquals(1, log.split("host 127\\.20\\.1\\.1, check tcp ", -1).length - 1, log);
    }

    /** Each host of {@code show hosts}: its status and, when down, its last error. */
    static Map<String, String> hosts() throws Exception {
        Map<String, String> out = new LinkedHashMap<>();
        String current = null;
        for (String line : daemon.ctl("show", "hosts").output().split("\n")) {
            String[] f = line.split("\t");
            if (f.length == 5 && f[0].equals("host")) {
                current = f[2].trim();
                out.put(current, f[4].trim());
            } else if (current != null && line.contains("last error: ")) {
                out.put(current, out.get(current) + " " + line.substring(line.indexOf("last error: ") + 12).trim());
            } else if (f.length == 5) {
                current = null;
            }
        }
        // show hosts lists tables in reverse order: compare in ours.
        Map<String, String> ordered = new LinkedHashMap<>();
        for (String host : expected.keySet()) {
            if (out.containsKey(host)) {
                ordered.put(host, out.get(host));
            }
        }
        return ordered;
    }

    /** The "total: ..." line under {@code host} in {@code show hosts}, or "". */
    static String total(String host) throws Exception {
        String[] lines = daemon.ctl("show", "hosts").output().split("\n");
        for (int i = 0; i + 1 < lines.length; i++) {
            String[] f = lines[i].split("\t");
            if (f.length == 5 && f[0].equals("host") && f[2].trim().equals(host)) {
                return lines[i + 1].contains("total: ") ? lines[i + 1].substring(lines[i + 1].indexOf("total: ")).trim()
                        : "";
            }
        }
        return "";
    }
}
