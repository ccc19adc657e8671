package org.hoststated.core.config;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What the block parsers share: the token stream, diagnostics, the draft being filled, and the
 * helpers that read arguments (strings, numbers, ports, addresses). Owned by the loading thread.
 * A helper that finds bad input reports it and throws {@link SyntaxError}; the statement loop
 * catches it and skips to the next statement.
 */
final class ParseContext {
    static final int MAX_NAME = 63;
    /** The longest DNS name (RFC 1035's 255 bytes on the wire). */
    static final int MAX_DNS_NAME = 253;
    private static final Pattern IPV4 =
            Pattern.compile("(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)(\\.(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)){3}");
    private static final Pattern IPV6 = Pattern.compile("[0-9A-Fa-f:.]+");
    /** A demote group: a carp interface group name, or a file name under the demote directory. */
    private static final Pattern DEMOTE_GROUP = Pattern.compile("[A-Za-z0-9_-][A-Za-z0-9_.-]*");
    private static final Pattern HOSTNAME = Pattern.compile("[A-Za-z0-9_]([A-Za-z0-9_.-]*[A-Za-z0-9_.])?");
    /** nginx's and HAProxy's address:port, one word; not an IPv6 literal (checked apart). */
    private static final Pattern HOST_COLON_PORT = Pattern.compile("([A-Za-z0-9_.-]+):([0-9]{1,5})");

    /** Unwinds one statement; it carries no stack trace since it is ordinary control flow. */
    static final class SyntaxError extends RuntimeException {
        private static final long serialVersionUID = 1L;
        /** The token the error is at. */
        final transient Token at;

        SyntaxError(Token at) {
            super(null, null, false, false);
            this.at = at;
        }
    }

    final TokenStream in;
    final Diagnostics diag;
    final Draft draft;
    final Macros macros;
    private final Resolver resolver;
    private final Map<String, List<InetAddress>> resolved = new HashMap<>();

    ParseContext(TokenStream in, Diagnostics diag, Draft draft, Macros macros, Resolver resolver) {
        this.in = in;
        this.diag = diag;
        this.draft = draft;
        this.macros = macros;
        this.resolver = resolver;
    }

    /** "relay web defined twice (first at hoststated.conf:12)": the first may be in an included file. */
    static String definedTwice(String kind, String name, Pos first) {
        return kind + " " + name + " defined twice (first at " + first.file() + ":" + first.line() + ")";
    }

    /** Reports at a token and returns the exception to throw. An ERROR token was reported
     *  already by the lexer, so it stays silent. */
    SyntaxError fail(Token at, String message) {
        if (at.kind() != Token.Kind.ERROR) {
            diag.error(at, message);
        }
        return new SyntaxError(at);
    }

    SyntaxError unexpected(Token t, String expected) {
        return fail(t, "syntax error: expected " + expected + ", got " + t.describe());
    }

    /**
     * {@link #unexpected} for the first word of a block's statement, named only when it looks
     * like a mistyped keyword, as a top-level statement's is ({@link Parser#quotedIfKeywordLike}):
     * an include of the wrong file (a key, a password file) inside a block put each line's
     * first word into the errors, the log and a reload's answer (probe AK).
     */
    SyntaxError unexpectedStatement(Token t, String expected) {
        if ((t.is(Token.Kind.WORD) || t.is(Token.Kind.QUOTED)) && Parser.quotedIfKeywordLike(t.text()).isEmpty()) {
            return fail(t, "syntax error: expected " + expected + ", got a word that is no keyword");
        }
        return unexpected(t, expected);
    }

    boolean acceptKeyword(String kw) {
        if (in.peek().isKeyword(kw)) {
            in.next();
            return true;
        }
        return false;
    }

    Token keyword(String kw) {
        Token t = in.next();
        if (!t.isKeyword(kw)) {
            throw unexpected(t, "'" + kw + "'");
        }
        return t;
    }

    /** A string argument: a bare word or a quoted string. */
    String string(String what) {
        Token t = in.next();
        if (!t.isString()) {
            if (t.is(Token.Kind.OTHER) && t.text().equals("/")) {
                // "check http / code 200": a word begins with no '/', a quoted string may (probe AL).
                throw fail(t, "syntax error: expected " + what + ", got " + t.describe()
                        + " (write it in double quotes: \"/...\")");
            }
            throw unexpected(t, what);
        }
        return t.text();
    }

    /**
     * The address of a statement whose port follows ({@code listen on}, {@code forward to},
     * {@code virtual host}). nginx and HAProxy write {@code 10.0.0.1:80} as one word; here the
     * port is a word of its own, which the error says, rather than only that 'port' is missing.
     */
    String addressBeforePort(String what) {
        Token t = in.peek();
        String s = string(what);
        Token next = in.peek();
        Matcher m = HOST_COLON_PORT.matcher(s);
        if (m.matches() && literal(s) == null
                && (next.is(Token.Kind.NEWLINE) || next.is(Token.Kind.RBRACE) || next.is(Token.Kind.EOF))) {
            throw fail(t, "syntax error: " + Messages.clip(s) + " is an address and a port in one word: write "
                    + m.group(1) + " port " + m.group(2));
        }
        return s;
    }

    /**
     * A table's name where a table is named: relayd.conf writes {@code table <web>}, the
     * original hoststated.conf (parse.y: {@code TABLE STRING}) and this grammar {@code table
     * web}, which the error says, rather than only that '<' is not a name.
     */
    String tableName() {
        refuseAngleBrackets();
        return string("table name");
    }

    /** Before a table's name: relayd's {@code <web>} gets the error of {@link #tableName}. */
    void refuseAngleBrackets() {
        refuseAngleBrackets("table name", "hoststated writes table names without angle brackets: table ");
    }

    /**
     * Where {@code expected} comes, relayd's {@code <web>}: an error saying what is expected,
     * then {@code advice} and the table's name.
     */
    void refuseAngleBrackets(String expected, String advice) {
        Token t = in.peek();
        if (t.is(Token.Kind.OTHER) && t.text().equals("<")) {
            Token name = in.peek(1);
            String example = name.isString() ? Messages.clip(name.text().replace(">", "")) : "web";
            throw fail(t, "syntax error: expected " + expected + ", got " + t.describe() + " (" + advice + example + ")");
        }
    }

    /**
     * A table, service or relay named by digits alone: hoststatectl takes such an argument for
     * an id, so it can name the object only by its id (probe E: accepted without a word).
     */
    void warnIfDigitsOnly(Token at, String what, String name) {
        if (!name.isEmpty() && name.chars().allMatch(c -> c >= '0' && c <= '9')) {
            diag.warning(at, what + " " + name + ": hoststatectl takes a name of digits only for an id;"
                    + " it names this " + what + " by its id alone");
        }
    }

    /**
     * A setting given a second time, first at {@code first} (null if not): the last one
     * counts, said, not silent. For globals an included file that repeats {@code user} or
     * {@code chroot} changes who the engines run as, or where; in a block a relay's second
     * protocol, or a protocol's "protocol tcp" after "protocol http", changed what it did
     * (probe D). Returns where it is given now.
     */
    Pos given(Token kw, Pos first, String what) {
        if (first != null) {
            diag.warning(kw, what + " given again (first at " + first.file() + ":" + first.line()
                    + "); this one counts");
        }
        return Pos.of(kw);
    }

    /**
     * {@link #given(Token, Pos, String)} for a block's settings, {@code given} where each was
     * first given; noted once its statement is read whole ({@link #guarded}). A line refused
     * for its value ("real port 0") was also said to be the one that counts, and a keyword of
     * no such setting ("relay" in a table) to be given again (probe AH).
     */
    void given(Map<String, Pos> given, Token kw, String what) {
        pendingGiven.add(() -> {
            Pos first = given.putIfAbsent(what, Pos.of(kw));
            given(kw, first, what);
        });
    }

    /** The {@link #given(Map, Token, String)} notes of the statements being read, innermost last. */
    private final List<Runnable> pendingGiven = new ArrayList<>();

    /** A name of a table, service, relay, protocol or tag, bounded like the original. */
    String name(String what, int max) {
        Token t = in.peek();
        String s = string(what + " name");
        if (s.isEmpty() || s.length() > max) {
            draft.refusedNames.add(what + " " + s);
            throw fail(t, what + " name " + (s.isEmpty() ? "is empty"
                    : "too long (at most " + max + " characters): " + Messages.clip(s)));
        }
        if (WireText.hasControl(s, false) || !org.hoststated.core.log.Visible.escape(s).equals(s)) {
            // Names go into log lines and hoststatectl's tables as they are: not a C1 control
            // (U+0085 breaks a line for some readers) nor an invisible character (U+2028, or
            // U+202E, which turns what follows round on screen), as no C0 control (probe AH).
            draft.refusedNames.add(what + " " + s);
            throw fail(t, what + " name contains a control or invisible character: " + Messages.clip(s));
        }
        return s;
    }

    /**
     * The group of a {@code demote}: up to 15 letters, digits, '_', '.' or '-', not starting
     * with '.'. On Linux it names a file under the demote directory, so a '/' or a ".." would
     * reach outside it; the parent refuses such a name too, but only in its log, at run time.
     */
    String demoteGroup() {
        Token t = in.peek();
        if (t.is(Token.Kind.OTHER) && t.text().equals(".")) {
            // The lexer reads no word that begins with '.': say what the manual says.
            throw fail(t, "invalid demote group name: it starts with '.' (letters, digits, '_', '.' and '-',"
                    + " not starting with '.')");
        }
        String s = name("demote group", 15);
        if (!DEMOTE_GROUP.matcher(s).matches()) {
            throw fail(t, "invalid demote group name: " + Messages.clip(s)
                    + " (letters, digits, '_', '.' and '-', not starting with '.')");
        }
        return s;
    }

    /** A decimal number in [min, max]; {@code what} names it in the error. */
    int number(String what, long min, long max) {
        Token t = in.next();
        if (!t.isString()) {
            // "expected retry, got character '-'" did not say that a number was wanted.
            throw unexpected(t, "a number (" + what + ")");
        }
        long v = parseNumber(t.text());
        if (v < 0) {
            throw fail(t, "invalid " + what + ": " + Messages.clip(t.text()));
        }
        if (v < min || v > max) {
            throw fail(t, what + " " + t.text() + " is out of range (" + min + "-" + max + ")");
        }
        return (int) v;
    }

    /** Parses digits only; -1 when the text is not a number, Long.MAX_VALUE when too long. */
    static long parseNumber(String s) {
        if (s.isEmpty()) {
            return -1;
        }
        long v = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < '0' || c > '9') {
                return -1;
            }
            v = v * 10 + (c - '0');
            if (v > Integer.MAX_VALUE) {
                return Long.MAX_VALUE;
            }
        }
        return v;
    }

    /** {@code port <number|service-name>}, the keyword included. */
    int port() {
        keyword("port");
        return portValue();
    }

    int portValue() {
        return portValue(IpProtocol.TCP);
    }

    /** A port number, or a service name looked up for {@code protocol}. */
    int portValue(IpProtocol protocol) {
        Token t = in.next();
        if (!t.isString()) {
            throw unexpected(t, "port");
        }
        long v = parseNumber(t.text());
        if (v >= 0) {
            if (v < 1 || v > 65535) {
                throw fail(t, "port " + Messages.clip(t.text()) + " is out of range (1-65535)");
            }
            return (int) v;
        }
        int p = ServicePorts.lookup(t.text(), protocol);
        if (p < 1) {
            IpProtocol other = protocol == IpProtocol.TCP ? IpProtocol.UDP : IpProtocol.TCP;
            if (ServicePorts.lookup(t.text(), other) > 0) {
                // "port ntp is invalid" left the operator to guess that ntp is UDP's alone. Not
                // "this port is TCP": a DNS relay's listener is UDP, but the relay's protocol
                // may come after its port, so its names are TCP's as the manual says.
                throw fail(t, "port " + Messages.clip(t.text()) + " is a " + other.name()
                        + " service only, and names here are " + protocol.name() + " ones: write its number");
            }
            throw fail(t, "port " + Messages.clip(t.text()) + " is invalid");
        }
        return p;
    }

    /** An optional {@code retry <n>}; 0 when absent. */
    int retry() {
        return acceptKeyword("retry") ? number("retry", 0, 1000) : 0;
    }

    /** The first address of a host argument (literal or DNS name). */
    InetAddress address(Token at, String host) {
        return addresses(at, host, 1).get(0);
    }

    /**
     * {@link #address} for an address the daemon binds or connects to ({@code listen on},
     * {@code forward to}, a table's host): an IPv6 link-local one needs an interface (a scope
     * id), which the grammar has no way to give, so it is refused here; it passed {@code -n}
     * and then failed at start with "Invalid argument", or left its host down for good.
     */
    InetAddress endpointAddress(Token at, String host) {
        InetAddress a = address(at, host);
        if (a instanceof java.net.Inet6Address && a.isLinkLocalAddress()) {
            throw fail(at, "link-local address " + Messages.clip(host) + ": it needs an interface, which"
                    + " hoststated.conf cannot name; use a global or unique local address");
        }
        return a;
    }

    /**
     * {@link #endpointAddress} for an address the daemon connects to ({@code forward to}, a
     * table's host): the unspecified address (which the kernel takes for this machine), a
     * multicast or the broadcast address is no host (probe AD: they passed without a word).
     */
    InetAddress targetAddress(Token at, String host) {
        InetAddress a = endpointAddress(at, host);
        String what = ServiceParser.unserved(a);
        if (what != null) {
            throw fail(at, "host " + Messages.clip(host) + " is " + what + ", not the address of a host");
        }
        return a;
    }

    /** Up to {@code max} addresses for a literal or DNS name; a name is resolved once per load. */
    List<InetAddress> addresses(Token at, String host, int max) {
        InetAddress literal = literal(host);
        if (literal != null) {
            return List.of(literal);
        }
        int zone = host.indexOf('%');
        if (zone > 0 && literal(host.substring(0, zone)) != null) {
            // fe80::1%eth0 is how ping and ss write a link-local address with its link.
            throw fail(at, "address " + Messages.clip(host) + ": hoststated.conf takes no zone after '%'; a link-local"
                    + " address needs an interface, which only a virtual host can name (its 'interface' option)");
        }
        if (host.length() > MAX_DNS_NAME) {
            throw fail(at, "host name too long (at most " + MAX_DNS_NAME + " characters): " + Messages.clip(host));
        }
        if (looksNumeric(host) || !HOSTNAME.matcher(host).matches()) {
            // "$addr" in quotes is the text $addr: say why, as the operator meant the macro.
            throw fail(at, "invalid address: " + Messages.clip(host)
                    + (at.kind() == Token.Kind.QUOTED && host.startsWith("$")
                            ? " (a macro is not expanded inside quotes: write $" + Messages.clip(host.substring(1))
                                    + " without them)" : ""));
        }
        List<InetAddress> all = resolved.get(host);
        if (all == null) {
            all = resolve(host);
            resolved.put(host, all);
        }
        if (all.isEmpty()) {
            throw fail(at, "cannot resolve host " + Messages.clip(host));
        }
        if (all.size() > max) {
            if (max > 1) {
                diag.warning(at, "host " + host + " resolves to more than " + max + " addresses");
            }
            return all.subList(0, max);
        }
        return all;
    }

    private List<InetAddress> resolve(String host) {
        try {
            List<InetAddress> r = resolver.resolve(host);
            return r == null ? List.of() : r.stream().filter(a -> a != null).toList();
        } catch (UnknownHostException | RuntimeException e) {
            return List.of();
        }
    }

    private static boolean looksNumeric(String s) {
        return s.chars().allMatch(c -> (c >= '0' && c <= '9') || c == '.');
    }

    /** An IPv4 or IPv6 literal, parsed without any lookup; null when it is not one. */
    static InetAddress literal(String s) {
        try {
            if (IPV4.matcher(s).matches()) {
                String[] p = s.split("\\.");
                byte[] b = new byte[4];
                for (int i = 0; i < 4; i++) {
                    b[i] = (byte) Integer.parseInt(p[i]);
                }
                return InetAddress.getByAddress(b);
            }
            if (s.indexOf(':') >= 0 && s.length() <= 45 && IPV6.matcher(s).matches()) {
                // Only hex digits, colons and dots reach this call, so Java parses the
                // literal and never asks DNS.
                return InetAddress.getByName(s);
            }
        } catch (UnknownHostException | RuntimeException e) {
            return null;
        }
        return null;
    }

    /** Ends a statement: a newline, or the closing brace / end of file left for the block. */
    void endStatement() {
        Token t = in.peek();
        switch (t.kind()) {
            case NEWLINE -> in.next();
            case RBRACE, EOF -> { }
            default -> throw unexpected(t, "end of line");
        }
    }

    /**
     * Skips the rest of a bad statement, which has opened {@code depth} blocks already: to the
     * end of line, or to a closing brace of the enclosing block, counting nested braces so a
     * bad sub-block is skipped whole.
     */
    private void skipStatement(int depth) {
        while (true) {
            Token t = in.peek();
            switch (t.kind()) {
                case EOF:
                    return;
                case NEWLINE:
                    in.next();
                    if (depth == 0) {
                        return;
                    }
                    break;
                case LBRACE:
                    depth++;
                    in.next();
                    break;
                case RBRACE:
                    if (depth == 0) {
                        return;
                    }
                    depth--;
                    in.next();
                    break;
                default:
                    in.next();
                    break;
            }
            if (diag.gaveUp()) {
                return;
            }
        }
    }

    /** An {@code include "file"} statement; the keyword is next. */
    /** An {@code include} statement; false when the file could not be included (reported). */
    boolean include() {
        Token kw = in.next();
        Token file = in.next();
        if (!file.isString()) {
            throw unexpected(file, "file name");
        }
        Token end = in.peek();
        if (end.is(Token.Kind.NEWLINE)) {
            in.next();
        } else if (!end.is(Token.Kind.EOF) && !end.is(Token.Kind.RBRACE)) {
            throw unexpected(end, "end of line");
        }
        return in.include(file.text(), kw);
    }

    interface Statement {
        void parse();
    }

    /**
     * Parses {@code { statement ... }} where statements are separated by newlines and the
     * block may contain blank lines and includes. Errors inside are reported and skipped.
     */
    BrokenStatements block(String what, Statement statement) {
        BrokenStatements broken = new BrokenStatements();
        Token open = in.next();
        if (open.is(Token.Kind.NEWLINE) && braceStartsALaterLine()) {
            // The original's grammar refuses it too; reading on as the block it was meant to
            // be keeps its lines from coming out as top-level errors ("table web defined twice").
            fail(open, "syntax error: expected '{', got end of line ('{' goes on the line"
                    + " that opens the block)");
            while (!in.next().is(Token.Kind.LBRACE)) {
                // the blank lines before the brace
            }
        } else if (!open.is(Token.Kind.LBRACE)) {
            throw unexpected(open, "'{'");
        }
        while (!diag.gaveUp()) {
            Token t = in.peek();
            switch (t.kind()) {
                case NEWLINE -> in.next();
                case RBRACE -> {
                    in.next();
                    return broken;
                }
                case EOF -> {
                    // Where the block began: a '}' taken by an option list above ("tcp { nodelay"
                    // left open) was named nowhere (probe D).
                    diag.error(t, "unexpected end of file in " + what + " block opened at line " + open.line()
                            + ": a '}' is missing in it");
                    return broken;
                }
                default -> {
                    if (beginsTopLevelBlock()) {
                        // The '}' before it is missing: the block ends here, and the statement
                        // is read as the top-level one it is. Read as the block's, it gave an
                        // error per line up to the end of the file, there the missing '}', and
                        // "no services" for a file whose relays were all read as table options
                        // (probe AH).
                        // The file too when the block began in another one (an include in it).
                        String at = open.file().equals(t.file()) ? "line " + open.line()
                                : open.file() + ":" + open.line();
                        diag.error(t, "syntax error: '" + t.text() + "' begins a block inside the " + what
                                + " block opened at " + at + ": a '}' is missing before it");
                        in.closedWithoutBrace(open);
                        return broken;
                    }
                    // An include that failed may have held any of the block's statements.
                    boolean[] included = {true};
                    boolean ok = guarded(() -> {
                        if (in.peek().isKeyword("include")) {
                            included[0] = include();
                        } else {
                            statement.parse();
                            endStatement();
                        }
                    });
                    if (!ok || !included[0]) {
                        broken.add(t);
                    }
                    if (!ok && lastError != null && lastError.kind() == Token.Kind.KEYWORD) {
                        // "check tcp host 10.0.0.1": the line held a host too (probe M of session 58).
                        broken.add(lastError);
                    }
                }
            }
        }
        return broken;
    }

    /** The statements that open a block at the top level of the file, and only there. */
    private static final java.util.Set<String> TOP_LEVEL_BLOCKS = java.util.Set.of("table", "service", "relay",
            "protocol");

    /**
     * Whether the next line is a top-level block statement ({@code table web {}): one of
     * {@link #TOP_LEVEL_BLOCKS} whose line ends with '{'. Within a block those keywords begin
     * options without a block ({@code table web} in a relay, {@code protocol http}); takes nothing.
     */
    private boolean beginsTopLevelBlock() {
        Token first = in.peek();
        if (first.kind() != Token.Kind.KEYWORD || !TOP_LEVEL_BLOCKS.contains(first.text())) {
            return false;
        }
        Token last = first;
        for (int n = 1; ; n++) {
            Token t = in.peek(n);
            if (t.is(Token.Kind.NEWLINE) || t.is(Token.Kind.EOF)) {
                return last.is(Token.Kind.LBRACE);
            }
            last = t;
        }
    }

    /** Whether the next token that is not a newline is a '{'; takes nothing. */
    private boolean braceStartsALaterLine() {
        int n = 0;
        while (in.peek(n).is(Token.Kind.NEWLINE)) {
            n++;
        }
        return in.peek(n).is(Token.Kind.LBRACE);
    }

    /** Where the last statement {@link #guarded} ran had its syntax error, or null. */
    private Token lastError;

    /**
     * Runs one statement; on a syntax error skips the rest of it.
     *
     * @return false after a syntax error
     */
    boolean guarded(Statement s) {
        lastError = null;
        int mark = pendingGiven.size(); // those before are an enclosing statement's
        try {
            s.parse();
            List<Runnable> notes = pendingGiven.subList(mark, pendingGiven.size());
            notes.forEach(Runnable::run);
            notes.clear();
            return true;
        } catch (SyntaxError e) {
            pendingGiven.subList(mark, pendingGiven.size()).clear();
            lastError = e.at;
            // A statement cut short by its own end of line ("protocol" without a name) has
            // nothing left to skip: skipping to the next end of line took the next statement too.
            boolean taken = in.lastTaken() == e.at;
            if (!(e.at.is(Token.Kind.NEWLINE) && taken)) {
                // A '{' taken as the error ("relay {" without a name) opened a block that is
                // skipped with its statement: its lines came out as top-level errors.
                skipStatement(e.at.is(Token.Kind.LBRACE) && taken ? 1 : 0);
            }
            return false;
        }
    }
}
