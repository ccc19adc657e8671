package org.hoststated.relay.http;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;

/**
 * What a client that opened with HTTP/2's connection preface ({@code PRI * HTTP/2.0}, HTTP/2
 * "with prior knowledge") is answered: HTTP/2's own refusal, not an HTTP/1.1 page it cannot
 * read. The relay speaks HTTP/1 only. curl said "Empty reply from server" of the 505 page
 * (probe S); told {@code HTTP_1_1_REQUIRED} (RFC 9113 section 7), a client knows why, and
 * some retry over HTTP/1.1.
 */
final class Http2Refusal {
    /** The server's connection preface: a SETTINGS frame without settings (RFC 9113 3.4). */
    private static final byte[] SETTINGS = {0, 0, 0, 0x4, 0, 0, 0, 0, 0};
    /** GOAWAY (type 7) on stream 0, no stream processed, error HTTP_1_1_REQUIRED (0xd). */
    private static final byte[] GOAWAY = {0, 0, 8, 0x7, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xd};

    /** The reason the close line gives after the refusal's own. */
    static final String ANSWER = "HTTP/2 GOAWAY HTTP_1_1_REQUIRED";

    private Http2Refusal() {
    }

    static ByteBuf frames(ByteBufAllocator alloc) {
        ByteBuf b = alloc.buffer(SETTINGS.length + GOAWAY.length);
        return b.writeBytes(SETTINGS).writeBytes(GOAWAY);
    }
}
