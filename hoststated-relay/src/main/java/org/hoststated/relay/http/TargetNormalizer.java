package org.hoststated.relay.http;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * The forms of a request target's path and query that {@code path} and {@code query} rules
 * match, so that spellings a server reads as the same resource or value match the same
 * pattern ({@code /%61dmin}, {@code //admin}, {@code /x/../admin} all read as
 * {@code /admin}; {@code q=%61ttack} as {@code q=attack}). The target itself is forwarded as
 * received: these forms are only matched.
 *
 * <p>Input that needs nothing done is returned as the same {@code String}, so a plain target
 * costs a scan and no allocation. Stateless.
 */
final class TargetNormalizer {
    private TargetNormalizer() {
    }

    /**
     * The path as rules match it: escapes of ASCII characters decoded, as servers read the
     * path, but for those of {@code / \ %} ({@link #decodedInPath}), which stay escaped with
     * upper-case hex digits, as do bytes beyond ASCII; runs of slashes
     * merged into one (as nginx's and Apache's defaults do), then dot segments removed
     * (RFC 3986 5.2.4), so that a decoded {@code %2E} counts as a dot. Slashes are merged
     * first, as nginx does, so {@code /a//../b} is {@code /b}. Dot segments are removed only
     * from a path starting with {@code /} (not from {@code *}). An encoded slash or backslash
     * stays encoded here: see {@link #pathWithSlashesDecoded}.
     *
     * @throws HttpException 400 for a {@code %} not followed by two hex digits
     */
    static String path(String raw) throws HttpException {
        if (!needsWork(raw)) {
            return raw;
        }
        return normalise(raw, false);
    }

    /**
     * The path as a server that reads {@code %2F} and {@code %5C} as separators sees it (nginx
     * decodes {@code %2F} to one, so its {@code /%2Fadmin} is {@code /admin}; IIS takes a
     * backslash for one), or null when the path has neither: servers disagree there, so a rule
     * matches both forms rather than refusing such paths, which APIs use as data
     * ({@code /api/v4/projects/group%2Fname}).
     */
    static String pathWithSlashesDecoded(String raw) throws HttpException {
        for (int i = raw.indexOf('%'); i >= 0; i = raw.indexOf('%', i + 1)) {
            int v = octet(raw, i);
            if (v == '/' || v == '\\') {
                return normalise(raw, true);
            }
        }
        return null;
    }

    /**
     * The path as a servlet container reads it, or null when it has no {@code ;}: Tomcat and
     * Jetty cut each segment's path parameters ({@code ;jsessionid=...}) before they decode
     * and remove dot segments, so their {@code /..;/admin} is {@code /admin}, which the form
     * of {@link #path} keeps as a segment named {@code ..;}. A rule matches this form too.
     */
    static String pathWithParametersRemoved(String raw) throws HttpException {
        if (raw.indexOf(';') < 0) {
            return null;
        }
        StringBuilder out = new StringBuilder(raw.length());
        boolean inParameters = false;
        for (int i = 0, n = raw.length(); i < n; i++) {
            char c = raw.charAt(i);
            if (c == '/') {
                inParameters = false;
            } else if (c == ';') {
                inParameters = true;
            }
            if (!inParameters) {
                out.append(c);
            }
        }
        return normalise(out.toString(), false);
    }

    private static String normalise(String raw, boolean slashes) throws HttpException {
        String merged = decodeAndMergeSlashes(raw, slashes);
        return merged.startsWith("/") ? removeDotSegments(merged) : merged;
    }

    /** Whether {@code raw} has an escape, a {@code //} or a {@code /.}: else it is its own form. */
    private static boolean needsWork(String raw) {
        int n = raw.length();
        for (int i = 0; i < n; i++) {
            char c = raw.charAt(i);
            if (c == '%') {
                return true;
            }
            if (c == '/' && i + 1 < n && (raw.charAt(i + 1) == '/' || raw.charAt(i + 1) == '.')) {
                return true;
            }
        }
        return false;
    }

    private static String decodeAndMergeSlashes(String raw, boolean slashes) throws HttpException {
        int n = raw.length();
        StringBuilder out = new StringBuilder(n);
        for (int i = 0; i < n; i++) {
            char c = raw.charAt(i);
            if (c == '%') {
                int v = escape(raw, i);
                i += 2;
                if (slashes && (v == '/' || v == '\\')) {
                    c = '/';
                } else {
                    if (decodedInPath(v)) {
                        out.append((char) v);
                    } else {
                        UriSyntax.escape(out, v);
                    }
                    continue;
                }
            }
            if (c != '/' || out.isEmpty() || out.charAt(out.length() - 1) != '/') {
                out.append(c);
            }
        }
        return out.toString();
    }

    /**
     * RFC 3986 5.2.4 on a path that starts with {@code /} and has no empty segment but maybe
     * the last: {@code .} segments go, {@code ..} takes the segment before it (none above the
     * root), and a path ending in either keeps a final slash.
     */
    private static String removeDotSegments(String p) {
        int n = p.length();
        StringBuilder out = new StringBuilder(n);
        int i = 0;
        while (i < n) {
            int end = p.indexOf('/', i + 1);
            if (end < 0) {
                end = n;
            }
            boolean last = end == n;
            int len = end - i - 1;
            if (len == 1 && p.charAt(i + 1) == '.') {
                if (last) {
                    out.append('/');
                }
            } else if (len == 2 && p.charAt(i + 1) == '.' && p.charAt(i + 2) == '.') {
                int cut = out.lastIndexOf("/");
                out.setLength(Math.max(cut, 0));
                if (last) {
                    out.append('/');
                }
            } else {
                out.append(p, i, end);
            }
            i = end;
        }
        return out.isEmpty() ? "/" : out.toString();
    }

    /**
     * A query name, value or whole query string as rules match it, decoded as
     * application/x-www-form-urlencoded is (and as PHP, Python, Java servlets, Go and Rack
     * read queries): {@code +} is a space and every escape is decoded; the bytes are read as
     * UTF-8 (the configuration's encoding), or as ISO-8859-1 when they are not UTF-8. A
     * {@code %} without two hex digits stays as it is, as those servers read it
     * ({@code ?q=100%} is what a browser sends for what its user typed).
     */
    static String query(String raw) {
        return decoded(raw, true);
    }

    /**
     * A field value, read one char per byte, as a server that reads it as UTF-8 sees it; the
     * same {@code String} when it is ASCII or not UTF-8.
     */
    static String utf8(String raw) {
        int i = 0;
        while (i < raw.length() && raw.charAt(i) < 0x80) {
            i++;
        }
        if (i == raw.length()) {
            return raw;
        }
        byte[] bytes = raw.getBytes(StandardCharsets.ISO_8859_1);
        String text = utf8OrNull(bytes, bytes.length);
        return text != null ? text : raw;
    }

    /**
     * A Host value as servers choose a virtual host by it: without its port (or the colon of
     * an empty one) and without a trailing dot, as nginx reads {@code admin.example.com.:80}
     * as {@code admin.example.com}. The same {@code String} when it has neither.
     */
    static String host(String raw) {
        int end = raw.length();
        int colon = raw.startsWith("[") ? raw.indexOf("]:") + 1 : raw.indexOf(':');
        if (colon > 0) {
            end = colon;
        }
        if (end > 1 && raw.charAt(end - 1) == '.') {
            end--;
        }
        return end == raw.length() ? raw : raw.substring(0, end);
    }

    /**
     * A cookie name or value as PHP and Express read it: escapes decoded as in {@link #query},
     * but {@code +} kept (base64 values carry it). The same {@code String} when there is
     * nothing to decode.
     */
    static String cookie(String raw) {
        return decoded(raw, false);
    }

    private static String decoded(String raw, boolean plusIsSpace) {
        if (plain(raw, plusIsSpace)) {
            return raw;
        }
        int n = raw.length();
        byte[] bytes = new byte[n];
        int len = 0;
        boolean ascii = true;
        for (int i = 0; i < n; i++) {
            char c = raw.charAt(i);
            if (c > 0xff) {
                // Text from the configuration, not octets of a head: nothing to decode.
                return raw;
            }
            int v = c == '+' && plusIsSpace ? ' ' : c;
            int escaped = c == '%' ? octet(raw, i) : -1;
            if (escaped >= 0) {
                v = escaped;
                i += 2;
            }
            ascii &= v < 0x80;
            bytes[len++] = (byte) v;
        }
        String text = ascii ? null : utf8OrNull(bytes, len);
        // Not UTF-8: each byte is one character, as the head's other bytes are read.
        return text != null ? text : new String(bytes, 0, len, StandardCharsets.ISO_8859_1);
    }

    /** Whether {@code raw} has no escape, no {@code +} to read and no byte of a UTF-8 sequence to decode. */
    private static boolean plain(String raw, boolean plusIsSpace) {
        for (int i = 0, n = raw.length(); i < n; i++) {
            char c = raw.charAt(i);
            if (c == '%' || c == '+' && plusIsSpace || c >= 0x80) {
                return false;
            }
        }
        return true;
    }

    /** The octet of the escape at {@code s[i] == '%'}; 400 if two hex digits do not follow. */
    private static int escape(String s, int i) throws HttpException {
        int v = octet(s, i);
        if (v < 0) {
            throw new HttpException(400, "invalid percent escape in the request path");
        }
        return v;
    }

    /** The octet of the escape at {@code s[i] == '%'}, or -1 when two hex digits do not follow. */
    /**
     * {@code form} (a path form above, or null) with each run of escapes of bytes beyond ASCII
     * that is UTF-8 decoded to its text, the rest as it is: what a path pattern written with
     * characters beyond ASCII is matched with, so that {@code /%C3%9CBER} meets
     * {@code /über*} with case ignored. The same {@code String} when there is no such run.
     */
    static String utf8Escapes(String form) {
        if (form == null || form.indexOf('%') < 0) {
            return form;
        }
        StringBuilder out = null;
        int n = form.length();
        for (int i = 0; i < n; ) {
            int end = i;
            while (end < n && form.charAt(end) == '%' && octet(form, end) >= 0x80) {
                end += 3;
            }
            if (end == i) {
                if (out != null) {
                    out.append(form.charAt(i));
                }
                i++;
                continue;
            }
            byte[] bytes = new byte[(end - i) / 3];
            for (int k = 0; k < bytes.length; k++) {
                bytes[k] = (byte) octet(form, i + 3 * k);
            }
            String text = utf8OrNull(bytes, bytes.length); // not UTF-8: kept escaped
            if (text != null && out == null) {
                out = new StringBuilder(n).append(form, 0, i);
            }
            if (out != null) {
                out.append(text != null ? text : form.substring(i, end));
            }
            i = end;
        }
        return out == null ? form : out.toString();
    }

    /** The first {@code len} bytes read as UTF-8, or null when they are not UTF-8. */
    private static String utf8OrNull(byte[] bytes, int len) {
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes, 0, len)).toString();
        } catch (CharacterCodingException e) {
            return null;
        }
    }

    private static int octet(String s, int i) {
        int hi = i + 1 < s.length() ? UriSyntax.hexDigit(s.charAt(i + 1)) : -1;
        int lo = i + 2 < s.length() ? UriSyntax.hexDigit(s.charAt(i + 2)) : -1;
        return hi < 0 || lo < 0 ? -1 : hi << 4 | lo;
    }

    /**
     * Whether the path's form has the escape of ASCII {@code c} decoded: all but a slash and a
     * backslash (the separators servers disagree on, {@link #pathWithSlashesDecoded}) and
     * {@code %} itself (a decoded {@code %25C3} would read as an escape to
     * {@link #utf8Escapes}); bytes beyond ASCII stay escaped for that method. Servers (nginx,
     * Apache, Tomcat, Go) decode the path before they route it, so {@code /%40admin} is their
     * {@code /@admin}: the unreserved characters alone left {@code path filter "*" from "/@admin*"}
     * passed by its escape, and a pattern with a space never matched (review CJ).
     */
    private static boolean decodedInPath(int c) {
        return c < 0x80 && c != '/' && c != '\\' && c != '%';
    }
}
