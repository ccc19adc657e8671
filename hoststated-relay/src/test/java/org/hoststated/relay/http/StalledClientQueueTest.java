package org.hoststated.relay.http;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.channel.Channel;
import io.netty.channel.ChannelOutboundBuffer;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/**
 * What the relay queues for a client that reads nothing of a body of tiny chunks whose framing
 * it changes, against the same body passed on as it came: about as little. Each piece of a
 * read was a buffer of its own (Netty counts 96 bytes besides each): a bare-LF line's CR
 * (review CI: 110,592 buffers, 10.8 MB counted pending for 1 MiB), a padded size's cut or a
 * chunk dechunked for an HTTP/1.0 client (review CM: up to 37,000 buffers for one read).
 */
class StalledClientQueueTest {
    @Test
    void bareLfChunkLines() throws Exception {
        assertAboutAsLittle("bare-LF chunk lines", queued("HTTP/1.1", "1\na\n"), queued("HTTP/1.1", "1\r\na\r\n"));
    }

    @Test
    void paddedChunkSizes() throws Exception {
        assertAboutAsLittle("padded chunk sizes", queued("HTTP/1.1", "1 \r\na\r\n"), queued("HTTP/1.1", "1\r\na\r\n"));
    }

    @Test
    void chunksDechunkedForAnHttp10Client() throws Exception {
        assertAboutAsLittle("dechunked for HTTP/1.0", queued("HTTP/1.0", "1\r\na\r\n"), queued("HTTP/1.1", "1\r\na\r\n"));
    }

    private static void assertAboutAsLittle(String what, long[] got, long[] plain) {
        assertTrue(got[0] <= 64 * Math.max(1, plain[0]) && got[1] <= 4 * Math.max(64 * 1024, plain[1]),
                what + ": " + got[0] + " buffers and " + got[1] + " bytes pending for the client, against " + plain[0]
                        + " buffers and " + plain[1] + " bytes for the body passed on as it came");
    }

    /** Buffers and bytes queued for a client that reads nothing of 256 Ki chunks, once the relay stopped reading. */
    private static long[] queued(String version, String chunk) throws Exception {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        body.writeBytes(chunk.repeat(1 << 18).getBytes(StandardCharsets.US_ASCII));
        body.writeBytes("0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        byte[] chunks = body.toByteArray();
        try (RawBackend b = new RawBackend(HttpRelayTest.BACKEND, (be, in, out) -> {
                    if (RawBackend.head(in) != null) {
                        out.write("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                        out.write(chunks);
                        out.flush();
                        in.read();
                    }
                });
                HttpRelayFixture r = HttpRelayFixture.builder().backend(b.address()).socketBuffer(16 * 1024).start();
                RawClient c = r.client()) {
            c.socket.setReceiveBufferSize(4096);
            c.send("GET /tiny " + version + "\r\nHost: a\r\n\r\n");
            Thread.sleep(500);
            Channel session = r.context.sessions().iterator().next();
            long deadline = System.nanoTime() + 15_000_000_000L;
            while (session.isWritable() && System.nanoTime() < deadline) {
                Thread.sleep(100);
            }
            Thread.sleep(1000);
            return session.eventLoop().submit(() -> {
                ChannelOutboundBuffer q = session.unsafe().outboundBuffer();
                return new long[] {q.size(), q.totalPendingWriteBytes()};
            }).get();
        }
    }
}
