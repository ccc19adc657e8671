package org.hoststated.relay.http;

import java.util.ArrayList;
import java.util.List;
import org.hoststated.core.config.Action;
import org.hoststated.core.config.Direction;
import org.hoststated.core.config.NodeType;
import org.hoststated.core.config.ProtocolConfig;
import org.hoststated.core.config.ProtocolNode;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The protocol nodes of one {@code protocol http}, split by direction in configuration order
 * (the order {@code mark}/{@code marked} follow), with what the relay needs to know up front:
 * whether requests feed the load-balancing hash. Immutable; shared by every session of a relay.
 */
final class HttpRules {
    private static final Logger log = LoggerFactory.getLogger(HttpRules.class);

    /**
     * One node with its key pre-encoded for matching header names; {@code keyBeyondAscii}: its
     * key has characters beyond ASCII (a path node's then matches the path's UTF-8 escapes
     * decoded, {@link TargetNormalizer#utf8Escapes}).
     */
    record Rule(ProtocolNode node, byte[] keyLower, boolean macros, boolean keyBeyondAscii) {
    }

    final List<Rule> request;
    final List<Rule> response;
    /** The trailer fields requests and responses lose: the built-in ones and the header actions' names. */
    final TrailerFields requestTrailers;
    final TrailerFields responseTrailers;
    final boolean hashes;
    final boolean returnError;
    final String errorStyle;

    HttpRules(ProtocolConfig protocol) {
        List<Rule> req = new ArrayList<>();
        List<Rule> res = new ArrayList<>();
        for (ProtocolNode n : protocol.nodes()) {
            if (n.editsFraming()) {
                // The relay delimits each body by the fields it received: a recipient that got
                // other ones would read the body, and what follows it, otherwise (a removed
                // Content-Length lets a request's body pass as the next request).
                // The parent warned of it with the configuration's file and line (ProtocolParser).
                log.debug("protocol {}: {} header {} on \"{}\" ignored: the relay frames messages by it",
                        protocol.name(), n.dir().name().toLowerCase(java.util.Locale.ROOT),
                        n.action().name().toLowerCase(java.util.Locale.ROOT), n.key());
                continue;
            }
            Rule r = new Rule(n, HttpHead.lower(n.key()), n.value() != null && n.value().contains("$"),
                    n.key().chars().anyMatch(c -> c >= 0x80));
            if (n.dir() == Direction.REQUEST) {
                req.add(r);
            } else if (n.type() == NodeType.HEADER) {
                res.add(r);
            } else {
                // A response has no query, cookie or path of its own (SPEC 1.7: request only).
                // The parent warned of it, in these words, at each start and reload; this
                // engine's warning said "node", a word the manual does not use (probe Y).
                String what = n.type().name().toLowerCase(java.util.Locale.ROOT);
                log.debug("protocol {}: response {} {} on \"{}\" has no effect: a response has no {} of its own",
                        protocol.name(), what, n.action().name().toLowerCase(java.util.Locale.ROOT), n.key(), what);
            }
        }
        request = List.copyOf(req);
        response = List.copyOf(res);
        requestTrailers = new TrailerFields(headerKeys(request));
        responseTrailers = new TrailerFields(headerKeys(response));
        hashes = req.stream().anyMatch(r -> r.node().action() == Action.HASH);
        returnError = protocol.returnError();
        errorStyle = protocol.errorStyle();
    }

    /** The names the {@code header} actions of {@code rules} act on. */
    private static List<String> headerKeys(List<Rule> rules) {
        return rules.stream().filter(r -> r.node().type() == NodeType.HEADER).map(r -> r.node().key()).toList();
    }
}
