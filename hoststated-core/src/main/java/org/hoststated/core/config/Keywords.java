package org.hoststated.core.config;

import java.util.Set;

/**
 * The reserved words: a bare word equal to one of them is that keyword, never a string.
 * The 4.2 list plus the later error, include, label, query, return and style. Our own
 * extensions (user, chroot, l3, ...) are deliberately not reserved: they are recognised by
 * position only, so tables or tags with those names keep working.
 */
final class Keywords {
    private static final Set<String> WORDS = Set.of(
            "all", "append", "backlog", "backup", "buffer", "cache", "change", "check", "ciphers",
            "code", "cookie", "demote", "digest", "disable", "error", "expect", "external",
            "filter", "forward", "from", "hash", "header", "host", "icmp", "include", "interface",
            "interval", "ip", "label", "listen", "loadbalance", "log", "lookup", "mark", "marked",
            "nat", "no", "nodelay", "nothing", "on", "path", "port", "prefork", "protocol", "query",
            "real", "relay", "remove", "request", "response", "retry", "return", "roundrobin",
            "sack", "script", "send", "service", "session", "socket", "ssl", "sticky-address",
            "style", "table", "tag", "tcp", "timeout", "to", "updates", "url", "virtual");

    private Keywords() {
    }

    static boolean isKeyword(String word) {
        return WORDS.contains(word);
    }
}
