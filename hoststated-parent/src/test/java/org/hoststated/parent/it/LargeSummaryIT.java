package org.hoststated.parent.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
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
        try (Daemon d = start(dir)) {
            Daemon.Result r = d.ctl("show", "summary");
            assertEquals(0, r.status(), r.output().lines().reduce((a, b) -> b).orElse("") + "\n" + d.logText());
            long hosts = r.output().lines().filter(l -> l.startsWith("host\t")).count();
            assertEquals((long) RELAYS * HOSTS, hosts);
            assertTrue(d.logText().lines().noneMatch(l -> l.contains("closing") || l.contains("lost child")), d.logText());
        }
    }

    /**
     * A client that reads its summary slowly, but steadily, holds back no one else's answer:
     * the parent stopped reading pfe's channel while that client was behind, and {@code show
     * relays} beside a summary read at 200 kB/s got "no reply from daemon within 30 s".
     */
    @Test
    void aSlowReaderHoldsBackNoOtherAnswer(@TempDir Path dir) throws Exception {
        Assumptions.assumeTrue("root".equals(System.getProperty("user.name")), "needs root: skipped");
        try (Daemon d = start(dir); SummaryReader slow = new SummaryReader(d.socket)) {
            // About 400 kB/s, never pausing long: the whole answer (some 6 MB) would take 15 s.
            AtomicBoolean othersDone = new AtomicBoolean();
            CompletableFuture<Void> slowDone = CompletableFuture.runAsync(() -> {
                try {
                    while (!slow.ended && !othersDone.get()) {
                        slow.readSome(8 << 10);
                        Thread.sleep(20);
                    }
                    slow.readAll();
                } catch (Exception e) {
                    throw new CompletionException(e);
                }
            });
            Daemon.awaitTrue("the slow client is under way", Duration.ofSeconds(30), () -> slow.bytes > 256 << 10);

            long t0 = System.nanoTime();
            Daemon.Result relays = d.ctl("show", "relays");
            long relaysMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
            assertEquals(0, relays.status(), relays.output());
            assertEquals(RELAYS, relays.output().lines().filter(l -> l.startsWith("relay\t")).count(), relays.output());

            t0 = System.nanoTime();
            List<String> other;
            try (SummaryReader fast = new SummaryReader(d.socket)) {
                fast.readAll();
                other = fast.rows;
            }
            long summaryMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
            assertTrue(!slowDone.isDone(), "the slow client finished before the others: the test proves nothing");
            othersDone.set(true);
            slowDone.get(60, TimeUnit.SECONDS);

            // Whole and in order: the same rows as the other client's answer.
            assertEquals(other.size(), slow.rows.size());
            assertEquals(other, slow.rows);
            assertEquals((long) RELAYS * HOSTS, other.stream().filter(l -> l.startsWith("ctl_host ")).count());
            assertTrue(relaysMs < 10_000 && summaryMs < 10_000,
                    "show relays took " + relaysMs + " ms, a second summary " + summaryMs + " ms beside a slow one");
            System.out.println("beside a slow summary: show relays " + relaysMs + " ms, show summary (raw) "
                    + summaryMs + " ms");
            assertTrue(d.logText().lines().noneMatch(l -> l.contains("closing") || l.contains("lost child")), d.logText());
        }
    }

    /** A daemon with {@value #RELAYS} relays on one table of {@value #HOSTS} hosts, answering. */
    private static Daemon start(Path dir) throws Exception {
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
        Daemon d = new Daemon(dir);
        try {
            d.writeConfig(d.globals() + conf);
            d.start();
            Daemon.awaitTrue("the daemon answers", Duration.ofSeconds(30), () -> d.ctl("show", "relays").status() == 0);
        } catch (Exception | AssertionError e) {
            d.close();
            throw e;
        }
        return d;
    }
}
