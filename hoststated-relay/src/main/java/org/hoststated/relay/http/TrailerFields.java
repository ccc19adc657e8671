package org.hoststated.relay.http;

import io.netty.buffer.ByteBuf;
import java.util.Collection;
import java.util.HashSet;
import java.util.Locale;
import java.util.Set;

/**
 * Which trailer fields of a chunked body {@link ChunkedFramer} removes in one direction: those
 * RFC 9110 6.5.1 says a sender must not put in trailers because they must be known before the
 * content (framing, routing, authentication, request modifiers, response control data, content
 * format), hop-by-hop fields, the fields proxies add to say where a request came from, and the
 * field names the relay's {@code header} actions for that direction act on. A server that merges
 * trailers into the header section (Apache httpd's {@code MergeTrailers on}, CVE-2013-5704;
 * frameworks that read trailers as headers) would otherwise take a client's trailer
 * {@code Host}, {@code Authorization} or {@code X-Forwarded-For} for a field that no action
 * checked or that the relay set (RFC 9110 6.5.2 forbids merging such fields, but not every
 * server heeds it). RFC 9112 7.1.2 lets a recipient discard trailer fields; the others
 * (digests, {@code Server-Timing}, {@code grpc-status}) pass as sent.
 * Names match without case and with {@code _} read as {@code -}, as servers that pass fields
 * on as variables read them ({@link HeadRewriter} drops such lookalikes from heads). Immutable;
 * one per relay and direction.
 */
final class TrailerFields {
    private static final Set<String> NOT_IN_TRAILERS = Set.of(
            // Framing and routing.
            "content-length", "transfer-encoding", "trailer", "host",
            // Hop-by-hop (RFC 9110 7.6.1).
            "connection", "keep-alive", "proxy-connection", "te", "upgrade", "http2-settings",
            // Where a request came from: what the relay or a proxy before it adds.
            "forwarded", "x-real-ip", "via",
            // Request controls (RFC 9110 7.6.2, 10.1; RFC 9111 5.2, 5.4).
            "cache-control", "expect", "max-forwards", "pragma", "range",
            // Content negotiation (RFC 9110 12.5) is a request modifier too.
            "accept",
            // Authentication and session state.
            "authorization", "proxy-authorization", "www-authenticate", "proxy-authenticate", "cookie",
            "set-cookie",
            // Response control data (RFC 9110 10.2; RFC 9111 5).
            "age", "date", "expires", "location", "retry-after", "vary", "warning",
            // Content format and metadata (RFC 9110 8).
            "content-encoding", "content-language", "content-location", "content-range", "content-type");
    /**
     * Families named by their prefix: the conditionals (If-Match, If-None-Match, If-Range,
     * If-Modified-Since, If-Unmodified-Since; WebDAV's If too), the Accept-* negotiation fields,
     * X-Forwarded-For, -By, -Host, -Proto and the like.
     */
    private static final String[] PREFIXES = {"if-", "accept-", "x-forwarded-"};

    /** The built-in fields alone: a direction without {@code header} actions. */
    static final TrailerFields BUILT_IN = new TrailerFields(Set.of());

    private final Set<String> configured;

    /** @param actionKeys the names the direction's {@code header} actions act on */
    TrailerFields(Collection<String> actionKeys) {
        Set<String> s = new HashSet<>();
        for (String k : actionKeys) {
            s.add(normal(k));
        }
        configured = Set.copyOf(s);
    }

    /** Whether the trailer field whose name is bytes [from, to) of b is removed. */
    boolean removes(ByteBuf b, int from, int to) {
        return removes(b, from, to, Set.of());
    }

    /**
     * Whether the trailer field whose name is bytes [from, to) of b is removed, also when it is
     * one of {@code named} (in {@link #normal} form): the message's own hop-by-hop fields.
     */
    boolean removes(ByteBuf b, int from, int to, Set<String> named) {
        char[] name = new char[to - from];
        for (int i = from; i < to; i++) {
            char c = (char) (b.getByte(i) & 0xff);
            name[i - from] = c == '_' ? '-' : c >= 'A' && c <= 'Z' ? (char) (c + ('a' - 'A')) : c;
        }
        String n = new String(name);
        return removes(n) || named.contains(n);
    }

    /** The names in the form trailer names are matched in: lower case, {@code _} read as {@code -}. */
    static Set<String> normal(Collection<String> names) {
        Set<String> s = new HashSet<>();
        for (String n : names) {
            s.add(normal(n));
        }
        return s;
    }

    private boolean removes(String name) {
        if (NOT_IN_TRAILERS.contains(name) || configured.contains(name)) {
            return true;
        }
        for (String p : PREFIXES) {
            if (name.startsWith(p)) {
                return true;
            }
        }
        // WebDAV's If (RFC 4918 10.4) is a conditional without the dash.
        return name.equals("if");
    }

    private static String normal(String name) {
        return name.toLowerCase(Locale.ROOT).replace('_', '-');
    }
}
