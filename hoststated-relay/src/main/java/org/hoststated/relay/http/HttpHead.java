package org.hoststated.relay.http;

import io.netty.buffer.ByteBuf;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Locale;

/**
 * One parsed request or response head, as offsets into the buffer that holds it: the relay
 * forwards unchanged parts as slices of that buffer and materialises strings only for what a
 * protocol rule needs. The parse is strict where proxies and servers are known to disagree
 * (request smuggling): no obs-fold, no white space before a colon, token-only field names, no
 * control characters in values (a bare CR included), one Host, and one framing (never both
 * Content-Length and Transfer-Encoding, no differing Content-Lengths, chunked only as the final
 * coding). A request target must be of a form RFC 9112 3.2 allows for its method, with only
 * the bytes {@link UriSyntax} allows, and a Host value must be a host and optional port. It
 * also notes what the relay must normalise before rules run: an absolute-form target, and
 * hop-by-hop fields. One instance per session and direction, reused for each message, on the
 * session's worker loop.
 */
final class HttpHead {
    /** The reason of a request that is HTTP/2's connection preface ({@link Http2Refusal} answers it). */
    static final String HTTP2_PREFACE = "HTTP/2 connection preface (only HTTP/1 is relayed)";
    static final byte CR = '\r';
    static final byte LF = '\n';
    static final boolean[] TCHAR = new boolean[256];
    private static final boolean[] VCHAR = new boolean[256];
    static final byte[] CONTENT_LENGTH = lower("content-length");
    static final byte[] TRANSFER_ENCODING = lower("transfer-encoding");
    static final byte[] CONNECTION = lower("connection");
    static final byte[] UPGRADE = lower("upgrade");
    static final byte[] HOST = lower("host");
    static final byte[] PROXY_CONNECTION = lower("proxy-connection");
    static final byte[] TE = lower("te");
    private static final byte[] CHUNKED = lower("chunked");
    private static final byte[] CLOSE = lower("close");
    static final byte[] KEEP_ALIVE = lower("keep-alive");
    static final byte[] EXPECT = lower("expect");
    static final byte[] CONTINUE = lower("100-continue");
    static final byte[] AUTHORIZATION = lower("authorization");
    static final byte[] WWW_AUTHENTICATE = lower("www-authenticate");
    private static final byte[] NTLM = lower("ntlm");
    private static final byte[] NEGOTIATE = lower("negotiate");

    static {
        for (char c : "!#$%&'*+-.^_`|~".toCharArray()) {
            TCHAR[c] = true;
        }
        for (int c = 0; c < 256; c++) {
            if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) {
                TCHAR[c] = true;
            }
            VCHAR[c] = c == '\t' || (c >= 0x20 && c != 0x7f);
        }
    }

    ByteBuf buf;
    /**
     * A copy of the head's bytes: parsing reads plain array elements instead of going through
     * the buffer's bounds and liveness checks on every byte. a[0] is buf's byte at start.
     */
    private byte[] a = new byte[1024];
    /** The head is [start, end) of buf, its final blank line included. */
    int start;
    int end;
    /** Index of the CR ending the start line. */
    int startLineEnd;
    boolean request;
    /** 10 for HTTP/1.0, 11 for HTTP/1.1 (and later 1.x). */
    int version;
    /**
     * The message says HTTP/1.2 to 1.9: read as 1.1 (RFC 9112 2.3), and sent on saying
     * HTTP/1.1, the relay's own version (RFC 9110 2.5), as HAProxy and nginx send it.
     */
    boolean laterVersion;
    int status;
    boolean methodHead;
    boolean methodConnect;
    boolean methodOptions;
    /** GET, HEAD, OPTIONS, TRACE, PUT or DELETE (RFC 9110 9.2.2): safe to send twice. */
    boolean idempotent;
    int targetStart;
    int targetEnd;
    /**
     * The target is {@code http://authority/path?query} (RFC 9112 3.2.2): the authority is
     * [authorityStart, authorityEnd), the path and query follow it up to targetEnd.
     */
    boolean absoluteForm;
    int authorityStart;
    int authorityEnd;
    /** The target is {@code *} (of an OPTIONS request): it has no path and no query. */
    boolean asteriskForm;
    int fields;
    /** Field i is the line [lineStart[i], lineNext[i]) (CRLF included), name up to nameEnd[i]. */
    int[] lineStart = new int[16];
    int[] lineNext = new int[16];
    int[] nameEnd = new int[16];
    int[] valueStart = new int[16];
    int[] valueEnd = new int[16];
    /** -1 when absent. */
    long contentLength;
    /**
     * More than one Content-Length line, all of one value: the message is read by that
     * length, and the next hop gets one line (RFC 9110 8.6 forbids forwarding the list).
     */
    boolean repeatedContentLength;
    /**
     * A Content-Length or Transfer-Encoding line whose value is not written {@code ": value"}:
     * other white space around it (a tab, none, trailing), or a length with leading zeros. The
     * next hop gets it so written, the length in plain decimal, as HAProxy sends it: a lax peer
     * that read {@code "chunked "} as no coding would take the chunks for the next message
     * (probe U), and one that read {@code 010} as octal would take 8 bytes of the body.
     */
    boolean framingUntidy;
    boolean transferEncoding;
    /** Transfer codings the message lists, over all its Transfer-Encoding fields. */
    int transferCodings;
    boolean chunked;
    boolean close;
    boolean keepAlive;
    boolean connectionUpgrade;
    boolean upgrade;
    /**
     * The Upgrade field offers HTTP/2 ({@code h2c}, {@code h2}, {@code HTTP/2.0}, a draft's
     * name), or lists something that is not a protocol ({@code token ["/" token]}, RFC 9110
     * 7.8): a server could read {@code h2c;q=1} as h2c.
     */
    boolean h2c;
    /**
     * A field a proxy must not forward (RFC 9110 7.6.1) is present: one named by a Connection
     * option other than close, keep-alive and upgrade, Keep-Alive, Proxy-Connection, TE, or an
     * Upgrade field or upgrade option without the other.
     */
    boolean hopByHop;
    /** A field name holds {@code _} (see {@link #nameLike}). */
    boolean underscoreNames;
    /**
     * A request field is named Content-Length or Transfer-Encoding with {@code _} for
     * {@code -}: a server that reads both spellings as one (as CGI-style variables do) could
     * frame the body by it, not by the field the relay framed it by.
     */
    boolean framingLookalikes;
    /** A request's {@code Expect: 100-continue}: its client may wait for a 100 before its body. */
    boolean expectContinue;
    /**
     * A request's Authorization, or a response's WWW-Authenticate, names NTLM or Negotiate:
     * schemes that authenticate the connection, not the request (RFC 4559; IIS, Apache's
     * mod_auth_gssapi), so the server connection must serve this client alone.
     */
    boolean connectionAuth;
    private boolean connectionOptions;
    private int hosts;

    /**
     * Lets go of a large copy once the head has been used, so thousands of idle sessions that
     * once sent a big head do not each keep up to the head limit in the heap.
     */
    void trim() {
        if (a.length > 4096) {
            a = new byte[1024];
        }
    }

    /** The head's byte at buffer index i. */
    private byte at(int i) {
        return a[i - start];
    }

    /** The first {@code c} at or after buffer index from within the head, or -1. */
    private int indexOf(int from, byte c) {
        for (int i = from - start, n = end - start; i < n; i++) {
            if (a[i] == c) {
                return i + start;
            }
        }
        return -1;
    }

    static byte[] lower(String s) {
        return s.toLowerCase(java.util.Locale.ROOT).getBytes(StandardCharsets.US_ASCII);
    }

    private void reset(ByteBuf b, int from, int to, boolean isRequest) {
        buf = b;
        int len = to - from;
        if (a.length < len) {
            a = new byte[Math.max(len, 1024)];
        }
        b.getBytes(from, a, 0, len);
        start = from;
        end = to;
        request = isRequest;
        laterVersion = false;
        fields = 0;
        contentLength = -1;
        repeatedContentLength = false;
        framingUntidy = false;
        transferEncoding = false;
        transferCodings = 0;
        chunked = false;
        close = false;
        keepAlive = false;
        connectionUpgrade = false;
        upgrade = false;
        h2c = false;
        methodHead = false;
        methodConnect = false;
        methodOptions = false;
        absoluteForm = false;
        asteriskForm = false;
        hopByHop = false;
        underscoreNames = false;
        framingLookalikes = false;
        expectContinue = false;
        connectionAuth = false;
        connectionOptions = false;
        idempotent = false;
        status = 0;
        hosts = 0;
    }

    /** Parses the request head [from, to) of b, which {@link HeadScanner} found complete. */
    void parseRequest(ByteBuf b, int from, int to, int maxFields) throws HttpException {
        reset(b, from, to, true);
        int lf = indexOf(from, LF);
        startLineEnd = lf - 1;
        requestLine(from, startLineEnd);
        fields(lf + 1, maxFields, 400);
        if (transferEncoding && contentLength >= 0) {
            throw new HttpException(400, "both Content-Length and Transfer-Encoding");
        }
        if (transferEncoding && (!chunked || version == 10)) {
            throw new HttpException(400, "invalid Transfer-Encoding");
        }
        if (transferEncoding && transferCodings > 1) {
            // Bodies pass through as they came, coded: a server that frames only a lone
            // "chunked" would read this one as none and its chunk data as the next request.
            // HAProxy answers 422, nginx 501 (RFC 9112 6.1: a coding it does not know).
            throw new HttpException(501, "transfer coding other than chunked");
        }
        if (hosts > 1 || (hosts == 0 && version == 11)) {
            throw new HttpException(400, hosts == 0 ? "no Host" : "several Host fields");
        }
        noteHopByHop();
    }

    /** Parses the response head [from, to) of b; a malformed one is a 502. */
    void parseResponse(ByteBuf b, int from, int to, int maxFields) throws HttpException {
        reset(b, from, to, false);
        int lf = indexOf(from, LF);
        startLineEnd = lf - 1;
        statusLine(from, startLineEnd);
        fields(lf + 1, maxFields, 502);
        if (transferEncoding && contentLength >= 0) {
            throw new HttpException(502, "response with both Content-Length and Transfer-Encoding");
        }
        if (transferEncoding && chunked && version == 10) {
            throw new HttpException(502, "chunked HTTP/1.0 response");
        }
        noteHopByHop();
    }

    /**
     * A Connection option other than close, keep-alive and upgrade: a field name, which
     * {@link HopByHopFields#named} lists.
     */
    boolean namesFields() {
        return connectionOptions;
    }

    private void noteHopByHop() {
        hopByHop |= connectionOptions || upgrade != connectionUpgrade || (upgrade && !upgradeRelayed());
    }

    private void requestLine(int from, int to) throws HttpException {
        int i = from;
        while (i < to && TCHAR[at(i) & 0xff]) {
            i++;
        }
        if (i == from || i >= to || at(i) != ' ') {
            throw new HttpException(400, "malformed request line");
        }
        int methodLen = i - from;
        methodHead = methodLen == 4 && same(from, "HEAD");
        methodConnect = methodLen == 7 && same(from, "CONNECT");
        methodOptions = methodLen == 7 && same(from, "OPTIONS");
        idempotent = switch (methodLen) {
            case 3 -> same(from, "GET") || same(from, "PUT");
            case 4 -> methodHead;
            case 5 -> same(from, "TRACE");
            case 6 -> same(from, "DELETE");
            case 7 -> methodOptions;
            default -> false;
        };
        targetStart = ++i;
        // CONNECT is refused whatever its target (a reverse proxy opens no tunnels).
        i = methodConnect ? visible(i, to) : target(i, to);
        targetEnd = i;
        if (targetEnd == targetStart || i >= to || at(i) != ' ') {
            boolean stray = i < to && VCHAR[at(i) & 0xff] && at(i) != ' ' && at(i) != '\t';
            throw new HttpException(400, stray ? "invalid character in request target" : "malformed request line");
        }
        version = version(i + 1, to, 400);
    }

    /** The first byte at or after from that is white space, a control or DEL. */
    private int visible(int from, int to) {
        int i = from;
        while (i < to && (at(i) & 0xff) > 0x20 && at(i) != 0x7f) {
            i++;
        }
        return i;
    }

    /**
     * Checks the request target at from against the form its first byte announces (RFC 9112
     * 3.2): origin-form ({@code /path?query}), asterisk-form ({@code *}, OPTIONS only) or
     * absolute-form (a scheme's letter first; http or https only); returns where it ends.
     */
    private int target(int from, int to) throws HttpException {
        byte first = from < to ? at(from) : CR;
        if (first == '/') {
            return UriSyntax.pathAndQuery(a, start, from, to);
        }
        if (first == '*') {
            if (!methodOptions) {
                // "PRI * HTTP/2.0": a client that assumed HTTP/2 without asking first.
                if (from - start == 4 && same(start, "PRI ")) {
                    throw new HttpException(505, HTTP2_PREFACE);
                }
                throw new HttpException(400, "asterisk-form request target without OPTIONS");
            }
            asteriskForm = true;
            return from + 1;
        }
        boolean letter = (first | 0x20) >= 'a' && (first | 0x20) <= 'z';
        return letter ? absoluteTarget(from, to) : from;
    }

    private int absoluteTarget(int from, int to) throws HttpException {
        authorityStart = UriSyntax.afterHttpScheme(a, start, from, to);
        authorityEnd = UriSyntax.authority(a, start, authorityStart, to);
        absoluteForm = true;
        return UriSyntax.pathAndQuery(a, start, authorityEnd, to);
    }

    private void statusLine(int from, int to) throws HttpException {
        int sp = from + 8;
        if (sp >= to || at(sp) != ' ') {
            throw new HttpException(502, "malformed status line");
        }
        version = version(from, sp, 502);
        int s = 0;
        for (int i = sp + 1; i < sp + 4; i++) {
            int d = i < to ? at(i) - '0' : -1;
            if (d < 0 || d > 9) {
                throw new HttpException(502, "malformed status line");
            }
            s = s * 10 + d;
        }
        // Codes past 599 are outside RFC 9110's classes but sent (LinkedIn's 999): final
        // responses framed as any other, passed on as nginx and HAProxy do.
        if (s < 100 || (sp + 4 < to && at(sp + 4) != ' ')) {
            throw new HttpException(502, "malformed status line");
        }
        for (int i = sp + 5; i < to; i++) {
            if (!VCHAR[at(i) & 0xff]) {
                throw new HttpException(502, "malformed status line");
            }
        }
        status = s;
    }

    /** "HTTP/1.x" exactly filling [from, to). */
    private int version(int from, int to, int bad) throws HttpException {
        if (to - from != 8 || !same(from, "HTTP/")) {
            throw new HttpException(bad, "malformed HTTP version");
        }
        int major = at(from + 5) - '0';
        int minor = at(from + 7) - '0';
        if (at(from + 6) != '.' || major < 0 || major > 9 || minor < 0 || minor > 9) {
            throw new HttpException(bad, "malformed HTTP version");
        }
        if (major != 1) {
            throw new HttpException(bad == 400 ? 505 : bad, "unsupported HTTP version");
        }
        laterVersion = minor > 1;
        return minor == 0 ? 10 : 11;
    }

    private boolean same(int at, String ascii) {
        for (int k = 0; k < ascii.length(); k++) {
            if (at(at + k) != ascii.charAt(k)) {
                return false;
            }
        }
        return true;
    }

    private void fields(int from, int maxFields, int bad) throws HttpException {
        int pos = from;
        // The head ends at its final CRLF, not at the first line that starts with a CR: a line
        // "\rTransfer-Encoding: chunked" (or a lone "\r") would otherwise end the parse early
        // while the whole head is forwarded, its later fields unchecked and unframed here but
        // read by a server that takes a bare CR as white space or as a line end.
        while (pos != end - 2) {
            int lf = indexOf(pos, LF);
            if (fields == maxFields) {
                throw new HttpException(bad == 400 ? 431 : bad, "too many header fields");
            }
            field(pos, lf - 1, bad);
            pos = lf + 1;
        }
    }

    /** One field line [from, to), to being its CR. */
    private void field(int from, int to, int bad) throws HttpException {
        int i = from;
        while (i < to && TCHAR[at(i) & 0xff]) {
            underscoreNames |= at(i) == '_';
            i++;
        }
        if (i == from || i >= to || at(i) != ':') {
            // Covers obs-fold (a line starting with white space), white space before the
            // colon, and any byte not allowed in a field name: each said so in the close line.
            throw new HttpException(bad, i == from && i < to && isOws(at(i)) ? "folded header line (obs-fold)"
                    : i > from && i < to && isOws(at(i)) ? "white space before a header field's colon"
                    : "malformed header field");
        }
        int colon = i;
        i++;
        while (i < to && isOws(at(i))) {
            i++;
        }
        int vs = i;
        int ve = vs;
        for (; i < to; i++) {
            byte c = at(i);
            if (!VCHAR[c & 0xff]) {
                throw new HttpException(bad, "invalid character in header field");
            }
            if (!isOws(c)) {
                ve = i + 1;
            }
        }
        add(from, to + 2, colon, vs, ve);
        framing(from, colon, vs, ve, to, bad);
    }

    /** Whether the value [vs, ve) of the line ending at {@code to} is not written {@code ": value"}. */
    private boolean padded(int colon, int vs, int ve, int to) {
        return vs != colon + 2 || at(colon + 1) != ' ' || ve != to;
    }

    /**
     * Whether the head is edited on its way whatever the rules: it has hop-by-hop fields,
     * lookalikes of the framing fields, a version later than 1.1, or framing fields repeated
     * or padded.
     */
    boolean editedAnyway() {
        return hopByHop || framingLookalikes || laterVersion || repeatedContentLength || framingUntidy;
    }

    private void add(int ls, int next, int ne, int vs, int ve) {
        if (fields == lineStart.length) {
            int n = fields * 2;
            lineStart = Arrays.copyOf(lineStart, n);
            lineNext = Arrays.copyOf(lineNext, n);
            nameEnd = Arrays.copyOf(nameEnd, n);
            valueStart = Arrays.copyOf(valueStart, n);
            valueEnd = Arrays.copyOf(valueEnd, n);
        }
        lineStart[fields] = ls;
        lineNext[fields] = next;
        nameEnd[fields] = ne;
        valueStart[fields] = vs;
        valueEnd[fields] = ve;
        fields++;
    }

    /** Notes the fields that frame the message or its connection. */
    private void framing(int ns, int ne, int vs, int ve, int to, int bad) throws HttpException {
        switch (ne - ns) {
            case 2 -> hopByHop |= equalsLower(ns, ne, TE);
            case 4 -> {
                if (equalsLower(ns, ne, HOST)) {
                    host(vs, ve);
                }
            }
            case 6 -> expectContinue |= request && equalsLower(ns, ne, EXPECT) && equalsLower(vs, ve, CONTINUE);
            case 7 -> {
                if (equalsLower(ns, ne, UPGRADE)) {
                    upgradeField(vs, ve);
                }
            }
            case 10 -> {
                if (equalsLower(ns, ne, CONNECTION)) {
                    connection(vs, ve);
                } else {
                    hopByHop |= equalsLower(ns, ne, KEEP_ALIVE);
                }
            }
            case 13 -> connectionAuth |= request && equalsLower(ns, ne, AUTHORIZATION) && namesConnectionScheme(vs, ve);
            case 14 -> {
                if (equalsLower(ns, ne, CONTENT_LENGTH)) {
                    contentLength(vs, ve, bad);
                    framingUntidy |= padded(ne, vs, ve, to);
                } else {
                    framingLookalikes |= request && like(ns, ne, CONTENT_LENGTH);
                }
            }
            case 16 -> {
                hopByHop |= equalsLower(ns, ne, PROXY_CONNECTION);
                connectionAuth |= !request && equalsLower(ns, ne, WWW_AUTHENTICATE) && namesConnectionScheme(vs, ve);
            }
            case 17 -> {
                if (equalsLower(ns, ne, TRANSFER_ENCODING)) {
                    transferEncoding(vs, ve, bad);
                    framingUntidy |= padded(ne, vs, ve, to);
                } else {
                    framingLookalikes |= request && like(ns, ne, TRANSFER_ENCODING);
                }
            }
            default -> {
            }
        }
    }

    /**
     * Whether the credentials or challenges [vs, ve) name NTLM or Negotiate: as the first word,
     * or (a challenge list) as a word after a comma, as HAProxy matches them.
     */
    private boolean namesConnectionScheme(int vs, int ve) {
        for (int i = vs; i < ve; i++) {
            // i starts a list element: its first word, after white space, may be a scheme.
            while (i < ve && isOws(at(i))) {
                i++;
            }
            int w = i;
            while (w < ve && !isOws(at(w)) && at(w) != ',') {
                w++;
            }
            if (equalsLower(i, w, NTLM) || equalsLower(i, w, NEGOTIATE)) {
                return true;
            }
            i = w;
            while (i < ve && at(i) != ',') {
                i++;
            }
        }
        return false;
    }

    /** A request's Host must be a host and optional port (RFC 9110 7.2); it may be empty. */
    private void host(int vs, int ve) throws HttpException {
        hosts++;
        if (request && !UriSyntax.hostAndPort(a, start, vs, ve, false)) {
            throw new HttpException(400, "invalid Host");
        }
    }

    /**
     * Reads a Content-Length value: 1*DIGIT (RFC 9110 8.6), of up to 18 digits after its
     * leading zeros, which any number of may pad it (a padded length was refused past 18
     * characters, probe A). A list on one line ({@code 5, 5}) is refused, as nginx does.
     */
    private void contentLength(int vs, int ve, int bad) throws HttpException {
        int digits = vs;
        while (digits < ve - 1 && at(digits) == '0') {
            digits++;
        }
        if (ve == vs || ve - digits > 18) {
            throw new HttpException(bad, "invalid Content-Length");
        }
        framingUntidy |= digits > vs;
        long n = 0;
        for (int i = digits; i < ve; i++) {
            int d = at(i) - '0';
            if (d < 0 || d > 9) {
                throw new HttpException(bad, "invalid Content-Length");
            }
            n = n * 10 + d;
        }
        if (contentLength >= 0 && contentLength != n) {
            throw new HttpException(bad, "differing Content-Length fields");
        }
        repeatedContentLength |= contentLength >= 0;
        contentLength = n;
    }

    /**
     * Reads a Transfer-Encoding line's codings. In a request an empty element is refused (a
     * server may not read "chunked," as chunked); a response's empty elements are skipped, as
     * RFC 9110 5.6.1 asks of a recipient and HAProxy does (they were a 502, probe U), and the
     * line goes on without them ({@link #framingUntidy}).
     */
    private void transferEncoding(int vs, int ve, int bad) throws HttpException {
        int i = vs;
        do {
            int e = elementEnd(i, ve);
            int ts = trimStart(i, e);
            int te = trimEnd(ts, e);
            i = e + 1;
            if (ts == te && !request) {
                framingUntidy = true;
                continue;
            }
            if (ts == te || chunked) {
                // An empty coding, or any coding after chunked: the body cannot be delimited.
                throw new HttpException(bad, "invalid Transfer-Encoding");
            }
            int name = codingNameEnd(ts, te);
            if (name < 0 || name < te && equalsLower(ts, name, CHUNKED)) {
                // Not a token ("chunked\xff", "\"chunked\""), or chunked with parameters, which it
                // has none of: a response's was passed on with its body read to the close, which a
                // client matching "chunked" loosely read as chunked (probe AM; HAProxy: 502).
                throw new HttpException(bad, "invalid Transfer-Encoding");
            }
            transferEncoding = true;
            chunked = equalsLower(ts, te, CHUNKED);
            transferCodings++;
            // <=: a comma at the end leaves an empty element after the last.
        } while (i <= ve);
    }

    /**
     * Where the name of the transfer coding [from, to) ends (at its first {@code ;}, before
     * the spaces in front of it, or at {@code to}), or -1 when the name is no token or the
     * parameters hold a byte that is no visible ASCII, space or tab.
     */
    private int codingNameEnd(int from, int to) {
        int end = to;
        for (int i = from; i < to; i++) {
            byte c = at(i);
            if (c == ';') {
                end = trimEnd(from, i);
                for (int j = i + 1; j < to; j++) {
                    byte p = at(j);
                    if (p != ' ' && p != '\t' && (p < 0x21 || p > 0x7e)) {
                        return -1;
                    }
                }
                break;
            }
        }
        if (end == from) {
            return -1;
        }
        for (int i = from; i < end; i++) {
            if (!isTchar(at(i))) {
                return -1;
            }
        }
        return end;
    }

    private void upgradeField(int vs, int ve) {
        upgrade = true;
        for (int i = vs; i < ve; ) {
            int e = elementEnd(i, ve);
            int ts = trimStart(i, e);
            int te = trimEnd(ts, e);
            if (ts < te) {
                int name = protocolNameEnd(ts, te);
                h2c |= name < 0 || http2(text(ts, te).toLowerCase(Locale.ROOT), name - ts);
            }
            i = e + 1;
        }
    }

    /**
     * Whether the Upgrade protocol {@code p} (lower case, its name {@code nameLength} long) is
     * HTTP/2 in some spelling: h2c, h2, their drafts (h2c-14), or HTTP/2.0 (probe J: those
     * reached servers, and a 101 to them was tunnelled).
     */
    private static boolean http2(String p, int nameLength) {
        String name = p.substring(0, nameLength);
        return name.equals("h2c") || name.equals("h2") || name.startsWith("h2c-") || name.startsWith("h2-")
                || name.equals("http") && p.startsWith("2", nameLength + 1);
    }

    /**
     * Where the protocol name of the Upgrade element [from, to) ends (at its {@code /} or at
     * {@code to}), or -1 when the element is not {@code token ["/" token]}.
     */
    private int protocolNameEnd(int from, int to) {
        int slash = -1;
        for (int i = from; i < to; i++) {
            byte c = at(i);
            if (c == '/' && slash < 0 && i > from && i < to - 1) {
                slash = i;
            } else if (!isTchar(c)) {
                return -1;
            }
        }
        return slash < 0 ? to : slash;
    }

    /**
     * The values of the Upgrade fields, joined as one list; null when there is none. For the
     * protocols a client offered and the one its server switches to (rare: not kept parsed).
     */
    String upgradeValues() {
        String joined = null;
        for (int f = 0; f < fields; f++) {
            if (nameIs(f, UPGRADE)) {
                joined = joined == null ? value(f) : joined + ", " + value(f);
            }
        }
        return joined;
    }

    private void connection(int vs, int ve) {
        for (int i = vs; i < ve; ) {
            int e = elementEnd(i, ve);
            int ts = trimStart(i, e);
            int te = trimEnd(ts, e);
            boolean c = equalsLower(ts, te, CLOSE);
            boolean k = equalsLower(ts, te, KEEP_ALIVE);
            boolean u = equalsLower(ts, te, UPGRADE);
            close |= c;
            keepAlive |= k;
            connectionUpgrade |= u;
            connectionOptions |= te > ts && !c && !k && !u;
            i = e + 1;
        }
    }

    private int elementEnd(int from, int to) {
        for (int i = from; i < to; i++) {
            if (at(i) == ',') {
                return i;
            }
        }
        return to;
    }

    private int trimStart(int from, int to) {
        while (from < to && isOws(at(from))) {
            from++;
        }
        return from;
    }

    private int trimEnd(int from, int to) {
        while (to > from && isOws(at(to - 1))) {
            to--;
        }
        return to;
    }

    private static boolean isOws(byte c) {
        return c == ' ' || c == '\t';
    }

    /** Whether [from, to) of buf equals {@code lower} ignoring ASCII case. */
    boolean equalsLower(int from, int to, byte[] lower) {
        if (to - from != lower.length) {
            return false;
        }
        for (int k = 0; k < lower.length; k++) {
            byte c = at(from + k);
            if (c >= 'A' && c <= 'Z') {
                c += 32;
            }
            if (c != lower[k]) {
                return false;
            }
        }
        return true;
    }

    /** Whether field's value is just {@code close} or {@code keep-alive} (the usual Connection field). */
    boolean onlyConnectionToken(int field) {
        return equalsLower(valueStart[field], valueEnd[field], CLOSE)
                || equalsLower(valueStart[field], valueEnd[field], KEEP_ALIVE);
    }

    boolean nameIs(int field, byte[] lower) {
        return equalsLower(lineStart[field], nameEnd[field], lower);
    }

    /**
     * Whether field's name reads as {@code lower} once each {@code _} in it is read as
     * {@code -}, as CGI, PHP and WSGI servers read both (X_Forwarded_For and X-Forwarded-For
     * are both HTTP_X_FORWARDED_FOR there), while having at least one {@code _} there.
     */
    boolean nameLike(int field, byte[] lower) {
        return like(lineStart[field], nameEnd[field], lower);
    }

    private boolean like(int from, int to, byte[] lower) {
        if (to - from != lower.length) {
            return false;
        }
        boolean underscore = false;
        for (int k = 0; k < lower.length; k++) {
            byte c = at(from + k);
            if (c == '_' && lower[k] == '-') {
                underscore = true;
                continue;
            }
            if (c >= 'A' && c <= 'Z') {
                c += 32;
            }
            if (c != lower[k]) {
                return false;
            }
        }
        return underscore;
    }

    String value(int field) {
        return text(valueStart[field], valueEnd[field]);
    }

    String name(int field) {
        return text(lineStart[field], nameEnd[field]);
    }

    String target() {
        return text(targetStart, targetEnd);
    }

    private String text(int from, int to) {
        return new String(a, from - start, to - from, StandardCharsets.ISO_8859_1);
    }

    /** Whether the connection may carry another message after this one, by this head alone. */
    boolean persistent() {
        return version == 11 ? !close : keepAlive && !close;
    }

    /** A request asking to switch protocols (websockets) that the relay relays: see {@link #upgradeRelayed}. */
    boolean upgradeRequest() {
        return request && upgradeRelayed();
    }

    /**
     * Upgrade with Connection: upgrade, which the relay passes on: in a response, or in a
     * request without a body that does not offer h2c. The relay turns a session into a tunnel
     * only after a request that ended with its head, so an upgrade with a body (curl's h2c
     * upgrade of a POST) is not offered to the server, which could otherwise switch and get
     * the client a 502. HTTP/2 in a tunnel would carry requests past the protocol's request
     * rules (filters, appended fields), so the server is never offered h2c and answers in
     * HTTP/1.1 (RFC 9113 deprecates that upgrade; HAProxy does not relay it either). An
     * HTTP/1.0 request's Upgrade is ignored (RFC 9110 7.8: a server must ignore it), so a
     * lenient server cannot open a tunnel to it either.
     */
    boolean upgradeRelayed() {
        return upgrade && connectionUpgrade && !(request && (version == 10 || chunked || contentLength > 0 || h2c));
    }

    static boolean isTchar(byte c) {
        return TCHAR[c & 0xff];
    }

    static boolean isVchar(byte c) {
        return VCHAR[c & 0xff];
    }
}
