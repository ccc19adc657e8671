package org.hoststated.core.log;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Pattern;

import org.hoststated.core.posix.UnixDatagramSocket;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.event.Level;

class LogConfigTest {
    private static final String PID = Long.toString(ProcessHandle.current().pid());
    private final Logger log = LoggerFactory.getLogger(LogConfigTest.class);

    @AfterEach
    void backToStderr() {
        LogConfig.init("hoststated", "test", true, false);
    }

    @Test
    void slf4jUsesOurProvider() {
        assertInstanceOf(HoststatedLoggerFactory.class, LoggerFactory.getILoggerFactory());
    }

    @Test
    void syslogDatagramsAreRfc3164WithFacilityDaemon(@TempDir Path tmp) throws IOException {
        Path devLog = tmp.resolve("log");
        try (UnixDatagramSocket syslogd = UnixDatagramSocket.bind(devLog)) {
            LogConfig.init("hoststated", "hce", false, false, devLog);

            log.info("host {}, check {} ({}ms), state {} -> {}, availability {}%",
                    "www1", "tcp", 3, "unknown", "up", "100.00");
            assertDatagram(syslogd, 30, "host www1, check tcp (3ms), state unknown -> up, availability 100.00%");

            log.debug("not shown unless verbose");
            LoggerFactory.getLogger("io.netty.util.Recycler").debug("third-party debug is never shown");
            log.warn("relay {}: connect failed", "www", new IOException("Connection refused"));
            assertDatagram(syslogd, 28, "relay www: connect failed: Connection refused");

            LogConfig.setVerbose(true);
            log.debug("shown when verbose");
            LoggerFactory.getLogger("io.netty.util.Recycler").debug("third-party debug is never shown");
            log.error("fatal: {}", "bye");
            assertDatagram(syslogd, 31, "shown when verbose");
            assertDatagram(syslogd, 27, "fatal: bye");
        }
    }

    @Test
    void missingOrVanishedSyslogNeverThrows(@TempDir Path tmp) throws IOException {
        LogConfig.init("hoststated", "relay", false, true, tmp.resolve("absent"));
        log.error("goes nowhere");
        Path devLog = tmp.resolve("log");
        UnixDatagramSocket syslogd = UnixDatagramSocket.bind(devLog);
        LogConfig.init("hoststated", "relay", false, true, devLog);
        syslogd.close();
        log.error("receiver gone");
        log.error("still no exception");
        LogConfig.flush();
    }

    /**
     * A syslog daemon that restarts makes a new socket, and the old connection refuses every
     * send: the sink connects to the path again at once, and the message goes there. Every
     * message was lost until hoststated itself restarted (probe H).
     */
    @Test
    void aRestartedSyslogDaemonGetsTheMessagesAgain(@TempDir Path tmp) throws IOException {
        Path devLog = tmp.resolve("log");
        UnixDatagramSocket first = UnixDatagramSocket.bind(devLog);
        LogConfig.init("hoststated", "parent", false, false, devLog);
        log.info("before");
        assertDatagram(first, 30, "before");
        first.close();
        Files.delete(devLog);
        try (UnixDatagramSocket second = UnixDatagramSocket.bind(devLog)) {
            log.info("the first after the restart");
            log.info("after");
            assertDatagram(second, 30, "the first after the restart");
            assertDatagram(second, 30, "after");
        }
    }

    /**
     * An engine in its chroot cannot reach /dev/log again: the sink asks through the hook,
     * holds what it logs meanwhile, and sends it, in order, on the socket its parent passes.
     * Beyond what it holds, it counts what it lost.
     */
    @Test
    void aChrootedProcessAsksForASocketAndHoldsItsMessagesUntilThen(@TempDir Path tmp) throws IOException {
        Path devLog = tmp.resolve("log");
        UnixDatagramSocket first = UnixDatagramSocket.bind(devLog);
        LogConfig.init("hoststated", "relay", false, false, devLog);
        AtomicInteger asked = new AtomicInteger();
        LogConfig.onSyslogLost(asked::incrementAndGet);
        first.close();
        Files.delete(devLog); // as seen from a chroot: no path to connect to
        for (int i = 0; i < SyslogSink.MAX_HELD + 2; i++) {
            log.info("held " + i);
        }
        assertEquals(1, asked.get(), "asked at most every " + SyslogSink.RETRY_SECONDS + " s");
        Path elsewhere = tmp.resolve("log2");
        try (UnixDatagramSocket second = UnixDatagramSocket.bind(elsewhere)) {
            LogConfig.adoptSyslog(UnixDatagramSocket.connect(elsewhere).fd());
            // The kernel queues 10 datagrams per socket by default (net.unix.max_dgram_qlen):
            // the rest stay held until the next message.
            assertDatagram(second, 28, "syslog: 2 messages lost");
            for (int i = 2; i < 11; i++) {
                assertDatagram(second, 30, "held " + i);
            }
        }
    }

    /**
     * A syslog daemon that is behind (its queue full: 10 datagrams by default) gets what the
     * sink held meanwhile at the next message, or at the flush before an exit, in order.
     */
    @Test
    void aBurstBeyondTheQueueIsHeldAndFlushed(@TempDir Path tmp) throws IOException {
        int burst = 40;
        try (UnixDatagramSocket syslogd = syslogAfterBurst(tmp, "line", burst)) {
            // Each read leaves room for one more, which the flush sends: the queue is never
            // empty while something is held, so no read waits.
            for (int i = 0; i < burst; i++) {
                LogConfig.flush();
                assertDatagram(syslogd, 30, "line " + i);
            }
        }
    }

    /**
     * Without a next message or a flush, what is held goes out by the timer: the last lines
     * before a quiet spell reach syslog within seconds, in order.
     */
    @Test
    void whatIsHeldGoesOutWithoutANextMessage(@TempDir Path tmp) throws IOException {
        int burst = 25; // more than the kernel queues: the timer has to come back
        try (UnixDatagramSocket syslogd = syslogAfterBurst(tmp, "quiet", burst)) {
            assertTimeoutPreemptively(Duration.ofSeconds(30), () -> {
                for (int i = 0; i < burst; i++) {
                    assertDatagram(syslogd, 30, "quiet " + i);
                }
            });
        }
    }

    /** A syslog socket in {@code tmp}, the parent's log sent to it, and {@code burst} lines "text i" logged. */
    private UnixDatagramSocket syslogAfterBurst(Path tmp, String text, int burst) throws IOException {
        Path devLog = tmp.resolve("log");
        UnixDatagramSocket syslogd = UnixDatagramSocket.bind(devLog);
        LogConfig.init("hoststated", "parent", false, false, devLog);
        for (int i = 0; i < burst; i++) {
            log.info(text + " " + i);
        }
        return syslogd;
    }

    @Test
    void stderrLinesStartWithTheProcessName() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        StderrSink sink = new StderrSink("pfe", out);
        sink.write(Level.INFO, "table web: 2 hosts up", null);
        sink.write(Level.WARN, "sync failed: boom", new IOException("boom"));
        assertEquals("pfe: table web: 2 hosts up\npfe: sync failed: boom\n", out.toString(StandardCharsets.UTF_8));

        LogConfig.setVerbose(true);
        out.reset();
        sink.write(Level.WARN, "sync failed: boom", new IOException("boom"));
        String text = out.toString(StandardCharsets.UTF_8);
        assertTrue(text.startsWith("pfe: sync failed: boom\njava.io.IOException: boom\n\tat "), text);
        LogConfig.setVerbose(false);
    }

    /**
     * Towards the journal (or the parent, for an engine) each line starts with its syslog
     * priority, which journald reads as the line's (probe AY: every line was "info").
     */
    @Test
    void aSinkForTheJournalPrefixesEachLinesPriority() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        StderrSink sink = StderrSink.queued("relay", out, true);
        sink.write(Level.ERROR, "e", null);
        sink.write(Level.WARN, "w", null);
        sink.write(Level.INFO, "i", null);
        sink.write(Level.DEBUG, "d", null);
        sink.writeAs("hce", Level.WARN, "x");
        sink.flush();
        assertEquals("<3>relay: e\n<4>relay: w\n<6>relay: i\n<7>relay: d\n<4>hce: x\n", out.toString(StandardCharsets.UTF_8));
        assertFalse(JournalStream.isStderr(null));
        assertFalse(JournalStream.isStderr("0:0"));
    }

    /** An engine's output line the parent copies: under the engine's name, never the parent's. */
    @Test
    void anotherProcesssLineGoesUnderItsName(@TempDir Path tmp) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        new StderrSink("parent", out).writeAs("hce", Level.WARN, "OpenJDK 64-Bit Server VM warning: x");
        assertEquals("hce: OpenJDK 64-Bit Server VM warning: x\n", out.toString(StandardCharsets.UTF_8));

        Path devLog = tmp.resolve("log");
        try (UnixDatagramSocket syslogd = UnixDatagramSocket.bind(devLog)) {
            LogConfig.init("hoststated", "parent", false, false, devLog);
            LogConfig.writeAs("relay", "Exception in thread \"main\"");
            assertDatagram(syslogd, 28, "relay: Exception in thread \"main\"");
        }
    }

    /**
     * A daemon's stderr whose reader stalls (a full pipe) never blocks a thread that logs: the
     * lines wait in the writer's queue, those beyond it are counted, and once the reader is
     * back everything queued arrives in order, with a line that says how many were lost.
     */
    @Test
    void aStalledStderrReaderBlocksNoLogger() throws Exception {
        java.util.concurrent.CountDownLatch reader = new java.util.concurrent.CountDownLatch(1);
        ByteArrayOutputStream got = new ByteArrayOutputStream();
        java.io.OutputStream stalling = new java.io.OutputStream() {
            @Override
            public void write(int b) {
                write(new byte[] {(byte) b}, 0, 1);
            }

            @Override
            public void write(byte[] b, int off, int len) {
                try {
                    reader.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                synchronized (got) {
                    got.write(b, off, len);
                }
            }
        };
        StderrSink sink = StderrSink.queued("relay", stalling);
        String filler = "x".repeat(1000);
        int lines = 2 * StderrSink.MAX_QUEUED_BYTES / 1000;
        assertTimeoutPreemptively(Duration.ofSeconds(10), () -> {
            for (int i = 0; i < lines; i++) {
                sink.write(Level.INFO, "line " + i + " " + filler, null);
            }
        });
        reader.countDown();
        sink.flush();
        sink.write(Level.INFO, "after", null);
        sink.flush();
        String[] out;
        synchronized (got) {
            out = got.toString(StandardCharsets.UTF_8).split("\n");
        }
        int last = -1;
        int written = 0;
        int counted = 0;
        for (String l : out) {
            if (l.startsWith("relay: line ")) {
                int n = Integer.parseInt(l.substring(12, l.indexOf(' ', 12)));
                assertTrue(n > last, "out of order: " + n + " after " + last);
                last = n;
                written++;
            } else if (l.matches("relay: stderr: \\d+ messages lost")) {
                // Usually one, at the end; a second comes earlier when the writer thread took its
                // first line only once the queue was full, and the line after it fitted again.
                counted += Integer.parseInt(l.split(" ")[2]);
            }
        }
        assertTrue(written > 1000 && written < lines, "lines written: " + written);
        assertTrue(out[out.length - 2].matches("relay: stderr: \\d+ messages lost"), out[out.length - 2]);
        assertEquals(lines, written + counted, "every line written or counted");
        assertEquals("relay: after", out[out.length - 1]);
        sink.close();
    }

    private static void assertDatagram(UnixDatagramSocket syslogd, int pri, String message) throws IOException {
        byte[] buf = new byte[9000];
        int n = syslogd.receive(buf);
        String text = new String(buf, 0, n, StandardCharsets.UTF_8);
        Pattern p = Pattern.compile("<" + pri + ">[A-Z][a-z]{2} [ 0-9]\\d \\d\\d:\\d\\d:\\d\\d hoststated\\["
                + PID + "\\]: " + Pattern.quote(message));
        assertTrue(p.matcher(text).matches(), text);
    }
}
