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
}
