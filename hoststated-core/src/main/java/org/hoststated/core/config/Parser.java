package org.hoststated.core.config;

/**
 * Parses the top level of hoststated.conf: macros, global options, includes, and the four
 * kinds of blocks, each handed to its own parser. Runs in the loading thread; the result is a
 * {@link Draft}. Every error is reported and parsing goes on with the next statement.
 */
final class Parser {
    private final ParseContext ctx;
    private final TableParser tables;
    private final ServiceParser services;
    private final RelayParser relays;
    private final ProtocolParser protocols;

    Parser(ParseContext ctx) {
        this.ctx = ctx;
        this.tables = new TableParser(ctx);
        this.services = new ServiceParser(ctx);
        this.relays = new RelayParser(ctx);
        this.protocols = new ProtocolParser(ctx);
    }

    void parse() {
        while (!ctx.diag.gaveUp()) {
            Token t = ctx.in.peek();
            if (t.is(Token.Kind.EOF)) {
                return;
            }
            if (t.is(Token.Kind.NEWLINE)) {
                ctx.in.next();
                continue;
            }
            ctx.guarded(this::statement);
        }
    }

    private void statement() {
        Token t = ctx.in.peek();
        if (ctx.in.peek(1).is(Token.Kind.EQUALS)) {
            macro();
        } else if (t.kind() == Token.Kind.KEYWORD) {
            switch (t.text()) {
                case "include" -> {
                    ctx.include();
                    return;
                }
                case "table" -> tables.parse();
                case "service" -> {
                    ctx.draft.servicesWritten = true;
                    services.parse();
                }
                case "relay" -> {
                    ctx.draft.servicesWritten = true;
                    relays.parse();
                }
                case "protocol" -> protocols.parse();
                default -> global();
            }
        } else if (t.is(Token.Kind.WORD)) {
            extension();
        } else if (t.is(Token.Kind.RBRACE)) {
            ctx.in.next();
            throw ctx.fail(t, "syntax error: unexpected '}'");
        } else {
            throw ctx.unexpected(ctx.in.next(), "statement");
        }
        ctx.endStatement();
    }

    private void macro() {
        Token name = ctx.in.next();
        ctx.in.next();
        if (name.is(Token.Kind.KEYWORD)) {
            throw ctx.fail(name, "macro name cannot be a keyword: " + name.text());
        }
        if (!name.is(Token.Kind.WORD) || !Macros.validName(name.text())) {
            throw ctx.fail(name, "invalid macro name: " + Messages.clip(name.text()));
        }
        Token v = ctx.in.next();
        if (!v.isString() && !v.is(Token.Kind.KEYWORD)) {
            throw ctx.unexpected(v, "macro value");
        }
        // Defined before the end of the line is read, so the next line already sees it.
        ctx.macros.define(name.text(), v.text(), Pos.of(name));
    }

    private void global() {
        Token kw = ctx.in.next();
        Draft d = ctx.draft;
        switch (kw.text()) {
            case "interval" -> {
                int v = ctx.number("interval", 1, 86400);
                // Given twice (an included file's), the last counts, said (probe AK), once read whole.
                d.intervalPos = ctx.given(kw, d.intervalPos, "interval");
                d.intervalSec = v;
            }
            case "timeout" -> {
                int v = ctx.number("timeout", 1, Integer.MAX_VALUE);
                d.timeoutPos = ctx.given(kw, d.timeoutPos, "timeout");
                d.timeoutMs = v;
            }
            case "log" -> {
                Token level = ctx.in.next();
                if (level.isKeyword("all")) {
                    d.log = LogMode.ALL;
                } else if (level.isKeyword("updates")) {
                    // "log all" already includes updates; the original ORed the two flags.
                    if (d.log != LogMode.ALL) {
                        d.log = LogMode.UPDATES;
                    }
                } else {
                    throw ctx.unexpected(level, "'updates' or 'all'");
                }
            }
            case "prefork" -> {
                Token at = ctx.in.peek();
                long n = at.isString() ? ParseContext.parseNumber(at.text()) : -1;
                if (n < 1 || n > Globals.MAX_PREFORK) {
                    ctx.in.next();
                    throw ctx.fail(at, "invalid number of preforked relays: " + Messages.clip(at.text()));
                }
                d.prefork = ctx.number("prefork", 1, Globals.MAX_PREFORK);
                d.preforkPos = Pos.of(kw);
            }
            case "demote" -> d.demote = ctx.demoteGroup();
            case "socket" -> {
                d.socketPos = ctx.given(kw, d.socketPos, "socket");
                d.socket = socketPath();
            }
            default -> throw ctx.unexpected(kw, "statement");
        }
    }

    /** Our global options that the original did not have; recognised by position only. */
    private void extension() {
        Token w = ctx.in.next();
        Draft d = ctx.draft;
        switch (w.text()) {
            case "user" -> {
                d.userPos = ctx.given(w, d.userPos, "user");
                Token at = ctx.in.peek();
                d.user = ctx.name("user", 32);
                if (d.user.equals("root")) {
                    ctx.diag.warning(at, "user root: the engines run as root, without privilege separation");
                }
            }
            case "chroot" -> {
                d.chrootPos = ctx.given(w, d.chrootPos, "chroot");
                d.chroot = path("chroot directory");
            }
            case "l3" -> l3(d);
            // relayd renamed the original's "service" "redirect": name the word that fits, as
            // for its "tls".
            case "redirect" -> throw ctx.fail(w, "syntax error: unknown statement 'redirect' (relayd's word for "
                    + "what hoststated calls 'service')");
            case "http", "tcp", "dns" -> {
                Token next = ctx.in.peek();
                if (!next.isKeyword("protocol")) {
                    throw ctx.fail(w, "syntax error: unknown statement '" + w.text() + "'");
                }
                // relayd's "http protocol NAME {": its relays' references are not also "no such
                // protocol" (probe AL).
                Token name = ctx.in.peek(1);
                String n = name.isString() ? Messages.clip(name.text()) : "NAME";
                if (name.isString()) {
                    d.refusedNames.add("protocol " + name.text());
                }
                throw ctx.fail(w, "syntax error: unknown statement '" + w.text() + "' (relayd's '" + w.text()
                        + " protocol " + n + "' is written here: protocol " + n + " { protocol " + w.text() + " ... })");
            }
            default -> throw ctx.fail(w, "syntax error: unknown statement" + quotedIfKeywordLike(w.text()));
        }
    }

    /**
     * A mistyped keyword is named in the error, anything else not: an {@code include} of some
     * other file (a key, {@code /etc/shadow}) echoed the first word of each of its lines into
     * the errors and the log (probe T). relayd's parser says only "syntax error".
     */
    static String quotedIfKeywordLike(String word) {
        // Digits too ("intervall5", probe AH), not capitals or other signs: a line of a key's
        // base64 or of a password file has them.
        return word.matches("[a-z][a-z0-9_-]{0,23}") ? " '" + word + "'" : "";
    }

    private void l3(Draft d) {
        Token w = ctx.in.next();
        if (w.is(Token.Kind.WORD) && w.text().equals("backend")) {
            Token b = ctx.in.next();
            if (b.is(Token.Kind.WORD)
                    && (b.text().equals("nftables") || b.text().equals("pf") || b.text().equals("none"))) {
                d.l3Backend = b.text();
                return;
            }
            throw ctx.unexpected(b, "'nftables', 'pf' or 'none'");
        }
        if (w.is(Token.Kind.WORD) && w.text().equals("keep")) {
            Token r = ctx.in.next();
            if (r.is(Token.Kind.WORD) && r.text().equals("rules")) {
                d.l3KeepRules = true;
                return;
            }
            throw ctx.unexpected(r, "'rules'");
        }
        throw ctx.unexpected(w, "'backend' or 'keep rules'");
    }

    /** The longest path a Unix socket's address holds (sun_path's 108 bytes, less the NUL). */
    static final int MAX_SOCKET_PATH = 107;

    private String socketPath() {
        Token at = ctx.in.peek();
        String p = path("socket path");
        int n = p.getBytes(java.nio.charset.StandardCharsets.UTF_8).length;
        if (n > MAX_SOCKET_PATH) {
            throw ctx.fail(at, "socket path too long for a Unix socket: " + n + " bytes, at most " + MAX_SOCKET_PATH);
        }
        return p;
    }

    private String path(String what) {
        Token at = ctx.in.peek();
        String p = ctx.string(what);
        if (!p.startsWith("/") || p.length() > 1024) {
            throw ctx.fail(at, what + " must be an absolute path: " + Messages.clip(p));
        }
        return p;
    }
}
