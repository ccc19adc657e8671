package org.hoststated.core.config;

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
}
