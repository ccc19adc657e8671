package org.hoststated.core.config;

/** Parses {@code protocol <name> { ... }}. Runs in the loading thread; fills a protocol draft. */
final class ProtocolParser {
    /** The session macros an append or change value may hold (hoststated.conf(5)). */
    private static final String[] MACROS = {"$REMOTE_ADDR", "$REMOTE_PORT", "$SERVER_ADDR", "$SERVER_PORT", "$TIMEOUT"};

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
        boolean reserved = name.equals(ProtocolConfig.DEFAULT_NAME);
        Pos first = ctx.draft.protocols.stream().filter(o -> o.name.equals(name)).map(o -> o.pos).findFirst()
                .orElse(null);
        boolean twice = reserved || first != null;
        if (reserved) {
            ctx.diag.error(at, "protocol name " + name + " is reserved for the built-in protocol");
        } else if (twice) {
            ctx.diag.error(at, ParseContext.definedTwice("protocol", name, first));
        }
        ctx.block("protocol", () -> statement(p));
        if (p.httpPos != null && p.type != ProtocolType.HTTP) {
            // The relay runs the actions of an HTTP protocol only: without 'protocol http' a
            // filter lets everything through, as in the original, which said nothing.
            ctx.diag.warning(p.httpPos, "protocol " + name + " is " + p.type.name().toLowerCase(java.util.Locale.ROOT)
                    + ", not http: its " + p.httpWhat + " and the other HTTP actions have no effect"
                    + " (add 'protocol http')");
        }
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
            ctx.given(p.given, t, "protocol type");
            p.type = type();
        } else if (t.isKeyword("tcp")) {
            ctx.in.next();
            options.list(() -> options.tcp(p));
        } else if (t.isKeyword("ssl")) {
            ctx.in.next();
            options.list(() -> options.ssl(p));
        } else if (t.isKeyword("return")) {
            ctx.in.next();
            http(p, t, "return error");
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

    /** Notes the first HTTP-only statement of {@code p}, for the warning when it is not http. */
    private static void http(Draft.ProtocolDraft p, Token at, String what) {
        if (p.httpPos == null) {
            p.httpPos = Pos.of(at);
            p.httpWhat = what;
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
        if (type == NodeType.COOKIE && !WireText.isCookieName(key)) {
            // The Cookie field splits at ';' and each pair at its first '=': a name with either,
            // white space or a comma matches no cookie, and one written there adds other pairs.
            throw ctx.fail(at, "invalid cookie name: " + Messages.clip(key));
        }
        if (type == NodeType.QUERY && key.isEmpty()) {
            throw ctx.fail(at, "invalid query variable name: it is empty");
        }
        boolean writes = action == Action.APPEND || action == Action.CHANGE;
        if (writes && (type == NodeType.HEADER || type == NodeType.COOKIE) && WireText.hasControl(value, true)) {
            throw ctx.fail(at, what + " value contains a control character: " + Messages.clip(value));
        }
    }

    /**
     * Warns of text that reads like something it is not: a header, query or cookie key with
     * {@code *} or {@code ?} (only a path key is a pattern; the others name one field,
     * variable or cookie, as written; not {@code [}, which PHP's array cookies have), and a
     * macro in a pattern or key (macros are replaced only in the value that an append or
     * change writes, as in the original), which would be compared as the text
     * {@code $REMOTE_ADDR} and so never match.
     */
    private void checkLiterals(Token at, NodeType type, Action action, String key, String value) {
        String what = type.name().toLowerCase(java.util.Locale.ROOT);
        if (type != NodeType.PATH && (key.indexOf('*') >= 0 || key.indexOf('?') >= 0)) {
            ctx.diag.warning(at, what + " key " + Messages.clip(key) + " is a name, not a pattern: it matches only a "
                    + (type == NodeType.HEADER ? "field" : type == NodeType.QUERY ? "variable" : "cookie")
                    + " of that very name");
        }
        String macro = macroIn(key);
        boolean writes = action == Action.APPEND || action == Action.CHANGE;
        if (macro == null && !writes && value != null) {
            macro = macroIn(value);
        }
        if (macro != null) {
            ctx.diag.warning(at, macro + " in a " + (macroIn(key) != null ? "key" : "pattern")
                    + " is not replaced: macros are replaced only in the values of append and change");
        }
    }

    /** The first of the session macros that {@code s} holds, or null. */
    private static String macroIn(String s) {
        for (String m : MACROS) {
            if (s.contains(m)) {
                return m;
            }
        }
        return null;
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
        if (a.isString() && (a.text().equals("http") || a.text().equals("dns"))) {
            // The type alone, as relayd writes it before the block's name ("http protocol NAME").
            throw ctx.fail(a, "syntax error: a protocol's type is written 'protocol " + a.text() + "'");
        }
        if (a.kind() != Token.Kind.KEYWORD) {
            throw ctx.unexpectedStatement(a, "protocol option or action");
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
            default -> throw ctx.unexpectedStatement(a, "protocol option or action");
        }
        checkWireText(a, type, action, key, value);
        http(p, a, (dir == Direction.RESPONSE ? "response " : "") + type.name().toLowerCase(java.util.Locale.ROOT)
                + " " + a.text());
        checkLiterals(a, type, action, key, value);
        boolean matchAction = action == Action.EXPECT || action == Action.FILTER;
        boolean mark = matchAction && ctx.acceptKeyword("mark");
        boolean marked = !matchAction && ctx.acceptKeyword("marked");
        boolean log = ctx.acceptKeyword("log") || action == Action.LOG;
        Token late = ctx.in.peek();
        if (late.isKeyword("mark") || late.isKeyword("marked")) {
            // The grammar of the original: action [mark|marked] [log]; say which order it takes.
            String word = matchAction ? "mark" : "marked";
            String why;
            if (!late.text().equals(word)) {
                why = "'" + late.text() + "' does not go with " + a.text() + "; '" + word + "' does";
            } else if (mark || marked) {
                why = "'" + word + "' given twice";
            } else {
                why = "'" + word + "' goes before 'log'";
            }
            throw ctx.fail(late, why);
        }
        ProtocolNode node = new ProtocolNode(dir, type, action, key, value, mark, marked, log, p.label);
        if (node.editsFraming()) {
            ctx.diag.warning(a, a.text() + " on " + key + " is ignored: the relay frames messages by it");
        } else if (node.writesHopByHop()) {
            ctx.diag.warning(a, a.text() + " on " + key + ": a hop-by-hop field, sent as written; the relay does not act"
                    + " on it");
        } else if (node.writesConnectionOption()) {
            ctx.diag.warning(a, a.text() + " on " + key + ": an option other than close and keep-alive, sent as written;"
                    + " the relay does not act on it");
        } else if (node.removesHost()) {
            ctx.diag.warning(a, "remove on " + key + ": servers refuse an HTTP/1.1 request without Host (400)");
        } else if (node.writesBadHost()) {
            ctx.diag.warning(a, a.text() + " on " + key + (action == Action.APPEND
                    ? ": a request's Host becomes a list, which servers refuse (400)"
                    : ": \"" + value + "\" is not a host name or address with an optional port; servers refuse it (400)"));
        }
        if (type == NodeType.HEADER && key.indexOf('_') >= 0 && key.indexOf('$') < 0) {
            // CGI, PHP and WSGI read X-Debug and X_Debug as one variable: the action sees only
            // the '_' spelling. Matching the '-' one too was tried and not kept: an action on
            // Content_Length then took the request's real Content-Length away (probe V).
            ctx.diag.warning(a, a.text() + " on " + key + ": a header name with '_'; the action does not see the"
                    + " client's " + key.replace('_', '-') + ", which servers that pass headers on as variables"
                    + " (CGI, PHP, WSGI) read as the same one");
        }
        Direction d = dir;
        if (marked && p.nodes.stream().noneMatch(o -> o.dir() == d && o.mark())) {
            // Actions run in the order written and a mark is the message's: the original, which
            // wrote changes after the whole head, applied them wherever the mark was (probe Q).
            ctx.diag.warning(a, a.text() + " on " + key + " marked never applies: no expect or filter with mark comes"
                    + " before it in the " + dir.name().toLowerCase(java.util.Locale.ROOT) + " actions");
        }
        if (type == NodeType.PATH && !key.isEmpty() && "/*?[".indexOf(key.charAt(0)) < 0) {
            // Paths are matched in a form that begins with '/' (an append with its value and
            // key swapped comes here: probe X).
            ctx.diag.warning(a, "path " + a.text() + " on \"" + key + "\" never applies: paths begin with '/'");
        }
        if (action == Action.HASH && p.nodes.stream().anyMatch(o -> o.dir() == d && o.type() == node.type()
                && o.action() == Action.CHANGE && o.key().equalsIgnoreCase(node.key()) && o.value().indexOf('$') < 0)) {
            // Actions apply in order: the hash sees the value written, the same for every request (probe X).
            ctx.diag.warning(a, "hash on " + key + " after a change of it: every request feeds the value the change"
                    + " wrote, and all go to one host; write the hash first to feed what clients sent");
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
