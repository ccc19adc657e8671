package org.hoststated.core.config;

import java.util.List;
import org.hoststated.core.tls.OpenSslCipherList;

/**
 * Parses the {@code tcp} and {@code ssl} options of a protocol, one option or a
 * {@code { a, b, ... }} list. Runs in the loading thread.
 */
final class ProtocolOptionParser {
    private final ParseContext ctx;

    ProtocolOptionParser(ParseContext ctx) {
        this.ctx = ctx;
    }

    /** One option, or a braced list with optional commas and newlines between options. */
    void list(ParseContext.Statement option) {
        if (!ctx.in.peek().is(Token.Kind.LBRACE)) {
            option.parse();
            return;
        }
        ctx.in.next();
        while (true) {
            Token t = ctx.in.peek();
            switch (t.kind()) {
                case NEWLINE, COMMA -> ctx.in.next();
                case RBRACE -> {
                    ctx.in.next();
                    return;
                }
                case EOF -> throw ctx.unexpected(t, "'}'");
                default -> listed(option);
            }
        }
    }

    /**
     * One option of a braced list; a bad one (reported already) is skipped to the next comma,
     * newline or the list's '}'. Skipped as a statement, it took that brace for the
     * protocol's and read the rest of the protocol as top-level statements, each an error.
     */
    private void listed(ParseContext.Statement option) {
        try {
            option.parse();
        } catch (ParseContext.SyntaxError e) {
            while (true) {
                switch (ctx.in.peek().kind()) {
                    case COMMA, NEWLINE, RBRACE, EOF -> {
                        return;
                    }
                    default -> ctx.in.next();
                }
            }
        }
    }

    void tcp(Draft.ProtocolDraft p) {
        Token t = ctx.in.next();
        boolean no = t.isKeyword("no");
        if (no) {
            t = ctx.in.next();
        }
        if (t.isKeyword("sack")) {
            ctx.given(p.given, t, "tcp sack");
            p.sack = !no;
        } else if (t.isKeyword("nodelay")) {
            ctx.given(p.given, t, "tcp nodelay");
            p.nodelay = !no;
        } else if (no) {
            throw ctx.unexpected(t, "'sack' or 'nodelay'");
        } else if (t.isKeyword("backlog")) {
            ctx.given(p.given, t, "tcp backlog");
            p.backlog = ctx.number("backlog", 1, 65535);
        } else if (t.isKeyword("socket")) {
            ctx.keyword("buffer");
            ctx.given(p.given, t, "tcp socket buffer");
            p.socketBuffer = ctx.number("socket buffer", 1, Integer.MAX_VALUE);
        } else if (t.isKeyword("ip")) {
            Token which = ctx.in.next();
            if (which.isString() && which.text().equals("ttl")) {
                ctx.given(p.given, t, "tcp ip ttl");
                p.ipTtl = ctx.number("ip ttl", 1, 255);
            } else if (which.isString() && which.text().equals("minttl")) {
                ctx.given(p.given, t, "tcp ip minttl");
                p.ipMinTtl = ctx.number("ip minttl", 1, 255);
            } else {
                throw ctx.fail(which, "invalid TCP/IP flag: " + Messages.clip(which.text()));
            }
        } else {
            throw ctx.unexpected(t, "tcp option");
        }
    }

    void ssl(Draft.ProtocolDraft p) {
        Token t = ctx.in.next();
        if (t.isKeyword("session")) {
            ctx.keyword("cache");
            ctx.given(p.given, t, "ssl session cache");
            if (ctx.acceptKeyword("disable")) {
                p.sessionCache = SslOptions.CACHE_DISABLED;
            } else {
                int size = ctx.number("session cache", 0, Integer.MAX_VALUE);
                // 0 is the library's default size, as in the original (OpenSSL's 0, no bound,
                // there): only "disable" turns the cache off.
                p.sessionCache = size == 0 ? SslOptions.CACHE_DEFAULT : size;
            }
            return;
        }
        if (t.isKeyword("ciphers")) {
            ctx.given(p.given, t, "ssl ciphers");
            Token at = ctx.in.peek();
            p.ciphers = ctx.string("cipher list");
            if (p.ciphers.isEmpty() || p.ciphers.length() > 768) {
                throw ctx.fail(at, "invalid cipher list");
            }
            String command = OpenSslCipherList.invalidCommand(p.ciphers);
            if (command != null) {
                ctx.diag.error(at, "ciphers: " + Messages.clip(command)
                        + " is not a cipher list command (@STRENGTH, @SECLEVEL=0 to 5)");
                return;
            }
            // What the relay engine will make of it, so that hoststated -n says so first.
            OpenSslCipherList.Result r;
            try {
                r = OpenSslCipherList.apply(p.ciphers, OpenSslCipherList.jdkDefaultSuites());
            } catch (IllegalArgumentException e) {
                ctx.diag.error(at, "ciphers \"" + Messages.clip(p.ciphers) + "\" leave no TLS 1.2 cipher suite");
                return;
            }
            List<String> tls13 = r.tls13Suites();
            List<String> unknown = r.notKnown();
            if (!unknown.isEmpty()) {
                ctx.diag.warning(at, "ciphers: " + Messages.clip(String.join(" ", unknown)) + " not known here, skipped");
            }
            if (!tls13.isEmpty()) {
                // A valid name, not one the list can choose (probe AA).
                ctx.diag.warning(at, "ciphers: " + Messages.clip(String.join(" ", tls13)) + (tls13.size() == 1
                        ? " is a TLS 1.3 suite" : " are TLS 1.3 suites") + ", which the list does not choose:"
                        + " TLS 1.3's suites are always offered");
            }
            String level = OpenSslCipherList.securityLevel(p.ciphers);
            if (level != null && !level.endsWith("=0")) {
                // OpenSSL refuses small keys and weak suites at a level; neither library here
                // has levels, and a key OpenSSL would refuse was served (probe AA).
                ctx.diag.warning(at, "ciphers: " + level + " is not enforced here (neither BoringSSL nor the Java"
                        + " runtime has security levels): key sizes and suites are not checked against it");
            }
            return;
        }
        boolean no = t.isKeyword("no");
        if (no) {
            t = ctx.in.next();
        }
        if (!t.isString()) {
            throw ctx.unexpected(t, "ssl option");
        }
        switch (t.text()) {
            case "sslv2", "sslv3" -> ctx.diag.warning(t, t.text() + " is obsolete and ignored");
            case "tlsv1" -> {
                p.tls = !no;
                p.tlsPos = Pos.of(t);
            }
            default -> throw ctx.fail(t, "invalid SSL flag: " + Messages.clip(t.text()));
        }
    }
}
