package org.hoststated.relay.http;

import io.netty.util.NetUtil;
import java.nio.charset.StandardCharsets;

/**
 * The RFC 3986 grammar that request targets and Host values are held to, checked on the copy
 * of a head's bytes that {@link HttpHead} parses: {@code a[i - base]} is the head's byte at
 * buffer index {@code i}. Stateless.
 *
 * <p>A path takes what RFC 3986 allows (pchar and {@code /}: letters, digits,
 * {@code - . _ ~ ! $ & ' ( ) * + , ; = : @ /}), %-escapes of two hex digits, and what
 * browsers send unescaped in a path (the WHATWG URL standard leaves them so):
 * {@code [ ] | ^}. A query takes those, {@code ?}, what browsers send unescaped in a query:
 * {@code { } \ `} and a {@code %} that starts no escape, and what other clients (curl, Node)
 * send as typed: {@code " < >} and bytes over 0x7f (UTF-8). No part takes white space,
 * controls, DEL or {@code #}, and a path none of the bytes only a query takes. For paths
 * this is stricter than current HAProxy, which refuses only controls, {@code #} and non-ASCII
 * bytes (nginx takes those bytes and reads {@code #} as the start of
 * a fragment), and laxer than Tomcat, which refuses anything outside RFC 3986 unless relaxed:
 * the relay passes the target on as it came, so a byte two servers could read differently (a
 * {@code \} in a path, which Windows servers take for {@code /}; an escape that is not one)
 * is refused where it would change the path a {@code path} rule matched. In a query, where
 * rules match decoded names and values, only what would end or split the target is refused.
 */
final class UriSyntax {
    /** Allowed in a path and in a query: pchar without {@code %}, {@code /}, and {@code [ ] | ^}. */
    private static final byte PATH = 1;
    /** Allowed in a query only. */
    private static final byte QUERY = 2;
    private static final byte[] TARGET = new byte[256];
    /** unreserved and sub-delims: what a reg-name holds besides %-escapes. */
    private static final boolean[] REG_NAME = new boolean[256];
    /** What an authority in a target may hold: a reg-name's bytes, {@code %}, {@code :@[]}. */
    private static final boolean[] AUTHORITY = new boolean[256];
    /** What a scheme name holds (RFC 3986 3.1): letters, digits, {@code + - .}. */
    private static final boolean[] SCHEME = new boolean[256];
    private static final char[] HEX = "0123456789ABCDEF".toCharArray();

    static {
        for (int c = 0; c < 128; c++) {
            boolean alnum = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
            SCHEME[c] = alnum || c == '+' || c == '-' || c == '.';
            if (alnum || "-._~!$&'()*+,;=".indexOf(c) >= 0) {
                REG_NAME[c] = true;
                AUTHORITY[c] = true;
                TARGET[c] = PATH;
            }
        }
        for (char c : ":@/[]|^".toCharArray()) {
            TARGET[c] = PATH;
        }
        for (char c : "?%{}\\`\"<>".toCharArray()) {
            TARGET[c] = QUERY;
        }
        for (int c = 0x80; c < 256; c++) {
            TARGET[c] = QUERY;
        }
        for (char c : "%:@[]".toCharArray()) {
            AUTHORITY[c] = true;
        }
    }

    private UriSyntax() {
    }

    /**
     * Where the path (possibly empty) and optional query starting at {@code from} end: at the
     * first byte before {@code to} that neither may hold, or at {@code to}. Throws on a
     * %-escape in the path that is not one.
     */
    static int pathAndQuery(byte[] a, int base, int from, int to) throws HttpException {
        int i = from;
        while (i < to) {
            byte c = a[i - base];
            if (TARGET[c & 0xff] == PATH) {
                i++;
            } else if (c == '%') {
                if (!escape(a, base, i, to)) {
                    throw new HttpException(400, "malformed %-escape in request path");
                }
                i += 3;
            } else {
                break;
            }
        }
        if (i < to && a[i - base] == '?') {
            i++;
            while (i < to && TARGET[a[i - base] & 0xff] != 0) {
                i++;
            }
        }
        return i;
    }

    /**
     * Where the authority of the absolute-form target at {@code from} starts: after
     * {@code http://} or {@code https://} (any case). Throws for another scheme or form.
     */
    static int afterHttpScheme(byte[] a, int base, int from, int to) throws HttpException {
        int colon = from;
        while (colon < to && SCHEME[a[colon - base] & 0xff]) {
            colon++;
        }
        if (colon == from || colon + 2 >= to || a[colon - base] != ':') {
            throw new HttpException(400, "invalid request target");
        }
        if (!isHttp(a, base, from, colon)) {
            throw new HttpException(400, "request target scheme not http or https");
        }
        if (a[colon + 1 - base] != '/' || a[colon + 2 - base] != '/') {
            throw new HttpException(400, "invalid request target");
        }
        return colon + 3;
    }

    private static boolean isHttp(byte[] a, int base, int from, int to) {
        int n = to - from;
        if (n != 4 && n != 5) {
            return false;
        }
        for (int k = 0; k < n; k++) {
            if ((a[from + k - base] | 0x20) != "https".charAt(k)) {
                return false;
            }
        }
        return true;
    }

    /**
     * Where the authority of an absolute-form target, starting at {@code from}, ends: before
     * its path or query. Throws unless it is a host, not empty, and an optional port: user
     * information ({@code user@}) is refused, as RFC 9110 4.2.4 deprecates it and it would
     * change what a Host rule sees.
     */
    static int authority(byte[] a, int base, int from, int to) throws HttpException {
        int end = from;
        while (end < to && AUTHORITY[a[end - base] & 0xff]) {
            if (a[end - base] == '@') {
                throw new HttpException(400, "user information in request target");
            }
            end++;
        }
        if (!hostAndPort(a, base, from, end, true)) {
            throw new HttpException(400, "invalid authority in request target");
        }
        return end;
    }

    /**
     * Whether [from, to) is {@code uri-host [":" port]} (RFC 9110 7.2, RFC 3986 3.2.2 and
     * 3.2.3): a reg-name or IPv4 address, or an IP-literal in brackets, then an optional colon
     * and digits, a port TCP can have (65535 at most; RFC 3986 allows any digits, no server
     * listens there). An empty host passes unless {@code hostRequired}.
     */
    static boolean hostAndPort(byte[] a, int base, int from, int to, boolean hostRequired) {
        int i = hostEnd(a, base, from, to);
        if (i < 0 || (hostRequired && i == from)) {
            return false;
        }
        if (i < to && a[i - base] == ':') {
            i++;
            int port = 0;
            while (i < to && a[i - base] >= '0' && a[i - base] <= '9') {
                port = Math.min(port * 10 + a[i - base] - '0', 1 << 20);
                i++;
            }
            if (port > 65535) {
                return false;
            }
        }
        return i == to;
    }

    /** The end of the host at {@code from}, or -1 for a malformed IP-literal. */
    private static int hostEnd(byte[] a, int base, int from, int to) {
        if (from < to && a[from - base] == '[') {
            for (int i = from + 1; i < to; i++) {
                if (a[i - base] == ']') {
                    return ipLiteral(a, base, from + 1, i) ? i + 1 : -1;
                }
            }
            return -1;
        }
        int i = from;
        while (i < to) {
            byte c = a[i - base];
            if (REG_NAME[c & 0xff]) {
                i++;
            } else if (c == '%' && escape(a, base, i, to)) {
                i += 3;
            } else {
                break;
            }
        }
        return i;
    }

    /**
     * IPv6address or IPvFuture ({@code "v" 1*HEXDIG "." 1*( unreserved / sub-delims / ":" )});
     * no zone identifier (RFC 6874), which HTTP clients do not send.
     */
    private static boolean ipLiteral(byte[] a, int base, int from, int to) {
        if (from < to && (a[from - base] | 0x20) == 'v') {
            int i = from + 1;
            while (i < to && hex(a[i - base])) {
                i++;
            }
            if (i == from + 1 || i >= to || a[i - base] != '.') {
                return false;
            }
            int rest = ++i;
            while (i < to && (REG_NAME[a[i - base] & 0xff] || a[i - base] == ':')) {
                i++;
            }
            return i == to && i > rest;
        }
        for (int i = from; i < to; i++) {
            if (!hex(a[i - base]) && a[i - base] != ':' && a[i - base] != '.') {
                return false;
            }
        }
        return NetUtil.isValidIpV6Address(new String(a, from - base, to - from, StandardCharsets.ISO_8859_1));
    }

    /** Whether a %-escape ({@code %} and two hex digits) starts at {@code i}. */
    private static boolean escape(byte[] a, int base, int i, int to) {
        return i + 2 < to && hex(a[i + 1 - base]) && hex(a[i + 2 - base]);
    }

    private static boolean hex(byte c) {
        return hexDigit(c) >= 0;
    }

    /** The value of hexadecimal digit {@code c}, or -1 when it is none. */
    static int hexDigit(int c) {
        if (c >= '0' && c <= '9') {
            return c - '0';
        }
        int l = c | 0x20;
        return l >= 'a' && l <= 'f' ? l - 'a' + 10 : -1;
    }

    /**
     * {@code s}, a query name, value or string a protocol node puts into a request target,
     * with what a query cannot hold %-escaped: white space, controls, DEL, {@code #}, and
     * characters past ASCII as their UTF-8 bytes (the target is written a byte per char, so
     * an {@code é} would otherwise go out as its ISO-8859-1 byte). {@code s} itself when it
     * needs none; a {@code %} stays, so escapes written in the configuration keep working.
     */
    static String queryText(String s) {
        int i = 0;
        while (i < s.length() && s.charAt(i) < 0x80 && TARGET[s.charAt(i)] != 0) {
            i++;
        }
        if (i == s.length()) {
            return s;
        }
        StringBuilder b = new StringBuilder(s.length() + 16).append(s, 0, i);
        for (byte c : s.substring(i).getBytes(StandardCharsets.UTF_8)) {
            int u = c & 0xff;
            if (u < 0x80 && TARGET[u] != 0) {
                b.append((char) u);
            } else {
                escape(b, u);
            }
        }
        return b.toString();
    }

    /**
     * {@code name}, the key of a query node, as it goes into a request target where an append
     * or change adds it: {@link #queryText} with {@code &}, {@code =} and {@code +} %-escaped
     * as well. A key is matched against decoded names, so it is a decoded name: written as it
     * is, {@code a&b} would add the variables {@code a} and {@code b}, and {@code a+b} would be
     * read as {@code a b}.
     */
    static String queryName(String name) {
        String s = queryText(name);
        if (s.indexOf('&') < 0 && s.indexOf('=') < 0 && s.indexOf('+') < 0) {
            return s;
        }
        StringBuilder b = new StringBuilder(s.length() + 8);
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '&' || c == '=' || c == '+') {
                escape(b, c);
            } else {
                b.append(c);
            }
        }
        return b.toString();
    }

    /** Appends the octet {@code u} as {@code %XX}, in upper case (RFC 3986 2.1). */
    static StringBuilder escape(StringBuilder b, int u) {
        return b.append('%').append(HEX[u >> 4]).append(HEX[u & 0xf]);
    }
}
