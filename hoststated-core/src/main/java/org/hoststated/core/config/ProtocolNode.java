package org.hoststated.core.config;

import java.util.Locale;
import java.util.Set;

/**
 * A header/query/cookie/path action of a protocol; used by relay. Immutable.
 *
 * @param key header (or variable, cookie, path) name
 * @param value value or glob; null for remove, hash and log
 * @param mark set the session mark when an expect/filter matches
 * @param marked apply only when a mark was set earlier in the same message
 * @param log log the key and value when the session closes
 * @param label text shown on error pages for this node, or null
 */
public record ProtocolNode(Direction dir, NodeType type, Action action, String key, String value,
        boolean mark, boolean marked, boolean log, String label) {
    /** Hop-by-hop fields (RFC 9110 7.6.1) whose text the relay does not act on, lower case. */
    private static final Set<String> HOP_BY_HOP = Set.of("keep-alive", "proxy-connection", "te", "upgrade",
            "http2-settings");

    public ProtocolNode(Direction dir, NodeType type, Action action, String key, String value,
            boolean mark, boolean marked, boolean log) {
        this(dir, type, action, key, value, mark, marked, log, null);
    }

    /**
     * Whether this would add, change or remove a header that frames the message body
     * (Content-Length, Transfer-Encoding): the HTTP relay ignores such a node, since it
     * delimits each body by the fields it received, and the parser warns about it.
     */
    public boolean editsFraming() {
        boolean edits = action == Action.APPEND || action == Action.CHANGE || action == Action.REMOVE;
        return edits && type == NodeType.HEADER
                && (key.equalsIgnoreCase("Content-Length") || key.equalsIgnoreCase("Transfer-Encoding"));
    }

    /**
     * Whether this would add or change a hop-by-hop field other than Connection: the relay
     * drops the peer's own before the actions run and sends what an action writes as it is,
     * without acting on it (an Upgrade it wrote opens no tunnel), so the parser warns.
     */
    public boolean writesHopByHop() {
        return writesHeader() && HOP_BY_HOP.contains(key.toLowerCase(Locale.ROOT));
    }

    /**
     * Whether this would write a Connection option other than close and keep-alive (the
     * relay acts on close alone; an upgrade it wrote opens no tunnel), so the parser warns.
     */
    public boolean writesConnectionOption() {
        if (!writesHeader() || !key.equalsIgnoreCase("Connection") || value == null) {
            return false;
        }
        for (String option : value.split(",")) {
            String o = option.strip();
            if (!o.isEmpty() && !o.equalsIgnoreCase("close") && !o.equalsIgnoreCase("keep-alive")) {
                return true;
            }
        }
        return false;
    }

    /** Whether this adds to or sets a header. */
    private boolean writesHeader() {
        return type == NodeType.HEADER && (action == Action.APPEND || action == Action.CHANGE);
    }

    /** A Host field's value as RFC 9110 7.2 has it: a host name or IPv4 address, or an IPv6 one in brackets; a port. */
    private static final java.util.regex.Pattern HOST_VALUE =
            java.util.regex.Pattern.compile("([A-Za-z0-9._~!&'()*+;=%-]+|\\[[0-9A-Fa-f:.]+\\])(:[0-9]*)?");

    /**
     * Whether this writes a request Host that servers refuse: an append makes a list of the
     * client's Host (an HTTP/1.1 request always has one); a change to a literal that is no
     * host and port. A value with a macro is only known at run time.
     */
    public boolean writesBadHost() {
        if (type != NodeType.HEADER || dir != Direction.REQUEST || !key.equalsIgnoreCase("Host")) {
            return false;
        }
        return action == Action.APPEND
                || action == Action.CHANGE && value != null && value.indexOf('$') < 0 && !hostAndPort(value);
    }

    /** Whether {@code v} is a host name or address with an optional port of at most 65535 (probe AH: 99999 passed). */
    private static boolean hostAndPort(String v) {
        java.util.regex.Matcher m = HOST_VALUE.matcher(v);
        if (!m.matches()) {
            return false;
        }
        String port = m.group(2) == null ? "" : m.group(2).substring(1);
        return port.length() <= 5 && (port.isEmpty() || Integer.parseInt(port) <= 65535);
    }

    /** Whether this removes a request's Host, without which an HTTP/1.1 request is invalid (RFC 9112 3.2). */
    public boolean removesHost() {
        return type == NodeType.HEADER && action == Action.REMOVE && dir == Direction.REQUEST
                && key.equalsIgnoreCase("Host");
    }
}
