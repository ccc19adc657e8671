package org.hoststated.core.config;

import java.net.InetAddress;

/** Parses {@code relay <name> { ... }}. Runs in the loading thread; fills a relay draft. */
final class RelayParser {
    private final ParseContext ctx;

    RelayParser(ParseContext ctx) {
        this.ctx = ctx;
    }

    /** The {@code relay} keyword is next. */
    void parse() {
        Token kw = ctx.in.next();
        Token at = ctx.in.peek();
        String name = ctx.name("relay", ParseContext.MAX_NAME);
        ctx.warnIfDigitsOnly(at, "relay", name);
        Draft.RelayDraft r = new Draft.RelayDraft(name, Pos.of(kw));
        Pos first = ctx.draft.relays.stream().filter(o -> o.name.equals(name)).map(o -> o.pos).findFirst()
                .orElse(null);
        boolean twice = first != null;
        if (twice) {
            ctx.diag.error(at, ParseContext.definedTwice("relay", name, first));
        }
        BrokenStatements broken = ctx.block("relay", () -> statement(r));
        if (!twice) {
            ctx.draft.relays.add(r);
        }
        if (r.listen == null && !broken.mayHaveBeen("listen")) {
            ctx.diag.error(r.pos, "relay " + name + " has no listener");
        }
        if (!r.natLookup && !r.hasTarget() && !broken.mayHaveBeen("forward", "service", "table", "nat")) {
            ctx.diag.error(r.pos, "relay " + name + " has no target, service, or table");
        }
    }

    private void statement(Draft.RelayDraft r) {
        Token kw = ctx.in.next();
        if (kw.kind() != Token.Kind.KEYWORD) {
            throw ctx.unexpectedStatement(kw, "relay option");
        }
        switch (kw.text()) {
            case "listen" -> listen(r, kw);
            case "forward" -> forward(r, kw);
            case "service" -> {
                String svc = ctx.string("service name");
                int retry = ctx.retry();
                checkNoTarget(r, kw);
                r.service = svc;
                r.serviceRetry = retry;
                r.servicePos = Pos.of(kw);
            }
            case "table" -> table(r, kw);
            case "protocol" -> {
                ctx.given(r.given, kw, "protocol");
                r.protocol = ctx.string("protocol name");
                r.protocolPos = Pos.of(kw);
            }
            case "nat" -> {
                ctx.keyword("lookup");
                r.natRetry = ctx.retry();
                r.natLookup = true;
            }
            case "timeout" -> {
                ctx.given(r.given, kw, "timeout");
                r.timeoutSec = ctx.number("timeout", 1, Integer.MAX_VALUE);
            }
            case "disable" -> r.disabled = true;
            default -> throw ctx.unexpectedStatement(kw, "relay option");
        }
    }

    private void listen(Draft.RelayDraft r, Token kw) {
        ctx.keyword("on");
        Token at = ctx.in.peek();
        String host = ctx.addressBeforePort("listen address");
        int port = ctx.port();
        boolean ssl = ctx.acceptKeyword("ssl");
        Token next = ctx.in.peek();
        if (!ssl && next.kind() != Token.Kind.NEWLINE && next.kind() != Token.Kind.RBRACE
                && next.kind() != Token.Kind.EOF) {
            // relayd's later "tls" is this implementation's "ssl": name the word that fits.
            throw ctx.unexpected(next, "'ssl' or end of line");
        }
        if (r.listen != null) {
            throw ctx.fail(kw, "relay " + r.name + " listener already specified");
        }
        r.listen = new ListenConfig(ctx.endpointAddress(at, host), port, ssl);
    }

    private void forward(Draft.RelayDraft r, Token kw) {
        ctx.keyword("to");
        // relayd.conf's "forward to <web> port 80" is this grammar's "table web".
        ctx.refuseAngleBrackets("target address", "relayd's forward to <table>; here a relay names it with: table ");
        Token at = ctx.in.peek();
        String host = ctx.addressBeforePort("target address");
        int port = ctx.port();
        int retry = ctx.retry();
        checkNoTarget(r, kw);
        InetAddress a = ctx.targetAddress(at, host);
        r.forward = new ForwardTarget(a, host, port, retry);
    }

    private void table(Draft.RelayDraft r, Token kw) {
        String name = ctx.tableName();
        int port = ctx.in.peek().isKeyword("port") ? ctx.port() : 0;
        Mode mode = null;
        if (ctx.acceptKeyword("loadbalance")) {
            mode = Mode.LOADBALANCE;
        } else if (ctx.acceptKeyword("roundrobin")) {
            mode = Mode.ROUNDROBIN;
        } else if (ctx.acceptKeyword("hash")) {
            mode = Mode.HASH;
        }
        boolean noCheck = false;
        if (ctx.acceptKeyword("no")) {
            ctx.keyword("check");
            noCheck = true;
        }
        Token next = ctx.in.peek();
        if (!noCheck && mode == null && next.kind() != Token.Kind.NEWLINE
                && next.kind() != Token.Kind.RBRACE && next.kind() != Token.Kind.EOF) {
            // "round-robin" or "least-conn" is a mode misspelled: name the words that fit here,
            // not the bare "end of line" the statement's end would expect.
            throw ctx.unexpected(next, "'roundrobin', 'loadbalance', 'hash', 'no check' or end of line");
        }
        checkNoTarget(r, kw);
        r.table = new Draft.TableRef(name, port, Pos.of(kw));
        r.mode = mode == null ? Mode.LOADBALANCE : mode;
        r.noCheck = noCheck;
    }

    private void checkNoTarget(Draft.RelayDraft r, Token kw) {
        if (r.hasTarget()) {
            throw ctx.fail(kw, "relay " + r.name + " target or service already specified");
        }
    }
}
