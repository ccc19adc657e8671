package org.hoststated.relay.http;

import io.netty.util.NetUtil;
import java.net.InetSocketAddress;
import java.util.function.BiConsumer;

/**
 * What protocol rules may refer to within one session: the {@code $REMOTE_ADDR},
 * {@code $REMOTE_PORT}, {@code $SERVER_ADDR}, {@code $SERVER_PORT} and {@code $TIMEOUT}
 * macros (constant for the session, so each node's value is expanded once), and the
 * sink of the {@code log}ged fields (the session's close line, {@code SessionInfo.logValue}).
 * On the session's worker loop.
 */
final class SessionValues {
    private final InetSocketAddress remote;
    private final InetSocketAddress local;
    private final int timeoutSec;
    private final BiConsumer<String, String> log;
    /** The macros' values, made when a rule first uses one (most sessions never do); or null. */
    private String[] macros;

    SessionValues(InetSocketAddress remote, InetSocketAddress local, int timeoutSec, BiConsumer<String, String> log) {
        this.remote = remote;
        this.local = local;
        this.timeoutSec = timeoutSec;
        this.log = log;
    }

    /** {@code value} with the macros replaced and control characters dropped. */
    String expand(String value) {
        String s = value;
        if (s.indexOf('$') >= 0) {
            s = replace(s, "$REMOTE_ADDR", 0);
            s = replace(s, "$REMOTE_PORT", 1);
            s = replace(s, "$SERVER_ADDR", 2);
            s = replace(s, "$SERVER_PORT", 3);
            s = replace(s, "$TIMEOUT", 4);
        }
        return clean(s);
    }

    private String replace(String s, String macro, int which) {
        int at = s.indexOf(macro);
        if (at < 0) {
            return s;
        }
        String v = macro(which);
        boolean v6 = v.indexOf(':') >= 0;
        boolean address = which == 0 || which == 2;
        if (!v6 && (!address || s.indexOf('=') < 0)) {
            return s.replace(macro, v);   // nothing to bracket, no Forwarded node to quote
        }
        // An IPv6 address with a port after it is bracketed, as in a URI's authority:
        // "$SERVER_ADDR:$SERVER_PORT" in a Host change gave "::1:8080", which servers (and
        // this relay) refuse (probe AZ). Elsewhere, as in X-Forwarded-For, its plain form;
        // within brackets the operator wrote, as it is.
        // After "for=" or "by=", a Forwarded header's node (RFC 7239 6), it is a quoted string
        // with the brackets, its port inside the quotes: for="[2001:db8::7]:4711" (probe CB:
        // "for=::1" is no node a server can read).
        // An IPv4 address after "for=" with a port is quoted too, ':' being no token character.
        StringBuilder b = new StringBuilder(s.length() + v.length() + 4);
        int from = 0;
        for (; at >= 0; at = s.indexOf(macro, from)) {
            b.append(s, from, at);
            from = at + macro.length();
            boolean port = from < s.length() && s.charAt(from) == ':' && (at == 0 || s.charAt(at - 1) != '[');
            if (forwardedNode(s, at, false) && (v6 || port)) {
                b.append('"').append(v6 ? "[" : "").append(v).append(v6 ? "]" : "");
                int end = port ? nodeEnd(s, from) : from;
                b.append(s, from, end).append('"');
                from = end;
            } else if (v6 && forwardedNode(s, at, true)) {
                b.append('[').append(v).append(']');   // quoted by the operator: for="[2001:db8::7]"
            } else {
                b.append(port && v6 ? "[" : "").append(v).append(port && v6 ? "]" : "");
            }
        }
        return b.append(s, from, s.length()).toString();
    }

    /**
     * Whether the text before {@code at} ends with a Forwarded parameter's "for=" or "by=",
     * followed by the operator's opening quote when {@code quoted}.
     */
    private static boolean forwardedNode(String s, int at, boolean quoted) {
        String q = quoted ? "\"" : "";
        return parameter(s, at - 4 - q.length(), "for=" + q) || parameter(s, at - 3 - q.length(), "by=" + q);
    }

    /** Whether {@code s} has parameter {@code p} at {@code at}, where a parameter begins (not "nearby="). */
    private static boolean parameter(String s, int at, String p) {
        return s.regionMatches(true, at, p, 0, p.length()) && (at == 0 || ";, \t".indexOf(s.charAt(at - 1)) >= 0);
    }

    /** Where the node's port from {@code from} (its ':') ends: at a parameter's or element's end. */
    private static int nodeEnd(String s, int from) {
        int i = from + 1;
        while (i < s.length() && ";, \t\"".indexOf(s.charAt(i)) < 0) {
            i++;
        }
        return i;
    }

    /** Drops characters that could end a header line (a value must never inject one). */
    static String clean(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if ((c < 0x20 && c != '\t') || c == 0x7f) {
                StringBuilder b = new StringBuilder(s.length());
                for (int k = 0; k < s.length(); k++) {
                    char x = s.charAt(k);
                    if ((x >= 0x20 || x == '\t') && x != 0x7f) {
                        b.append(x);
                    }
                }
                return b.toString();
            }
        }
        return s;
    }

    /** The value of macro {@code which}, made on first use (most sessions use none or one). */
    private String macro(int which) {
        if (macros == null) {
            macros = new String[5];
        }
        String v = macros[which];
        if (v == null) {
            v = switch (which) {
                // RFC 5952 text (2001:db8::7), as relayd's getnameinfo gave it; Java's own
                // (2001:db8:0:0:0:0:0:7, with a scope) is not what servers compare addresses to.
                case 0 -> NetUtil.toAddressString(remote.getAddress());
                case 1 -> Integer.toString(remote.getPort());
                case 2 -> NetUtil.toAddressString(local.getAddress());
                case 3 -> Integer.toString(local.getPort());
                default -> Integer.toString(timeoutSec);
            };
            macros[which] = v;
        }
        return v;
    }

    /**
     * Adds {@code key: value} to the session's close line; a value read as ISO-8859-1 that is
     * UTF-8 (as peers send it) as its text, which the log would otherwise write as two
     * characters per byte ({@code cafÃ©}).
     */
    void log(String key, String value) {
        log.accept(key, TargetNormalizer.utf8(value));
    }
}
