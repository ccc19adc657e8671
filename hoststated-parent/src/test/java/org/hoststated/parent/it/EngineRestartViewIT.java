package org.hoststated.parent.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the operator sees across a restart of pfe and of hce, with nothing else changed
 * (probe H of session 57): an idle relay's counts stay in {@code show relays}, {@code monitor}
 * reports no host state and no disable that did not happen, and a disabled host is not
 * checked by the new hce. {@code -Dhoststated.it.restartview} moves the test to other
 * loopback addresses.
 */
class EngineRestartViewIT {
    private static final String NET = System.getProperty("hoststated.it.restartview", "127.39.12");
    private static final Duration WAIT = Duration.ofSeconds(60);

    @Test
    void aRestartedEngineChangesNothingTheOperatorSees(@TempDir Path dir) throws Exception {
        Assumptions.assumeTrue("root".equals(System.getProperty("user.name")), "needs root: skipped");
        int port = CtlIT.freePort(NET + ".11");
        InetSocketAddress relay = new InetSocketAddress(InetAddress.getLoopbackAddress(), DaemonIT.freePort());
        try (Daemon d = new Daemon(dir); Backend one = new Backend("one", NET + ".11", port);
                Backend two = new Backend("two", NET + ".12", port)) {
            d.writeConfig(d.globals() + "interval 1\ntimeout 300\n"
                    + "table web {\n  real port " + port + "\n  check tcp\n  host " + NET + ".11\n  host " + NET
                    + ".12\n  host " + NET + ".13\n}\n"
                    + "relay www {\n  listen on 127.0.0.1 port " + relay.getPort() + "\n  table web roundrobin\n}\n");
            d.start();
            d.awaitLogged("both hosts up", WAIT, () -> d.hostLine(NET + ".11").endsWith("up")
                    && d.hostLine(NET + ".12").endsWith("up"));
            assertEquals("", d.ctl("host", "disable", NET + ".12").output().replace("command succeeded\n", ""));
            for (int i = 0; i < 3; i++) {
                d.awaitLogged("a session through the relay", WAIT, () -> {
                    try {
                        return Daemon.fetch(relay).equals("one");
                    } catch (IOException e) {
                        return false;
                    }
                });
            }
            d.awaitLogged("the relay's counts", WAIT, () -> d.ctl("show", "relays").output().contains("total: 3 sessions"));

            List<String> events = new ArrayList<>();
            Process mon = monitor(d, events);
            try {
                // The monitor has connected once it reports an operator's change.
                d.awaitLogged("the monitor connected", WAIT, () -> {
                    d.ctl("host", "disable", NET + ".13");
                    d.ctl("host", "enable", NET + ".13");
                    synchronized (events) {
                        return events.stream().anyMatch(e -> e.startsWith("ctl_host_enable:"));
                    }
                });
                int checksOfTwo = two.accepted.get();
                int seen;
                synchronized (events) {
                    seen = events.size();
                }
                restart(d, "hoststated: pf engine");
                restart(d, "hoststated: health check engine");
                int checksOfOne = one.accepted.get();
                // Past the new hce's first round: two more checks of the host that is up.
                d.awaitLogged("the new hce's rounds", WAIT, () -> one.accepted.get() >= checksOfOne + 2);
                d.awaitLogged("the idle relay's counts after pfe's restart", Duration.ofSeconds(15),
                        () -> d.ctl("show", "relays").output().contains("total: 3 sessions"));
                List<String> after;
                synchronized (events) {
                    after = List.copyOf(events.subList(seen, events.size()));
                }
                assertEquals(List.of(), after.stream().filter(e -> e.startsWith("host_status:")
                        || e.startsWith("ctl_host_disable:") || e.startsWith("ctl_host_enable:")).toList(),
                        "monitor events after the restarts: " + after);
                assertEquals(checksOfTwo, two.accepted.get(), "checks of the disabled host");
            } finally {
                mon.destroy();
                mon.waitFor(5, TimeUnit.SECONDS);
            }
        }
    }

    /** Kills the engine with {@code title} and waits for its successor to answer show summary. */
    private static void restart(Daemon d, String title) throws Exception {
        long pid = d.child(title).orElseThrow();
        new ProcessBuilder("kill", "-KILL", Long.toString(pid)).inheritIO().start().waitFor();
        d.awaitLogged(title + " restarted", WAIT, () -> d.child(title).filter(p -> p != pid).isPresent()
                && d.ctl("show", "summary").output().contains("table"));
    }

    /** hoststatectl monitor, its lines that name an event (not their indented fields) into {@code events}. */
    private static Process monitor(Daemon d, List<String> events) throws IOException {
        List<String> cmd = List.of(Daemon.java(), "-XX:-UsePerfData", "-cp", Daemon.classpath(),
                "org.hoststated.ctl.Hoststatectl", "-s", d.socket.toString(), "monitor");
        Process mon = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        Thread reader = new Thread(() -> {
            try (BufferedReader in = new BufferedReader(new InputStreamReader(mon.getInputStream(),
                    StandardCharsets.UTF_8))) {
                String line;
                while ((line = in.readLine()) != null) {
                    if (!line.startsWith("\t")) {
                        synchronized (events) {
                            events.add(line);
                        }
                    }
                }
            } catch (IOException e) {
                // The monitor was stopped.
            }
        }, "monitor-reader");
        reader.setDaemon(true);
        reader.start();
        return mon;
    }
}
