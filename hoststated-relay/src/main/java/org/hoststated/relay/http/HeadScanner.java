package org.hoststated.relay.http;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;

/**
 * Finds where a message head ends in bytes that may arrive in pieces, without copying: each
 * call searches only the bytes that arrived since the last one. Every line of a request must
 * end with CRLF: a bare LF or CR (line endings some servers accept and others do not) is
 * refused. A response's lines may end in a bare LF, as HAProxy and nginx take them (RFC 9112
 * 2.2 allows it; legacy and hand-written servers send them); its head is then passed on
 * {@link #withCrlf rewritten} with CRLF, so the client reads the lines the relay read. A bare CR
 * is refused in both. A request head that cannot become one is refused as soon as that shows,
 * not at the head timeout: a method with a byte no token has (a TLS client on a plain port), a
 * request line without an HTTP version; so is a response that does not begin with
 * {@code HTTP/} (a host answering in another protocol, a server on the wrong port, that keeps
 * its connection open). One per session and direction, on the session's worker loop.
 */
final class HeadScanner {
    private final int bad;
    private final boolean request;
    /** How far after the head's start the last call searched. */
    private int searched;
    /** The start line ended (its LF was seen). */
    private boolean startLineDone;
    /** The start line's length, its line end included, once it ended. */
    private int startLineLength;
    /** The request's method ended (its SP was seen). */
    private boolean methodDone;
    /** A line of this (response) head ends in a bare LF. */
    private boolean bareLf;

    /** @param bad the status for a malformed head: 400 for requests, 502 for responses */
    HeadScanner(int bad) {
        this.bad = bad;
        this.request = bad == 400;
    }

    /** Starts looking for a new head. */
    void reset() {
        searched = 0;
        startLineDone = false;
        methodDone = false;
        bareLf = false;
    }

    /**
     * Whether the start line of the head being searched ended (its LF was seen) within its
     * first {@code max} bytes: if not, that line alone is too long.
     */
    boolean startLineWithin(int max) {
        return startLineDone && startLineLength <= max;
    }

    /** Whether a line of the head found last ends in a bare LF (only a response's may). */
    boolean bareLf() {
        return bareLf;
    }

    /** Whether no byte of the next head has been searched yet. */
    boolean fresh() {
        return searched == 0;
    }

    /**
     * The index just after the blank line that ends the head starting at b's reader index, or
     * -1 when more bytes are needed.
     */
    int find(ByteBuf b) throws HttpException {
        int start = b.readerIndex();
        int to = b.writerIndex();
        int i = start + searched;
        int from = i;
        if (request && !methodDone) {
            method(b, start, i, to);
        } else if (!request && searched < STATUS_PREFIX.length) {
            statusPrefix(b, start, i, to);
        }
        while (true) {
            int lf = b.indexOf(i, to, HttpHead.LF);
            if (lf < 0) {
                // Only a head that is still incomplete is searched for a bare CR: in a complete
                // one the parser refuses it (no token or field value takes a CR), and a head
                // whose lines end in bare CRs would otherwise wait for the head timeout. From
                // the byte before: a CR that ended the last call's bytes is judged now.
                noBareCr(b, Math.max(start, from - 1), to);
                searched = to - start;
                return -1;
            }
            boolean crlf = lf > start && b.getByte(lf - 1) == HttpHead.CR;
            if (!crlf && request) {
                throw new HttpException(bad, "bare LF in head");
            }
            bareLf |= !crlf;
            int lineEnd = crlf ? lf - 1 : lf;
            if (lineEnd == start) {
                throw new HttpException(bad, "empty start line");
            }
            if (!startLineDone) {
                if (request) {
                    versioned(b, start, lineEnd);
                }
                startLineLength = lf + 1 - start;
            }
            startLineDone = true;
            if (lineEnd - 1 > start && b.getByte(lineEnd - 1) == HttpHead.LF) {
                return lf + 1;
            }
            i = lf + 1;
        }
    }

    private void noBareCr(ByteBuf b, int from, int to) throws HttpException {
        for (int cr = b.indexOf(from, to, HttpHead.CR); cr >= 0 && cr + 1 < to;
                cr = b.indexOf(cr + 1, to, HttpHead.CR)) {
            if (b.getByte(cr + 1) != HttpHead.LF) {
                throw new HttpException(bad, "bare CR in head");
            }
        }
    }

    /** The method, up to its SP, takes only token bytes. */
    private void method(ByteBuf b, int start, int from, int to) throws HttpException {
        for (int i = from; i < to; i++) {
            int c = b.getByte(i) & 0xff;
            if (c == ' ' && i > start) {
                methodDone = true;
                return;
            }
            if (c == '\r' && i == start) {
                return;   // the CR of an empty line before the request, split from its LF
            }
            if (c == TLS_HANDSHAKE && i == start) {
                // An https:// client sent to a plain port: said so, as the reverse case is
                // ("plain HTTP request sent to a TLS port"). It read "malformed request line".
                throw new HttpException(400, "TLS handshake sent to a plain HTTP port");
            }
            if (!HttpHead.TCHAR[c]) {
                throw new HttpException(400, "malformed request line");
            }
        }
    }

    /** The first byte of a TLS handshake record (a ClientHello), never one of an HTTP method. */
    private static final int TLS_HANDSHAKE = 0x16;

    private static final byte[] STATUS_PREFIX = {'H', 'T', 'T', 'P', '/'};

    /** A status line begins with "HTTP/": its first bytes, from {@code from}, are judged as they come. */
    private static void statusPrefix(ByteBuf b, int start, int from, int to) throws HttpException {
        for (int i = from; i < to && i - start < STATUS_PREFIX.length; i++) {
            if (b.getByte(i) != STATUS_PREFIX[i - start]) {
                throw new HttpException(502, "not an HTTP response");
            }
        }
    }

    /** The request line {@code [start, end)} ends in " HTTP/": HTTP/0.9 and garbage are refused. */
    private static void versioned(ByteBuf b, int start, int end) throws HttpException {
        int v = end - 8;
        if (v - 1 <= start || b.getByte(v - 1) != ' ' || b.getByte(v) != 'H' || b.getByte(v + 1) != 'T'
                || b.getByte(v + 2) != 'T' || b.getByte(v + 3) != 'P' || b.getByte(v + 4) != '/') {
            throw new HttpException(400, "malformed request line");
        }
    }

    /**
     * A copy of the head [from, to) of b with a CR put before each bare LF, for a response head
     * whose {@link #bareLf} lines the parser and the client are to read as CRLF lines.
     */
    static ByteBuf withCrlf(ByteBuf b, int from, int to, ByteBufAllocator alloc) {
        ByteBuf out = alloc.buffer(to - from + 64);
        int pos = from;
        for (int lf = b.indexOf(from, to, HttpHead.LF); lf >= 0; lf = b.indexOf(lf + 1, to, HttpHead.LF)) {
            boolean crlf = lf > from && b.getByte(lf - 1) == HttpHead.CR;
            out.writeBytes(b, pos, crlf ? lf + 1 - pos : lf - pos);
            if (!crlf) {
                out.writeByte(HttpHead.CR).writeByte(HttpHead.LF);
            }
            pos = lf + 1;
        }
        return out;
    }

    /** Skips the empty lines a client may send before a request line (RFC 9112 2.2). */
    static void skipLeadingEmptyLines(ByteBuf b) {
        while (b.readableBytes() >= 2 && b.getByte(b.readerIndex()) == HttpHead.CR
                && b.getByte(b.readerIndex() + 1) == HttpHead.LF) {
            b.skipBytes(2);
        }
    }
}
