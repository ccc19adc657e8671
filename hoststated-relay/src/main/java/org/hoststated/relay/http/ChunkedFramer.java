package org.hoststated.relay.http;

import io.netty.buffer.ByteBuf;
import java.util.Set;

/**
 * Delimits a chunked body (RFC 9112 7.1) byte by byte where it must and in bulk over chunk
 * data, checking it strictly on the way: hexadecimal sizes without sign or overflow (leading
 * zeros allowed, within the bound on the size line), white space after a size only before the
 * {@code ;} of an extension (RFC 9112 7.1.1's BWS; in responses also before the CRLF), CRLF
 * after each size line and each chunk's data, chunk extensions and trailer fields without
 * control characters (a request's extensions to RFC 9112 7.1.1's grammar, quoted strings
 * closed and without escapes), trailer field names as tokens (no obs-fold). The bytes pass through
 * unchanged (to an HTTP/1.0 client, the chunks' data alone; a response's padding aside), so what a lenient parser would
 * tolerate is refused rather than passed on to a server that may read it otherwise. A
 * response's lines may end in a bare LF (RFC 9112 2.2 lets a recipient take it; HAProxy and
 * nginx do): the scan stops before such an LF, {@link #crOwed} says so, and the caller puts a
 * CR before it, so the client reads the CRLF lines the relay framed (as a head's bare LF lines
 * are passed on, {@link HeadScanner#withCrlf}). A response's padding after a chunk size is
 * dropped, as a run of its own ({@link #dropped}): HAProxy and nginx send sizes unpadded, and
 * strict clients (Node.js's llhttp) refuse {@code "5 \r\n"}, which curl and browsers take.
 *
 * <p>Trailer fields that must not be in trailers ({@link TrailerFields}), and those the
 * message's Connection options name, are removed: the scan returns runs of bytes that are
 * either all passed on or all dropped ({@link #dropped}), a dropped run being one such field's
 * line (or, across reads, its part in this read). Whether a
 * field goes is known at the end of its name, so the scan stops before a field whose name has
 * not fully arrived (returning 0 when that is all that is left): the caller keeps those bytes
 * and scans them again with the next read. They are at most the trailer section's bound, which
 * the look-ahead counts. One per session and direction, on the session's worker loop.
 */
final class ChunkedFramer extends BodyFramer {
    private enum State { SIZE, SIZE_BWS, EXT, SIZE_LF, DATA, DATA_CR, DATA_LF, TRAILER_START, TRAILER_NAME, TRAILER_VALUE,
        TRAILER_LF, LAST_LF, DONE }

    /** Where in a request's chunk extensions the scan is (RFC 9112 7.1.1), after a {@code ;}. */
    private enum Ext { NAME_START, NAME, AFTER_NAME, VALUE_START, TOKEN, QUOTED, AFTER_VALUE }

    private static final int MAX_SIZE_LINE = 4096;
    /**
     * Sizes stay under 2^52, as HAProxy's: a server that keeps numbers as doubles (JavaScript)
     * reads every such size exactly (review CI: sizes up to 2^60 went on).
     */
    private static final long MAX_SIZE = 1L << 52;
    private final int bad;
    private final int maxTrailer;
    private final int maxTrailerFields;
    /** A response's framing: sizes may be padded, lines may end in a bare LF. */
    private final boolean response;
    private final TrailerFields removed;
    /** The fields the message's Connection options name, removed from its trailers too. */
    private Set<String> named = Set.of();
    private State state;
    private Ext ext;
    /** The last scan stopped before a bare LF that ends a line: a CR is owed before it. */
    private boolean crOwed;
    /** The scan is within a trailer field that is removed. */
    private boolean dropping;
    /** The scan is within the white space after a response's chunk size, which is removed. */
    private boolean padding;
    /** The bytes the last scan returned are a removed trailer field's, not to be passed on. */
    private boolean dropped;
    private long size;
    private int digits;
    private int lineBytes;
    private int trailerBytes;
    private int trailerFields;

    /**
     * @param bad the status for a malformed body: 400 for requests, 502 for responses
     * @param response a response's body, whose bytes end at a client, not at a server that
     *        might read them otherwise: take white space between a size and its CRLF, which
     *        legacy servers send and clients read as the size, and lines ended by a bare LF
     *        ({@link #crOwed})
     */
    ChunkedFramer(int bad, int maxTrailer, boolean response) {
        this(bad, maxTrailer, HttpLimits.DEFAULTS.maxHeaderFields(), response, TrailerFields.BUILT_IN);
    }

    /**
     * @param maxTrailerFields most fields in the trailer section, as in a head: a server that
     *        merges trailers into the header section would take more (probe U: 1000 passed)
     * @param removed the trailer fields this direction does not pass on
     */
    ChunkedFramer(int bad, int maxTrailer, int maxTrailerFields, boolean response, TrailerFields removed) {
        this.bad = bad;
        this.maxTrailer = maxTrailer;
        this.maxTrailerFields = maxTrailerFields;
        this.response = response;
        this.removed = removed;
    }

    ChunkedFramer reset() {
        return reset(Set.of());
    }

    /**
     * For the body of a message whose Connection options name the fields {@code connectionNamed}
     * (lower case, {@link HopByHopFields#named}): hop-by-hop, they leave its trailers as they
     * left its head.
     */
    ChunkedFramer reset(Set<String> connectionNamed) {
        named = connectionNamed.isEmpty() ? Set.of() : TrailerFields.normal(connectionNamed);
        state = State.SIZE;
        size = 0;
        digits = 0;
        lineBytes = 0;
        trailerBytes = 0;
        trailerFields = 0;
        crOwed = false;
        dropping = false;
        padding = false;
        dropped = false;
        return this;
    }

    /**
     * Whether the last scan stopped before a bare LF that ends a line of a response's framing
     * (never in a request's, which is refused): the client is to get a CR before it.
     */
    boolean crOwed() {
        return crOwed;
    }

    @Override
    boolean done() {
        return state == State.DONE;
    }

    @Override
    boolean dropped() {
        return dropped;
    }

    /** Takes the chunks' data out of a chunked body. */
    interface Data {
        /** Bytes [from, to) of b are chunk data. */
        void data(ByteBuf b, int from, int to);
    }

    @Override
    int scan(ByteBuf b, int from, int to) throws HttpException {
        return scan(b, from, to, null);
    }

    /**
     * Like {@link #scan(ByteBuf, int, int)}, also handing each stretch of chunk data to
     * {@code data} (unless null): the body without its chunked coding. Also returns early,
     * before a bare LF, when {@link #crOwed}; the next scan goes on from that LF. Returns
     * early too at the end of a run of bytes to pass on or to drop ({@link #dropped}), and
     * before a trailer field whose name goes on past {@code to}.
     */
    int scan(ByteBuf b, int from, int to, Data data) throws HttpException {
        crOwed = false;
        dropped = dropping || padding;
        int i = from;
        while (i < to && state != State.DONE) {
            if (state == State.TRAILER_START && !dropping && HttpHead.isTchar(b.getByte(i))) {
                int end = nameEnd(b, i, to);
                if (end < 0) {
                    // The decision waits for the name's end: these bytes are scanned again.
                    break;
                }
                if (b.getByte(end) == ':' && removed.removes(b, i, end, named)) {
                    if (i > from) {
                        // The run of bytes to pass on ends before the field.
                        break;
                    }
                    dropping = true;
                    dropped = true;
                }
            }
            if (state == State.DATA) {
                int n = (int) Math.min(size, to - i);
                if (data != null) {
                    data.data(b, i, i + n);
                }
                i += n;
                size -= n;
                if (size == 0) {
                    state = State.DATA_CR;
                }
                continue;
            }
            byte c = b.getByte(i);
            if (pads(c) != padding) {
                // A run of a response's size padding begins or ends here.
                padding = !padding;
                if (i > from) {
                    break;
                }
                dropped = padding;
            }
            step(c);
            if (crOwed) {
                break;
            }
            i++;
            if (dropping && state == State.TRAILER_START) {
                // The removed field's line ended: what follows may be passed on.
                dropping = false;
                break;
            }
        }
        return i - from;
    }

    /** Whether {@code c} is white space after a response's chunk size. */
    private boolean pads(byte c) {
        return response && (c == ' ' || c == '\t')
                && (state == State.SIZE_BWS || state == State.SIZE && digits > 0);
    }

    /**
     * Where the trailer field name that starts at {@code from} ends (the first byte that is
     * not a token character), or -1 when it goes on to {@code to}, unless it is already over
     * the trailer section's bound: the caller keeps what it cannot scan yet, so that is bounded.
     */
    private int nameEnd(ByteBuf b, int from, int to) throws HttpException {
        for (int i = from; i < to; i++) {
            if (!HttpHead.isTchar(b.getByte(i))) {
                return i;
            }
        }
        if (trailerBytes + (to - from) > maxTrailer) {
            throw fail("trailer section too large");
        }
        return -1;
    }

    private void step(byte c) throws HttpException {
        switch (state) {
            case SIZE -> size(c);
            case SIZE_BWS -> {
                line();
                if (c == ';') {
                    extension();
                } else if (c == HttpHead.CR && response) {
                    state = State.SIZE_LF;
                } else if (c == HttpHead.LF && response) {
                    owe(State.SIZE_LF);
                } else if (c != ' ' && c != '\t') {
                    throw fail("white space after chunk size");
                }
            }
            case EXT -> {
                line();
                if (!response) {
                    requestExtension(c);
                } else if (c == HttpHead.CR) {
                    state = State.SIZE_LF;
                } else if (c == HttpHead.LF && response) {
                    owe(State.SIZE_LF);
                } else if (!HttpHead.isVchar(c)) {
                    throw fail("invalid chunk extension");
                }
            }
            case SIZE_LF -> {
                expect(c, HttpHead.LF);
                lineBytes = 0;
                state = size == 0 ? State.TRAILER_START : State.DATA;
            }
            case DATA_CR -> {
                if (c == HttpHead.LF && response) {
                    owe(State.DATA_LF);
                } else {
                    expect(c, HttpHead.CR);
                    state = State.DATA_LF;
                }
            }
            case DATA_LF -> {
                expect(c, HttpHead.LF);
                size = 0;
                digits = 0;
                state = State.SIZE;
            }
            case TRAILER_START -> {
                trailer();
                if (c == HttpHead.CR) {
                    state = State.LAST_LF;
                } else if (c == HttpHead.LF && response) {
                    owe(State.LAST_LF);
                } else if (HttpHead.isTchar(c)) {
                    if (++trailerFields > maxTrailerFields) {
                        throw fail("too many trailer fields");
                    }
                    state = State.TRAILER_NAME;
                } else {
                    throw fail("malformed trailer field");
                }
            }
            case TRAILER_NAME -> {
                trailer();
                if (c == ':') {
                    state = State.TRAILER_VALUE;
                } else if (!HttpHead.isTchar(c)) {
                    throw fail("malformed trailer field");
                }
            }
            case TRAILER_VALUE -> {
                trailer();
                if (c == HttpHead.CR) {
                    state = State.TRAILER_LF;
                } else if (c == HttpHead.LF && response && dropping) {
                    // A removed line owes no CR: it ends here.
                    state = State.TRAILER_START;
                } else if (c == HttpHead.LF && response) {
                    owe(State.TRAILER_LF);
                } else if (!HttpHead.isVchar(c)) {
                    throw fail("invalid character in trailer field");
                }
            }
            case TRAILER_LF -> {
                expect(c, HttpHead.LF);
                state = State.TRAILER_START;
            }
            case LAST_LF -> {
                expect(c, HttpHead.LF);
                state = State.DONE;
            }
            default -> throw new IllegalStateException(state.name());
        }
    }

    private void size(byte c) throws HttpException {
        line();
        int d = Character.digit(c, 16);
        if (d >= 0) {
            size = size << 4 | d;
            if (size >= MAX_SIZE) {
                throw fail("chunk size out of range");
            }
            digits++;
        } else if (digits == 0) {
            throw fail("invalid chunk size");
        } else if (c == HttpHead.CR) {
            state = State.SIZE_LF;
        } else if (c == HttpHead.LF && response) {
            owe(State.SIZE_LF);
        } else if (c == ';') {
            extension();
        } else if (c == ' ' || c == '\t') {
            state = State.SIZE_BWS;
        } else {
            throw fail("invalid chunk size");
        }
    }

    /** A {@code ;} after a chunk size: an extension's name follows. */
    private void extension() {
        state = State.EXT;
        ext = Ext.NAME_START;
    }

    /**
     * One byte of a request's chunk extensions, which pass on as they came, so they must mean
     * one thing: {@code ;} name [{@code =} token or quoted string], with white space around
     * the {@code ;} and {@code =} (BWS), up to the CR. A quoted string may not hold a
     * backslash (RFC 9110 5.6.4 lets it escape the next byte, and a server that does not
     * reads an escaped quote as the end), and the line may not end within one (a server that
     * reads a quoted string on past the line's end finds other chunks): the "Funky Chunks"
     * quoted-string cases, which made Netty before 4.1.132 and others smuggle requests.
     */
    private void requestExtension(byte c) throws HttpException {
        if (ext == Ext.QUOTED) {
            if (c == '"') {
                ext = Ext.AFTER_VALUE;
            } else if (c == '\\' || !HttpHead.isVchar(c)) {
                throw fail(c == HttpHead.CR ? "unterminated quoted string in chunk extension"
                        : "invalid character in quoted chunk extension");
            }
            return;
        }
        boolean space = c == ' ' || c == '\t';
        boolean token = HttpHead.isTchar(c);
        Ext next = switch (ext) {
            case NAME_START -> token ? Ext.NAME : space ? ext : null;
            case NAME, AFTER_NAME -> token && ext == Ext.NAME ? ext
                    : space ? Ext.AFTER_NAME : c == '=' ? Ext.VALUE_START : c == ';' ? Ext.NAME_START : null;
            case VALUE_START -> c == '"' ? Ext.QUOTED : token ? Ext.TOKEN : space ? ext : null;
            case TOKEN, AFTER_VALUE -> token && ext == Ext.TOKEN ? ext
                    : space ? Ext.AFTER_VALUE : c == ';' ? Ext.NAME_START : null;
            default -> throw new IllegalStateException(ext.name());
        };
        if (c == HttpHead.CR && ext != Ext.NAME_START && ext != Ext.VALUE_START) {
            state = State.SIZE_LF;
        } else if (next == null) {
            throw fail("invalid chunk extension");
        } else {
            ext = next;
        }
    }

    /** A bare LF ends the line: the scan stops before it, and goes on from it as from a CRLF's LF. */
    private void owe(State lf) {
        state = lf;
        crOwed = true;
    }

    private void line() throws HttpException {
        if (++lineBytes > MAX_SIZE_LINE) {
            throw fail("chunk size line too long");
        }
    }

    private void trailer() throws HttpException {
        if (++trailerBytes > maxTrailer) {
            throw fail("trailer section too large");
        }
    }

    private void expect(byte c, byte wanted) throws HttpException {
        if (c != wanted) {
            throw fail("malformed chunk");
        }
    }

    private HttpException fail(String why) {
        return new HttpException(bad, why);
    }
}
