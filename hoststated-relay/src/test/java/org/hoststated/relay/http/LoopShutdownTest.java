package org.hoststated.relay.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.hoststated.relay.LeakWatch;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The worker loops stop (the engine's shutdown, an old group after a reload) while a server
 * connection waits for its delayed reset with bytes queued: a websocket tunnel whose client
 * reset in the middle of an upload to a server that reads nothing. The loops close it as they
 * stop. Netty's loop skipped that close when the shutdown came while it ran its tasks (about
 * one stop in two here): the connection stayed open until the process ended, and the request
 * body slices queued on it were never released (two LEAK records per slice, the slice and the
 * read buffer it shares). An io_uring loop that did close it left its descriptor open all the
 * same in 3 stops of 80: the descriptor's close, submitted behind Netty's draining
 * no-op, never ran before the ring was gone ({@link org.hoststated.core.proc.ShutdownCloses}).
 */
class LoopShutdownTest {
    private static final int ROUNDS = 8;

    @ParameterizedTest
    @ValueSource(strings = {"epoll", "io_uring"})
    void aServerConnectionWaitingForItsResetIsClosedWhenTheLoopsStop(String how) throws Exception {
        try (LeakWatch leaks = new LeakWatch()) {
            int open = 0;
            for (int round = 0; round < ROUNDS; round++) {
                open += round(how).equals("open") ? 1 : 0;
            }
            leaks.assertNone();
            assertEquals(0, open, "server connections that outlived the relay, of " + ROUNDS);
        }
    }

    /** One tunnel; what the server's connection did once the relay stopped, or "open". */
    private static String round(String how) throws Exception {
        CountDownLatch relayStopped = new CountDownLatch(1);
        CompletableFuture<String> ended = new CompletableFuture<>();
        RawBackend.Script script = (b, in, out) -> {
            RawBackend.head(in);
            RawBackend.write(out,
                    "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n");
            b.seen.add("tunnel");
            try {
                relayStopped.await();
                in.transferTo(java.io.OutputStream.nullOutputStream());
            } catch (IOException e) {
                // a reset ends it as well
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            ended.complete("ended");
        };
        try (RawBackend b = new RawBackend(HttpRelayTest.BACKEND, script)) {
            try (HttpRelayFixture r = HttpRelayFixture.builder().transport(HttpPeerTest.transport(how))
                    .backend(b.address()).start();
                    SocketChannel c = SocketChannel.open(r.address)) {
                c.write(ByteBuffer.wrap(
                        "GET /ws HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n"
                                .getBytes(StandardCharsets.US_ASCII)));
                assertEquals("tunnel", b.seen.poll(10, TimeUnit.SECONDS));
                InputStream in = c.socket().getInputStream();
                assertNotNull(RawBackend.head(in));
                // Upload until every buffer on the way is full: the relay holds the rest queued.
                c.configureBlocking(false);
                ByteBuffer chunk = ByteBuffer.allocate(64 * 1024);
                long idleSince = System.nanoTime();
                while (System.nanoTime() - idleSince < 300_000_000L) {
                    chunk.clear();
                    if (c.write(chunk) > 0) {
                        idleSince = System.nanoTime();
                    } else {
                        Thread.sleep(10);
                    }
                }
                c.setOption(java.net.StandardSocketOptions.SO_LINGER, 0);
                c.close();
                long end = System.nanoTime() + 5_000_000_000L;
                while (r.active() > 0 && System.nanoTime() < end) {
                    Thread.sleep(10);
                }
                assertEquals(0, r.active());
                // The server's connection waits for its reset (at most 5 s) as the relay stops.
            } finally {
                relayStopped.countDown();
            }
            try {
                return ended.get(3, TimeUnit.SECONDS);
            } catch (java.util.concurrent.TimeoutException e) {
                return "open";
            }
        }
    }
}
