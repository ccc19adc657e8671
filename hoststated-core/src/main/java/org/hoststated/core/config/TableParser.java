package org.hoststated.core.config;

import java.net.InetAddress;
import java.util.Locale;
import java.util.regex.Pattern;
import org.hoststated.core.msg.ScriptRequest;

/** Parses {@code table <name> { ... }}. Runs in the loading thread; fills a table draft. */
final class TableParser {
    static final int MAX_HOST_NAME = 255;
    private static final Pattern HEX = Pattern.compile("[0-9A-Fa-f]+");

    private final ParseContext ctx;

    TableParser(ParseContext ctx) {
        this.ctx = ctx;
    }

    /** The {@code table} keyword is next. */
    void parse() {
        Token kw = ctx.in.next();
        Token at = ctx.in.peek();
        ctx.refuseAngleBrackets();
        String name = ctx.name("table", ParseContext.MAX_NAME);
        ctx.warnIfDigitsOnly(at, "table", name);
        Draft.TableDraft t = new Draft.TableDraft(name, Pos.of(kw));
        Pos first = ctx.draft.tables.stream().filter(o -> o.name.equals(name)).map(o -> o.pos).findFirst()
                .orElse(null);
        boolean twice = first != null;
        if (twice) {
            ctx.diag.error(at, ParseContext.definedTwice("table", name, first));
        }
        BrokenStatements broken = ctx.block("table", () -> statement(t));
        warnListedAgain(t);
        if (!twice) {
            ctx.draft.tables.add(t);
        }
        t.portLineBroken = broken.mayHaveBeen("real");
        if (t.hosts.isEmpty() && !broken.mayHaveBeen("host")) {
            ctx.diag.error(t.pos, "table " + name + " has no hosts");
        }
        if (t.check.type() == CheckType.NONE && !broken.mayHaveBeen("check")) {
            ctx.diag.error(t.pos, "table " + name + " has no check");
        }
    }

    private void statement(Draft.TableDraft t) {
        Token kw = ctx.in.next();
        if (kw.kind() != Token.Kind.KEYWORD) {
            throw ctx.unexpectedStatement(kw, "table option");
        }
        if (!kw.text().equals("host")) {
            // A second check, timeout or interval replaced the first without a word (probe M).
            // Noted once the line is read: a keyword of no table option is refused below.
            ctx.given(t.given, kw, "table " + (kw.text().equals("real") ? "real port" : kw.text()));
        }
        switch (kw.text()) {
            case "host" -> host(t);
            case "real" -> t.port = ctx.port();
            case "timeout" -> {
                t.timeoutMs = ctx.number("timeout", 1, Integer.MAX_VALUE);
                t.timeoutPos = Pos.of(kw);
            }
            case "interval" -> {
                t.intervalSec = ctx.number("interval", 1, Integer.MAX_VALUE);
                t.intervalPos = Pos.of(kw);
            }
            case "check" -> t.check = check();
            case "demote" -> t.demote = ctx.demoteGroup();
            case "disable" -> t.disabled = true;
            default -> throw ctx.unexpectedStatement(kw, "table option");
        }
    }

    private void host(Draft.TableDraft t) {
        Token at = ctx.in.peek();
        String name = ctx.string("host address");
        if (name.isEmpty() || name.length() > MAX_HOST_NAME) {
            throw ctx.fail(at, name.isEmpty() ? "invalid host: an empty name"
                    : "host name too long (at most " + ParseContext.MAX_DNS_NAME + " characters): " + Messages.clip(name));
        }
        InetAddress a = ctx.targetAddress(at, name);
        int retry = ctx.retry();
        warnIfListed(t, at, name, a);
        t.hosts.add(new Draft.HostDraft(name, a, retry));
    }

    /**
     * A host listed twice is one machine in two places: it gets a double share of the
     * table's connections (two entries of the nftables numgen map, two turns of a relay's
     * round robin) and {@code hoststatectl host disable <address>} cannot tell which is
     * meant. A warning, not an error, as relayd accepts it in silence and weighting a host
     * this way may be meant.
     */
    private void warnIfListed(Draft.TableDraft t, Token at, String name, InetAddress a) {
        // By address, not a scan of the list: a table of 50,000 hosts took 13 s to check.
        String first = t.namesByAddress.putIfAbsent(a, name);
        if (first != null) {
            t.listedAgain.computeIfAbsent(a, k -> new ListedAgain(Pos.of(at), name, first)).times++;
        }
    }

    /** A host listed again: where first, its name there and the first listing's, and how often in all. */
    static final class ListedAgain {
        final Pos at;
        final String name;
        final String first;
        int times = 1;

        ListedAgain(Pos at, String name, String first) {
            this.at = at;
            this.name = name;
            this.first = first;
        }
    }

    /**
     * One warning per host listed more than once, at its second listing, with how often: a
     * warning per listing filled the -n output, the log and every reload's answer (a host
     * listed 1,001 times gave 1,000 lines, and the warnings after were lost, probe AH).
     */
    private void warnListedAgain(Draft.TableDraft t) {
        t.listedAgain.values().forEach(l -> {
            String as = l.first.equals(l.name) ? "" : " (as " + l.first + ")";
            ctx.diag.warning(l.at, "table " + t.name + ": host " + l.name + " is listed "
                    + (l.times == 2 ? "twice" + as + "; it gets a double share of connections"
                            : l.times + " times" + as + "; it gets " + l.times + " shares of connections"));
        });
    }

    private CheckConfig check() {
        Token t = ctx.in.next();
        if (t.isKeyword("icmp")) {
            return CheckConfig.icmp();
        }
        if (t.isKeyword("tcp")) {
            return CheckConfig.tcp();
        }
        if (t.isKeyword("ssl")) {
            return CheckConfig.sslHandshake();
        }
        if (t.isKeyword("script")) {
            Token at = ctx.in.peek();
            String path = ctx.string("script path");
            if (path.isEmpty()) {
                // It passed with a warning ("not found in /usr/bin:..."), then failed every check.
                throw ctx.fail(at, "empty script path");
            }
            if (path.getBytes(java.nio.charset.StandardCharsets.UTF_8).length > ScriptRequest.MAX_PATH) {
                // hce names the script in its request to the parent, which refused a longer
                // path: hce's channel closed at each check, and hce restarted without end.
                throw ctx.fail(at, "script path longer than " + ScriptRequest.MAX_PATH + " bytes");
            }
            return CheckConfig.script(path);
        }
        if (t.isKeyword("send")) {
            return sendExpect();
        }
        if (t.isString() && (t.text().equals("http") || t.text().equals("https"))) {
            return http(t.text().equals("https"));
        }
        if (t.isString()) {
            throw ctx.fail(t, "invalid check type: " + Messages.clip(t.text()));
        }
        throw ctx.unexpected(t, "check type");
    }

    private CheckConfig http(boolean https) {
        Token at = ctx.in.peek();
        String path = ctx.string("path");
        if (path.isEmpty() || !WireText.isVisibleAscii(path)) {
            // It is sent as the request line's target as it is.
            throw ctx.fail(at, "invalid check path: " + Messages.clip(path)
                    + " (printable ASCII without spaces; escape others as %XX)");
        }
        if (!path.startsWith("/") && !path.contains("://")) {
            // "HEAD health HTTP/1.0" is no request a server takes: nginx answers 400 (probe AH).
            ctx.diag.warning(at, "check path " + Messages.clip(path) + " does not begin with '/': servers"
                    + " refuse such a request (400 Bad Request)");
        }
        String host = null;
        if (ctx.acceptKeyword("host")) {
            at = ctx.in.peek();
            host = ctx.string("host name");
            if (host.isEmpty() || !WireText.isVisibleAscii(host)) {
                throw ctx.fail(at, "invalid check host: " + Messages.clip(host));
            }
        }
        Token kw = ctx.in.next();
        if (kw.isKeyword("code")) {
            return CheckConfig.httpCode(https, path, host, ctx.number("http code", 100, 999));
        }
        if (kw.isKeyword("digest")) {
            Token d = ctx.in.peek();
            String digest = ctx.string("digest");
            if ((digest.length() != 32 && digest.length() != 40) || !HEX.matcher(digest).matches()) {
                throw ctx.fail(d, "invalid digest: " + Messages.clip(digest)
                        + " (32 hex digits for md5, 40 for sha1)");
            }
            return CheckConfig.httpDigest(https, path, host, digest.toLowerCase(Locale.ROOT));
        }
        throw ctx.unexpected(kw, "'code' or 'digest'");
    }

    private CheckConfig sendExpect() {
        String send = ctx.acceptKeyword("nothing") ? null : ctx.string("data to send or 'nothing'");
        ctx.keyword("expect");
        String expect = ctx.string("the pattern to expect");
        boolean ssl = ctx.acceptKeyword("ssl");
        return CheckConfig.sendExpect(send, expect, ssl);
    }
}
