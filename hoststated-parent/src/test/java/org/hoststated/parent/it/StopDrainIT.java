package org.hoststated.parent.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The orderly stop of the whole daemon as root (SIGTERM): the relays take no new connection,
 * an HTTP request under way gets its whole response (with {@code Connection: close}), an idle
 * keep-alive client is let go, and the daemon exits as soon as the last session has ended;
 * sessions that do not end are cut after the grace, or at once by a second SIGTERM.
 */
class StopDrainIT {
    @TempDir
    Path dir;
    Daemon daemon;
    HttpServer web;
    RelayEchoBackend echo;
    InetSocketAddress httpRelay;
    InetSocketAddress tcpRelay;

    @BeforeEach
    void start() throws Exception {
        Assumptions.assumeTrue("root".equals(System.getProperty("user.name")), "needs root: skipped");
        web = HttpServer.create(new InetSocketAddress(InetAddress.getByName("127.23.9.11"), 0), 32);
        web.createContext("/", ex -> {
            if (ex.getRequestURI().getPath().equals("/slow")) {
                try {
                    Thread.sleep(1500);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            byte[] body = ("done " + ex.getRequestURI().getPath() + "\n").getBytes(StandardCharsets.US_ASCII);
            ex.sendResponseHeaders(200, body.length);
            ex.getResponseBody().write(body);
            ex.close();
        });
        web.setExecutor(java.util.concurrent.Executors.newCachedThreadPool());
        web.start();
        echo = new RelayEchoBackend("echo", "127.23.9.12");
        httpRelay = new InetSocketAddress(InetAddress.getByName("127.23.9.1"), HttpRelayIT.freePort("127.23.9.1"));
        tcpRelay = new InetSocketAddress(InetAddress.getByName("127.23.9.2"), HttpRelayIT.freePort("127.23.9.2"));
        daemon = new Daemon(dir);
        daemon.writeConfig(daemon.globals() + "interval 1\nlog all\n"
                + "table web {\n  real port " + web.getAddress().getPort() + "\n  check tcp\n  host 127.23.9.11\n}\n"
                + "protocol web {\n  protocol http\n}\n"
                + "relay www {\n  listen on 127.23.9.1 port " + httpRelay.getPort() + "\n  protocol web\n"
                + "  table web\n}\n"
                + "relay echo {\n  listen on 127.23.9.2 port " + tcpRelay.getPort() + "\n"
                + "  forward to 127.23.9.12 port " + echo.port() + "\n}\n");
        daemon.start();
        daemon.awaitLogged("the web host up", Duration.ofSeconds(20), () -> daemon.hostLine("127.23.9.11").endsWith("up"));
    }

    @AfterEach
    void stop() throws Exception {
        if (daemon != null) {
            daemon.close();
        }
        if (web != null) {
            web.stop(0);
        }
        if (echo != null) {
            echo.close();
        }
    }

    @Test
    void aStopAnswersTheRequestUnderWayRefusesNewClientsAndEndsOnceItIsDone() throws Exception {
        try (Socket idle = new Socket(); Socket waiting = new Socket()) {
            idle.connect(httpRelay, 2000);
            idle.setSoTimeout(10_000);
            send(idle, "/");
            assertTrue(response(idle.getInputStream()).endsWith("done /\n"));
            waiting.connect(httpRelay, 2000);
            waiting.setSoTimeout(10_000);
            send(waiting, "/slow");
            Thread.sleep(300);
            long stopped = System.nanoTime();
            daemon.signal("TERM");
            daemon.awaitLogged("new connections refused", Duration.ofSeconds(5), () -> {
                try (Socket s = new Socket()) {
                    s.connect(httpRelay, 1000);
                    return false;
                } catch (ConnectException e) {
                    return true;
                }
            });
            assertTrue(daemon.process().isAlive(), "the daemon waits for the request under way");
            String answer = response(waiting.getInputStream());
            assertTrue(answer.startsWith("HTTP/1.1 200 "), answer);
            assertTrue(answer.toLowerCase().contains("\r\nconnection: close\r\n"), answer);
            assertTrue(answer.endsWith("done /slow\n"), answer);
            assertEquals(-1, waiting.getInputStream().read(), "the session ends after its response");
            assertEquals(-1, idle.getInputStream().read(), "an idle keep-alive client is let go");
            // As clients do at the relay's FIN: the relay lingers 2 s for one that does not.
            waiting.close();
            idle.close();
            assertTrue(daemon.process().waitFor(5, TimeUnit.SECONDS), "the daemon exits once the sessions ended:\n"
                    + daemon.logText());
            assertEquals(0, daemon.process().exitValue());
            long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - stopped);
            assertTrue(ms < 8000, "took " + ms + " ms, the grace is 10 s:\n" + daemon.logText());
            String log = daemon.logText();
            assertTrue(log.contains("open relay sessions finish for up to 10 s"), log);
            assertTrue(log.contains("stopping: every session has ended"), log);
            assertFalse(log.contains("still open after"), log);
            // The idle keep-alive session's close line: a stop, not a reload (probe N).
            assertTrue(log.contains(", done (daemon stopping)"), log);
            assertFalse(log.contains("relay reloaded"), log);
        }
    }

    @Test
    void aSessionThatRunsOnIsServedUntilTheGraceEndsAndThenCut() throws Exception {
        try (Socket s = echoSession()) {
            long stopped = System.nanoTime();
            daemon.signal("TERM");
            Thread.sleep(2000);
            assertTrue(daemon.process().isAlive());
            assertEquals("still here", roundTrip(s, "still here"), "the session is served while the daemon stops");
            assertTrue(daemon.process().waitFor(20, TimeUnit.SECONDS), "the daemon did not stop");
            long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - stopped);
            assertTrue(ms >= 9500 && ms < 17_000, "stopped after " + ms + " ms");
            String log = daemon.logText();
            assertTrue(log.contains("relay sessions still open after 10 s are ended"), log);
            assertThrows(IOException.class, () -> {
                if (s.getInputStream().read() == -1) {
                    throw new IOException("closed");
                }
            });
        }
    }

    @Test
    void aSecondStopEndsTheOpenSessionsAtOnce() throws Exception {
        try (Socket s = echoSession()) {
            daemon.signal("TERM");
            daemon.awaitLogged("the drain", Duration.ofSeconds(5), () -> daemon.logText().contains("to finish"));
            long again = System.nanoTime();
            daemon.signal("TERM");
            assertTrue(daemon.process().waitFor(8, TimeUnit.SECONDS), "the daemon did not stop");
            assertTrue(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - again) < 6000);
            assertEquals(0, daemon.process().exitValue());
            assertTrue(daemon.logText().contains("stop requested again: ending the open relay sessions now"),
                    daemon.logText());
        }
    }

    /**
     * A relay engine killed during the drain: its sessions are reset, and the log says so, where
     * it said nothing about the engine from the drain's line on (probe F of session 56).
     */
    @Test
    void aRelayEngineKilledDuringTheDrainIsLogged() throws Exception {
        try (Socket s = echoSession()) {
            daemon.signal("TERM");
            daemon.awaitLogged("the drain", Duration.ofSeconds(5), () -> daemon.logText().contains("to finish"));
            long relay = daemon.child("hoststated: relay engine").orElseThrow();
            new ProcessBuilder("kill", "-KILL", Long.toString(relay)).start().waitFor();
            assertTrue(daemon.process().waitFor(10, TimeUnit.SECONDS), "the daemon did not stop");
            assertTrue(daemon.logText().contains("lost child: hoststated: relay engine during the stop's drain"),
                    daemon.logText());
            assertThrows(IOException.class, () -> roundTrip(s, "cut"));
        }
    }

    private Socket echoSession() throws IOException {
        Socket s = new Socket();
        s.connect(tcpRelay, 2000);
        s.setSoTimeout(10_000);
        assertEquals("echo", line(s.getInputStream()));
        assertEquals("hello", roundTrip(s, "hello"));
        return s;
    }

    private static String roundTrip(Socket s, String text) throws IOException {
        s.getOutputStream().write((text + "\n").getBytes(StandardCharsets.US_ASCII));
        return line(s.getInputStream());
    }

    private static String line(InputStream in) throws IOException {
        StringBuilder b = new StringBuilder();
        for (int c = in.read(); c != '\n'; c = in.read()) {
            if (c < 0) {
                throw new IOException("closed after \"" + b + "\"");
            }
            b.append((char) c);
        }
        return b.toString();
    }

    private static void send(Socket s, String path) throws IOException {
        s.getOutputStream().write(("GET " + path + " HTTP/1.1\r\nHost: test\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
    }

    /** One response with a Content-Length body, read whole (head and body). */
    private static String response(InputStream in) throws IOException {
        StringBuilder head = new StringBuilder();
        while (!head.toString().endsWith("\r\n\r\n")) {
            int c = in.read();
            if (c < 0) {
                throw new IOException("closed in the head: " + head);
            }
            head.append((char) c);
        }
        int length = 0;
        for (String field : head.toString().split("\r\n")) {
            if (field.toLowerCase().startsWith("content-length:")) {
                length = Integer.parseInt(field.substring(15).trim());
            }
        }
        return head + new String(in.readNBytes(length), StandardCharsets.US_ASCII);
    }
}
