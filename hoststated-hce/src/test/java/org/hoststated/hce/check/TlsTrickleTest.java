package org.hoststated.hce.check;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import javax.net.ssl.SSLContext;
import org.hoststated.core.config.DigestType;
import org.hoststated.core.config.GlobMatcher;
import org.hoststated.core.msg.HostError;
import org.hoststated.hce.TestLoop;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * TLS hosts that trickle their answer (TlsReadHold): one TLS record per byte (a JDK TLS server
 * writing a byte at a time), or whole records whose bytes reach the check one TCP segment at a
 * time (the same server behind a relay that forwards a byte per send). Real sockets on loopback.
 */
class TlsTrickleTest {
    private static final String BODY = "<html>" + "x".repeat(2000) + "</html>\n";
    private static final String INTERIM = "HTTP/1.1 100 Continue\r\n";
    private static SSLContext tls;
    private static final List<AutoCloseable> open = new ArrayList<>();
    private final TestLoop loop = new TestLoop();
    private final TlsProbe probe = new TlsProbe(loop.loop());

    @BeforeAll
    static void key(@TempDir Path dir) throws Exception {
        tls = TlsServer.context(dir);
    }

    @AfterAll
    static void closeAll() throws Exception {
        for (AutoCloseable c : open) {
            c.close();
        }
    }

    @AfterEach
    void tearDown() {
        loop.close();
    }

    /** A byte per write (and so per record), {@code pauseNanos} apart. */
    private static void trickle(OutputStream out, String s, long pauseNanos) throws IOException {
        for (byte b : s.getBytes(StandardCharsets.ISO_8859_1)) {
            out.write(b);
            out.flush();
            if (pauseNanos > 0) {
                LockSupport.parkNanos(pauseNanos);
            }
        }
    }

    /** An interim head to read past, then a 200 with {@code body}. */
    private static String http200(String body) {
        return INTERIM + "X-Filler: yyyy\r\n".repeat(100) + "\r\n"
                + "HTTP/1.1 200 OK\r\nContent-Length: " + body.length() + "\r\n\r\n" + body;
    }

    /** A TLS server that reads the request head, then trickles {@code answer} a record per byte. */
    private static int recordTrickler(String answer, long pauseNanos) throws IOException {
        return TlsServer.serve(tls, (in, out) -> {
            TestServers.readUntil(in, s -> s.contains("\r\n\r\n"));
            trickle(out, answer, pauseNanos);
            TestServers.SILENT.run(in, out);
        }, open);
    }

    /** A TLS server that reads the request head, then writes {@code answer} at once (full records). */
    private static int wholeAnswer(String answer) throws IOException {
        return TlsServer.serve(tls, (in, out) -> {
            TestServers.readUntil(in, s -> s.contains("\r\n\r\n"));
            out.write(answer.getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            TestServers.SILENT.run(in, out);
        }, open);
    }

    /**
     * A relay to {@code tlsPort} that passes the server's bytes on one per send (TCP_NODELAY,
     * {@code pauseNanos} apart): whole records in tiny segments. It closes when the server does.
     */
    private static int segmentRelay(int tlsPort, long pauseNanos) throws IOException {
        ServerSocket ss = new ServerSocket(0, 64, InetAddress.getLoopbackAddress());
        open.add(ss);
        Thread t = new Thread(() -> {
            while (!ss.isClosed()) {
                try {
                    Socket client = ss.accept();
                    client.setTcpNoDelay(true);
                    Socket server = new Socket(InetAddress.getLoopbackAddress(), tlsPort);
                    pipe(client.getInputStream(), server.getOutputStream(), 0, server);
                    pipe(server.getInputStream(), client.getOutputStream(), pauseNanos, client);
                } catch (IOException e) {
                    return;
                }
            }
        }, "segment-relay");
        t.setDaemon(true);
        t.start();
        return ss.getLocalPort();
    }

    /** Copies {@code in} to {@code out} on its own thread, a byte per write when paced; closes {@code to} at the end. */
    private static void pipe(InputStream in, OutputStream out, long pauseNanos, Socket to) {
        Thread t = new Thread(() -> {
            try (to) {
                byte[] buf = new byte[16 * 1024];
                int n;
                while ((n = in.read(buf)) > 0) {
                    if (pauseNanos == 0) {
                        out.write(buf, 0, n);
                        continue;
                    }
                    for (int i = 0; i < n; i++) {
                        out.write(buf[i]);
                        LockSupport.parkNanos(pauseNanos);
                    }
                }
            } catch (IOException e) {
                // one side closed: close the other
            }
        }, "relay-pipe");
        t.setDaemon(true);
        t.start();
    }

    private CheckResult run(Check c, int port, int timeoutMs) {
        return CheckRunner.run(loop, c, port, timeoutMs);
    }

    /** https code and digest on answers trickled both ways: the verdicts a whole answer gets. */
    @Test
    void trickledHttpsAnswersKeepTheirVerdicts() throws Exception {
        String digest = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-1")
                .digest(BODY.getBytes(StandardCharsets.ISO_8859_1)));
        int records = recordTrickler(http200(BODY), 50_000);
        int segments = segmentRelay(wholeAnswer(http200(BODY)), 50_000);
        for (int port : new int[] {records, segments}) {
            assertEquals(CheckResult.up(HostError.HTTP_CODE_OK), run(HttpCheck.code(probe, "/", null, 200), port, 10_000));
            assertEquals(CheckResult.down(HostError.HTTP_CODE_FAIL, "answered 200, expected 404"),
                    run(HttpCheck.code(probe, "/", null, 404), port, 10_000));
            assertEquals(CheckResult.up(HostError.HTTP_DIGEST_OK),
                    run(HttpCheck.digest(probe, "/", null, DigestType.SHA1, digest), port, 10_000));
            assertEquals(CheckResult.down(HostError.HTTP_DIGEST_FAIL, "body's digest " + digest
                    + ", expected 0000000000000000000000000000000000000000"), run(HttpCheck.digest(probe, "/", null,
                    DigestType.SHA1, "0000000000000000000000000000000000000000"), port, 10_000));
        }
    }

    /**
     * A host that sends a TLS record per byte, each its own wake-up: after a few small reads the
     * probe reads in batches (several records per read), not once per record.
     */
    @Test
    void aTricklingTlsHostIsReadInBatches() throws Exception {
        String banner = "x".repeat(3000) + "220 ok\r\n";
        int port = TlsServer.serve(tls, (in, out) -> {
            trickle(out, banner, 200_000);
            TestServers.SILENT.run(in, out);
        }, open);
        CompletableFuture<CheckResult> r = new CompletableFuture<>();
        CountingValidator counting = new CountingValidator(new SendExpectValidator(new GlobMatcher("*220 ok*")));
        loop.run(() -> probe.probe(new CheckTarget(1, "127.0.0.1", InetAddress.getLoopbackAddress(), port),
                System.nanoTime() + TimeUnit.SECONDS.toNanos(20), null, counting, r::complete));
        assertEquals(CheckResult.up(HostError.SEND_EXPECT_OK), r.get(30, TimeUnit.SECONDS));
        assertTrue(counting.reads() < 1000, counting.reads() + " reads for " + banner.length() + " records");
    }

    /** A trickler that closes (TLS close_notify, or a bare FIN behind the relay) is judged at once, not at the deadline. */
    @Test
    void aCloseDuringTheHoldIsSeenAtOnce() throws Exception {
        int records = TlsServer.serve(tls, (in, out) -> trickle(out, "x".repeat(500), 0), open);
        int segments = segmentRelay(records, 0);
        for (int port : new int[] {records, segments}) {
            long t0 = System.nanoTime();
            assertEquals(CheckResult.down(HostError.SEND_EXPECT_FAIL, "answered \"" + "x".repeat(64) + "\"..."),
                    run(new SendExpectCheck(probe, null, "*220 ok*"), port, 10_000));
            long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
            assertTrue(ms < 5000, "the close was judged after " + ms + " ms");
        }
    }

    /** A trickler that never finishes is judged at the timeout: a read timeout, not sooner, not much later. */
    @Test
    void anEndlessTricklerTimesOut() throws Exception {
        String endless = INTERIM + "X-Filler: yyyy\r\n".repeat(4000);
        int records = recordTrickler(endless, 1_000_000);
        int segments = segmentRelay(wholeAnswer(endless), 1_000_000);
        for (int port : new int[] {records, segments}) {
            long t0 = System.nanoTime();
            assertEquals(CheckResult.down(HostError.SSL_READ_TIMEOUT),
                    run(HttpCheck.code(probe, "/", null, 200), port, 1500));
            long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
            assertTrue(ms >= 1490 && ms < 4000, "judged after " + ms + " ms");
        }
    }
}
