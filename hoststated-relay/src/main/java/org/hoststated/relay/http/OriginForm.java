package org.hoststated.relay.http;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.nio.charset.StandardCharsets;

/**
 * Rewrites a request whose target is in absolute-form ({@code GET http://host/path HTTP/1.1})
 * as RFC 9112 3.2.2 asks of a gateway: the target becomes origin-form (the path, {@code /} when
 * empty, and the query; {@code *} for an OPTIONS with neither, RFC 9112 3.2.4) and the Host
 * field becomes the target's authority, replacing the received one or added when there was
 * none. An origin server uses the target's authority and
 * ignores Host, so without this a request could name one host to the relay's Host rules and
 * another to the server, and a {@code path} rule would see {@code http://host/path}. The
 * result is a new head that the caller parses again, so that every rule, the hash and the
 * server see the same request. Only absolute-form requests pay for it. Stateless.
 */
final class OriginForm {
    private static final byte[] HOST = "Host: ".getBytes(StandardCharsets.US_ASCII);

    private OriginForm() {
    }

    /** The head {@code h} (parsed, absolute-form) in origin-form, in a new buffer the caller owns. */
    static ByteBuf rewrite(HttpHead h, ByteBufAllocator alloc) {
        ByteBuf src = h.buf;
        int path = h.authorityEnd;
        int authority = h.authorityEnd - h.authorityStart;
        ByteBuf b = alloc.buffer(h.end - h.start + HOST.length + 3);
        b.writeBytes(src, h.start, h.targetStart - h.start);
        if (path == h.targetEnd && h.methodOptions) {
            // OPTIONS http://host asks about the server as a whole: its origin-form is *
            // (RFC 9112 3.2.4), not / (a resource).
            b.writeByte('*');
        } else if (path == h.targetEnd || src.getByte(path) != '/') {
            b.writeByte('/');
        }
        b.writeBytes(src, path, h.targetEnd - path);
        // The version and CRLF ending the request line, then Host first, as clients send it.
        b.writeBytes(src, h.targetEnd, h.startLineEnd + 2 - h.targetEnd);
        b.writeBytes(HOST).writeBytes(src, h.authorityStart, authority).writeByte(HttpHead.CR).writeByte(HttpHead.LF);
        for (int f = 0; f < h.fields; f++) {
            if (!h.nameIs(f, HttpHead.HOST)) {
                b.writeBytes(src, h.lineStart[f], h.lineNext[f] - h.lineStart[f]);
            }
        }
        b.writeByte(HttpHead.CR).writeByte(HttpHead.LF);
        return b;
    }
}
