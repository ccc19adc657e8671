package org.hoststated.relay.http;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A keep-alive client that pipelines a second request behind a first and reads nothing: the
 * first response is read whole by the relay with part of it still queued for the client, and
 * the second is left unanswered (a server that stalls), half sent (a head or a body the client
 * never finishes). At the session timeout the 504 or 408 would wait behind the unread bytes,
 * and no timer was left to end the session: it stayed open as long as the client kept the
 * connection (review P). Now such a client is reset at the timeout. The sizes of the first
 * response sweep past the point where the relay reads it whole while the client holds up.
 */
class UnreadPipelineTimeoutTest {
    private static final int TIMEOUT_SEC = 2;

    /** Answers /a?n=SIZE with SIZE bytes; anything after it waits unanswered. */
    private static void firstOnly(RawBackend b, InputStream in, OutputStream out) throws IOException {
        String head = RawBackend.head(in);
        if (head == null) {
            return;
        }
        int n = Integer.parseInt(head.substring(head.indexOf("n=") + 2, head.indexOf(' ', 4)));
        RawBackend.write(out, "HTTP/1.1 200 OK\r\nContent-Length: " + n + "\r\n\r\n");
        out.write(new byte[n]);
        out.flush();
        in.transferTo(OutputStream.nullOutputStream()); // the second request: never answered
    }

    @ParameterizedTest
    @ValueSource(strings = {"unanswered", "half head", "half body"})
    void aClientThatReadsNothingIsResetAtTheTimeout(String second) throws Exception {
        String behind = switch (second) {
            case "unanswered" -> "GET /b HTTP/1.1\r\nHost: a\r\n\r\n";
            case "half head" -> "GET /b HTTP/1.1\r\nHo";
            default -> "POST /b HTTP/1.1\r\nHost: a\r\nContent-Length: 100\r\n\r\n0123456789";
        };
        List<Socket> clients = new ArrayList<>();
        try (RawBackend b = new RawBackend(HttpRelayTest.BACKEND, UnreadPipelineTimeoutTest::firstOnly);
                HttpRelayFixture r = HttpRelayFixture.builder().backend(b.address()).timeout(TIMEOUT_SEC)
                        .socketBuffer(64 * 1024).start()) {
            for (int size = 16 * 1024; size <= 1024 * 1024; size += 16 * 1024) {
                Socket c = new Socket();
                clients.add(c);
                c.setReceiveBufferSize(4096);
                c.connect(r.address, 5000);
                c.getOutputStream().write(("GET /a?n=" + size + " HTTP/1.1\r\nHost: a\r\n\r\n" + behind)
                        .getBytes(StandardCharsets.ISO_8859_1));
            }
            // Cut between one and one and a quarter timeouts after the last progress; generous.
            long deadline = System.nanoTime() + (TIMEOUT_SEC * 3 + 3) * 1_000_000_000L;
            while (!r.context.sessions().isEmpty() && System.nanoTime() < deadline) {
                Thread.sleep(100);
            }
            assertTrue(r.context.sessions().isEmpty(),
                    r.context.sessions().size() + " sessions outlived the timeout by far");
        } finally {
            for (Socket c : clients) {
                c.close();
            }
        }
    }
}
