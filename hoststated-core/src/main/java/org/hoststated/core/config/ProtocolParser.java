package org.hoststated.core.config;

/** Parses {@code protocol <name> { ... }}. Runs in the loading thread; fills a protocol draft. */
final class ProtocolParser {
    private final ParseContext ctx;
    private final ProtocolOptionParser options;

    ProtocolParser(ParseContext ctx) {
        this.ctx = ctx;
        this.options = new ProtocolOptionParser(ctx);
    }

    /** The {@code protocol} keyword is next. */
    void parse() {
        Token kw = ctx.in.next();
        Token at = ctx.in.peek();
        String name = ctx.name("protocol", ParseContext.MAX_NAME);
        Draft.ProtocolDraft p = new Draft.ProtocolDraft(name, Pos.of(kw));
        boolean twice = name.equals(ProtocolConfig.DEFAULT_NAME)
                || ctx.draft.protocols.stream().anyMatch(o -> o.name.equals(name));
        if (twice) {
            ctx.diag.error(at, "protocol " + name + " defined twice");
        }
        ctx.block("protocol", () -> statement(p));
        if (!twice) {
            ctx.draft.protocols.add(p);
        }
        if (!p.tls) {
            ctx.diag.error(p.tlsPos, "invalid SSL protocol: protocol " + name
                    + " enables no ssl version");
        }
    }

    private void statement(Draft.ProtocolDraft p) {
        Token t = ctx.in.peek();
        if (t.isKeyword("protocol")) {
            ctx.in.next();
            p.type = type();
        } else if (t.isKeyword("tcp")) {
            ctx.in.next();
            options.list(() -> options.tcp(p));
        } else if (t.isKeyword("ssl")) {
            ctx.in.next();
            options.list(() -> options.ssl(p));
        } else if (t.isKeyword("return")) {
            ctx.in.next();
            ctx.keyword("error");
            p.returnError = true;
            if (ctx.acceptKeyword("style")) {
                Token at = ctx.in.peek();
                p.errorStyle = ctx.string("style");
                if (p.errorStyle.indexOf('<') >= 0) {
                    // The style goes into the page's <style> element as it is.
                    throw ctx.fail(at, "error style must not contain '<'");
                }
            }
        } else if (t.isKeyword("label")) {
            ctx.in.next();
            p.label = ctx.string("label");
        } else if (t.isKeyword("no") && ctx.in.peek(1).isKeyword("label")) {
            ctx.in.next();
            ctx.in.next();
            p.label = null;
        } else {
            node(p);
        }
    }

    /**
     * Refuses rule text that would break the message it is written into: a header name that is
     * no token, or a control character (a CR LF adds a line) in a key or in a header or cookie
     * value. Query and path values are %-escaped as they go into the request target, and match
     * patterns are only compared, so they stay free.
     */
    private void checkWireText(Token at, NodeType type, Action action, String key, String value) {
        String what = type.name().toLowerCase(java.util.Locale.ROOT);
        if (type == NodeType.HEADER && !WireText.isToken(key)) {
            throw ctx.fail(at, "invalid header name: " + Messages.clip(key));
        }
        if (WireText.hasControl(key, false)) {
            throw ctx.fail(at, what + " key contains a control character: " + Messages.clip(key));
        }
        boolean writes = action == Action.APPEND || action == Action.CHANGE;
        if (writes && (type == NodeType.HEADER || type == NodeType.COOKIE) && WireText.hasControl(value, true)) {
            throw ctx.fail(at, what + " value contains a control character: " + Messages.clip(value));
        }
    }

    private ProtocolType type() {
        Token t = ctx.in.next();
        if (t.isKeyword("tcp")) {
            return ProtocolType.TCP;
        }
        if (t.isString() && t.text().equals("http")) {
            return ProtocolType.HTTP;
        }
        if (t.isString() && t.text().equals("dns")) {
            return ProtocolType.DNS;
        }
        if (t.isString()) {
            throw ctx.fail(t, "invalid protocol type: " + Messages.clip(t.text()));
        }
        throw ctx.unexpected(t, "protocol type");
    }

    /** {@code [request|response] [header|query|url|cookie|path] action ... [log]} */
    private void node(Draft.ProtocolDraft p) {
        Direction dir = Direction.REQUEST;
        if (ctx.acceptKeyword("request")) {
            dir = Direction.REQUEST;
        } else if (ctx.acceptKeyword("response")) {
            dir = Direction.RESPONSE;
        }
        NodeType type = NodeType.HEADER;
        Token t = ctx.in.peek();
        if (t.isKeyword("header")) {
            ctx.in.next();
        } else if (t.isKeyword("query") || t.isKeyword("url")) {
            ctx.in.next();
            type = NodeType.QUERY;
        } else if (t.isKeyword("cookie")) {
            ctx.in.next();
            type = NodeType.COOKIE;
        } else if (t.isKeyword("path")) {
            ctx.in.next();
            type = NodeType.PATH;
        }
        Token a = ctx.in.next();
        if (a.kind() != Token.Kind.KEYWORD) {
            throw ctx.unexpected(a, "protocol option or action");
        }
        String key;
        String value = null;
        Action action;
        switch (a.text()) {
            case "append" -> {
                action = Action.APPEND;
                value = ctx.string("value");
                ctx.keyword("to");
                key = ctx.string("key");
            }
            case "change" -> {
                action = Action.CHANGE;
                key = ctx.string("key");
                ctx.keyword("to");
                value = ctx.string("value");
            }
            case "expect", "filter" -> {
                action = a.text().equals("expect") ? Action.EXPECT : Action.FILTER;
                value = ctx.string("pattern");
                ctx.keyword("from");
                key = ctx.string("key");
            }
            case "remove" -> {
                action = Action.REMOVE;
                key = ctx.string("key");
            }
            case "hash" -> {
                action = Action.HASH;
                key = ctx.string("key");
            }
            case "log" -> {
                action = Action.LOG;
                key = ctx.string("key");
            }
            default -> throw ctx.unexpected(a, "protocol option or action");
        }
        checkWireText(a, type, action, key, value);
        boolean matchAction = action == Action.EXPECT || action == Action.FILTER;
        boolean mark = matchAction && ctx.acceptKeyword("mark");
        boolean marked = !matchAction && ctx.acceptKeyword("marked");
        boolean log = ctx.acceptKeyword("log") || action == Action.LOG;
        ProtocolNode node = new ProtocolNode(dir, type, action, key, value, mark, marked, log, p.label);
        if (node.editsFraming()) {
            ctx.diag.warning(a, a.text() + " on " + key + " is ignored: the relay frames messages by it");
        }
        if (dir == Direction.RESPONSE && type != NodeType.HEADER) {
            // The relay skips it (SPEC 1.7: request only); say so where the operator checks the file.
            String what = type.name().toLowerCase(java.util.Locale.ROOT);
            ctx.diag.warning(a, "response " + what + " " + a.text() + " has no effect: a response has no " + what
                    + " of its own");
        } else if (dir == Direction.RESPONSE && action == Action.HASH) {
            // The host is chosen before the request goes out: nothing of the response can feed it.
            ctx.diag.warning(a, "response header hash has no effect: the request chooses the host");
        }
        p.nodes.add(node);
    }
}
