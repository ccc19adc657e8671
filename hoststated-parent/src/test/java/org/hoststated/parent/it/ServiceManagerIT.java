package org.hoststated.parent.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import jnr.unixsocket.UnixDatagramChannel;
import jnr.unixsocket.UnixSocketAddress;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The daemon under a service manager that asked for notifications, as systemd does for a
 * {@code Type=notify} unit with {@code WatchdogSec}: this test binds the notification socket
 * and reads what the parent says.
 */
class ServiceManagerIT {
    @TempDir
    Path dir;

    @Test
    void theDaemonSaysReadyPingsTheWatchdogAndSaysStopping() throws Exception {
        Assumptions.assumeTrue("root".equals(System.getProperty("user.name")), "needs root: skipped");
        Path notify = dir.resolve("notify");
        try (UnixDatagramChannel manager = UnixDatagramChannel.open();
                Backend backend = new Backend("one", "127.25.2.11", 0);
                Daemon daemon = new Daemon(dir)) {
            manager.bind(new UnixSocketAddress(notify.toFile()));
            manager.configureBlocking(false);
            daemon.writeConfig(daemon.globals() + "interval 1\ntimeout 300\n"
                    + "table web {\n  real port " + backend.address.getPort() + "\n  check tcp\n  host 127.25.2.11\n}\n"
                    + "relay www {\n  listen on 127.25.2.1 port " + CtlIT.freePort("127.25.2.1")
                    + "\n  table web roundrobin\n}\n");
            // Half a second: a ping every 250 ms.
            daemon.start(Map.of("NOTIFY_SOCKET", notify.toString(), "WATCHDOG_USEC", "500000"));
            List<String> got = new ArrayList<>();
            daemon.awaitLogged("READY=1", Duration.ofSeconds(30), () -> received(manager, got).stream()
                    .anyMatch(m -> m.startsWith("READY=1")));
            String ready = got.stream().filter(m -> m.startsWith("READY=1")).findFirst().orElseThrow();
            assertTrue(ready.contains("\nMAINPID=" + daemon.pid()), ready);
            assertTrue(ready.contains("\nSTATUS=ready in "), ready);
            // The log line comes before the datagram, but through the stderr reader: it may lag.
            daemon.awaitLogged("the ready line", Duration.ofSeconds(5),
                    () -> daemon.logText().contains("parent: ready in "));
            int before = count(got, "WATCHDOG=1");
            daemon.awaitLogged("watchdog pings", Duration.ofSeconds(10),
                    () -> count(received(manager, got), "WATCHDOG=1") >= before + 4);
            daemon.signal("TERM");
            daemon.awaitLogged("STOPPING=1", Duration.ofSeconds(10),
                    () -> received(manager, got).contains("STOPPING=1"));
            assertEquals(0, daemon.process().waitFor(), daemon.logText());
        }
    }

    /** Everything the manager's socket has received so far, added to {@code into}. */
    private static List<String> received(UnixDatagramChannel ch, List<String> into) {
        ByteBuffer b = ByteBuffer.allocate(4096);
        try {
            while (ch.receive(b) != null) {
                b.flip();
                into.add(StandardCharsets.UTF_8.decode(b).toString());
                b.clear();
            }
        } catch (IOException e) {
            // jnr-unixsocket reports a non-blocking receive with nothing queued as EAGAIN.
            if (!String.valueOf(e.getMessage()).contains("temporarily unavailable")) {
                throw new java.io.UncheckedIOException(e);
            }
        }
        return into;
    }

    private static int count(List<String> messages, String what) {
        return (int) messages.stream().filter(what::equals).count();
    }
}
