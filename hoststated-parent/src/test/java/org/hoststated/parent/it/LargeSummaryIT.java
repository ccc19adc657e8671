package org.hoststated.parent.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code show summary} lists a relay's table under each relay: 120 relays on a table of 1,000
 * hosts are 120,000 host rows. pfe made them all at once (500 relays took its heap: it died at
 * each show), and the parent forwarded them faster than the client read, past its cap on queued
 * replies: the client was closed after a few thousand rows (probe T, review S). The answer now
 * goes at the client's pace, whole.
 */
class LargeSummaryIT {
    private static final int RELAYS = 120;
    private static final int HOSTS = 1000;

    @Test
    void aSummaryOfOverAHundredThousandRowsArrivesWhole(@TempDir Path dir) throws Exception {
        Assumptions.assumeTrue("root".equals(System.getProperty("user.name")), "needs root: skipped");
        StringBuilder conf = new StringBuilder("interval 3600\ntimeout 200\ntable big {\n  real port 9\n  check tcp\n");
        for (int i = 0; i < HOSTS; i++) {
            conf.append("  host 127.61.").append(i / 250).append('.').append(1 + i % 250).append('\n');
        }
        conf.append("}\n");
        java.util.Set<Integer> ports = new java.util.HashSet<>();
        while (ports.size() < RELAYS) {
            ports.add(CtlIT.freePort("127.61.9.1"));
        }
        int i = 0;
        for (int port : ports) {
            conf.append("relay r").append(i++).append(" {\n  listen on 127.61.9.1 port ").append(port)
                    .append("\n  table big\n}\n");
        }
        try (Daemon d = new Daemon(dir)) {
            d.writeConfig(d.globals() + conf);
            d.start();
            Daemon.awaitTrue("the daemon answers", Duration.ofSeconds(30), () -> d.ctl("show", "relays").status() == 0);
            Daemon.Result r = d.ctl("show", "summary");
            assertEquals(0, r.status(), r.output().lines().reduce((a, b) -> b).orElse("") + "\n" + d.logText());
            long hosts = r.output().lines().filter(l -> l.startsWith("host\t")).count();
            assertEquals((long) RELAYS * HOSTS, hosts);
            assertTrue(d.logText().lines().noneMatch(l -> l.contains("closing") || l.contains("lost child")), d.logText());
        }
    }
}
