package org.hoststated.relay.http;

import java.util.HashSet;
import java.util.Locale;
import java.util.Set;
import java.util.function.IntConsumer;

/**
 * Finds what a proxy must not forward (RFC 9110 7.6.1) in a head that {@link HttpHead} marked
 * {@code hopByHop}: the fields named by Connection options, Keep-Alive, Proxy-Connection, TE
 * unless it is an HTTP/1.1 request's {@code TE: trailers}, and Upgrade unless the head also
 * has the upgrade option (an upgrade the relay relays; never in a request with a body or one
 * offering h2c, see {@link HttpHead#upgradeRelayed}), and that option without an Upgrade field. Connection keeps only close, keep-alive and that upgrade
 * (with HTTP2-Settings, should a server's upgrade use it): a client can no longer name a field the
 * relay adds (an appended X-Forwarded-For) for the next proxy to strip, nor a field for the
 * relay to drop after the rules checked it.
 *
 * <p>An HTTP/1.1 client's {@code TE: trailers} goes on as the relay's own: the relay passes a
 * chunked response's trailer fields to that client, and servers that send trailers only when
 * asked (gRPC-style ones) left them out behind it (probe C; HAProxy passes it too). The
 * transfer codings a TE offers besides go: the relay does not decode them.
 *
 * <p>The fields the relay reads to frame or route the message (Content-Length,
 * Transfer-Encoding, Host) stay even when named: the relay delimited the body by them and
 * rules matched them, so the server must see them too. Stateless; {@link HeadRewriter} calls
 * it before any protocol node runs.
 */
final class HopByHopFields {
    /** Edits the head's fields: the field {@code field} (a Connection or TE field) now says {@code value}. */
    interface ConnectionEdit {
        void set(int field, String value);
    }

    private static final Set<String> FRAMING = Set.of("connection", "content-length", "transfer-encoding", "host");
    /** The options a relayed upgrade keeps: the upgrade itself and HTTP2-Settings. */
    private static final Set<String> UPGRADE_OPTIONS = Set.of("upgrade", "http2-settings");

    private HopByHopFields() {
    }

    /** Drops the hop-by-hop fields of {@code h} and trims its Connection fields to what the relay means. */
    static void remove(HttpHead h, IntConsumer drop, ConnectionEdit connection) {
        boolean upgrade = h.upgradeRelayed();
        Set<String> named = new HashSet<>();
        for (int f = 0; f < h.fields; f++) {
            if (h.nameIs(f, HttpHead.CONNECTION)) {
                String kept = relayTokens(h.value(f), upgrade, named);
                if (kept.isEmpty()) {
                    drop.accept(f);
                } else if (!kept.equals(h.value(f))) {
                    connection.set(f, kept);
                }
            }
        }
        for (int f = 0; f < h.fields; f++) {
            if (h.nameIs(f, HttpHead.TE)) {
                te(h, f, drop, connection);
            } else if (!h.nameIs(f, HttpHead.CONNECTION) && hopByHop(h, f, upgrade, named)) {
                drop.accept(f);
            }
        }
    }

    /**
     * An HTTP/1.1 request's TE goes on as {@code trailers} when it offers trailers (as
     * HAProxy keeps that token alone), and as it is when that is all it says; any other TE
     * goes. Probe G: {@code TE: trailers, deflate} went as a whole.
     */
    private static void te(HttpHead h, int field, IntConsumer drop, ConnectionEdit edit) {
        String value = h.value(field);
        boolean trailers = false;
        for (String element : value.split(",")) {
            trailers |= element.split(";", 2)[0].strip().equalsIgnoreCase("trailers");
        }
        if (!h.request || h.version != 11 || !trailers) {
            drop.accept(field);
        } else if (!value.strip().equalsIgnoreCase("trailers")) {
            edit.set(field, "trailers");
        }
    }

    /**
     * The field names the Connection options of {@code h} name, in lower case (none when it has
     * no option but close, keep-alive and upgrade): they are hop-by-hop in the message's
     * trailers too (RFC 9110 7.6.1), which {@link ChunkedFramer} removes them from.
     */
    static Set<String> named(HttpHead h) {
        if (!h.namesFields()) {
            return Set.of();
        }
        Set<String> named = new HashSet<>();
        for (int f = 0; f < h.fields; f++) {
            if (h.nameIs(f, HttpHead.CONNECTION)) {
                relayTokens(h.value(f), false, named);
            }
        }
        return named;
    }

    /** The close, keep-alive (and, if kept, upgrade) options of {@code value}; the others go to named. */
    private static String relayTokens(String value, boolean upgrade, Set<String> named) {
        StringBuilder kept = new StringBuilder();
        for (String option : value.split(",")) {
            String o = option.strip().toLowerCase(Locale.ROOT);
            if (o.equals("close") || o.equals("keep-alive") || (upgrade && UPGRADE_OPTIONS.contains(o))) {
                kept.append(kept.isEmpty() ? "" : ", ").append(option.strip());
            } else if (!o.isEmpty() && !o.equals("upgrade")) {
                named.add(o);
            }
        }
        return kept.toString();
    }

    private static boolean hopByHop(HttpHead h, int field, boolean upgrade, Set<String> named) {
        if (h.nameIs(field, HttpHead.KEEP_ALIVE) || h.nameIs(field, HttpHead.PROXY_CONNECTION)) {
            return true;
        }
        if (h.nameIs(field, HttpHead.UPGRADE)) {
            return !upgrade;
        }
        if (named.isEmpty()) {
            return false;
        }
        String name = h.name(field).toLowerCase(Locale.ROOT);
        return named.contains(name) && !FRAMING.contains(name);
    }
}
