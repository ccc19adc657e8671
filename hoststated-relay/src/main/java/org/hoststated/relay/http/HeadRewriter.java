package org.hoststated.relay.http;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.UnaryOperator;
import org.hoststated.core.config.Action;
import org.hoststated.core.config.Glob;
import org.hoststated.core.config.NodeType;
import org.hoststated.core.config.ProtocolNode;
import org.hoststated.relay.LargeBuffers;
import org.hoststated.core.hash.Hash32;

/**
 * Applies one direction's protocol nodes to a parsed head (SPEC 1.7) and writes the result:
 * an unchanged head as a slice of the buffer it was read into, an edited one copied into one
 * new buffer with its changed and added lines, so that it leaves in one {@code send} instead
 * of a {@code writev} of slices around the added lines (epoll keep-alive with an appended
 * {@code X-Forwarded-For}, side by side over 6 rounds: 31.4 against 32.1 µs of relay CPU per
 * request).
 *
 * <p>Nodes run in configuration order, each against the whole message as the nodes before it
 * left it (a field one of them added included), so {@code marked} means "an earlier
 * {@code mark} node matched in this message". Each type sees (key, value)
 * pairs: {@code header} fields; {@code query} variables of the request target; {@code cookie}
 * pairs of the Cookie fields; {@code path}, whose key is a glob on the request path and whose
 * value is the query string. {@code append} adds {@code ", value"} to a header
 * ({@code "; value"} to Cookie; a repeated one joined into one field first; a Set-Cookie gets
 * a field of its own), a new pair to a query or Cookie,
 * {@code "&value"} to a path's query;
 * {@code change} replaces the value (adding the field or pair when absent); {@code remove}
 * drops it (a path's query); {@code expect} refuses a message without a matching value (and a
 * header given more than once, which could smuggle a second value past the check);
 * {@code filter} refuses one with a matching value; with {@code mark} both only set the mark;
 * {@code hash} feeds values into the load-balancing hash; {@code log} (or a node's
 * {@code log} flag) records them for the session's close line.
 *
 * <p>A path and a query are matched in their normalised forms ({@link TargetNormalizer}): the
 * path with dot segments removed, slashes merged and unreserved escapes decoded, query names
 * and values (and a path node's query string) decoded, so encodings that servers read as the
 * same resource or value cannot slip past a {@code filter} or meet an {@code expect} they do
 * not meet. {@code hash} and {@code log} take the values as received, and the target is
 * forwarded as received unless a rule edits its query.
 *
 * <p>Before any node runs, a head with hop-by-hop fields loses them (RFC 9110 7.6.1, see
 * {@link HopByHopFields}), so no node sees them and the next hop does not get them, and a
 * request loses fields named as a header node's name, Content-Length or Transfer-Encoding
 * with {@code _} for {@code -} ({@link #dropLookalikes}). For
 * {@code OPTIONS *} (asterisk-form) there is no path and no query: {@code path} and
 * {@code query} nodes change nothing, {@code filter} does not match, {@code expect} refuses.
 *
 * <p>One per session and direction, on the session's worker loop.
 */
final class HeadRewriter {
    private static final byte KEEP = 0;
    private static final byte DROP = 1;
    private static final byte REPLACE = 2;
    private static final byte[] COOKIE = HttpHead.lower("cookie");
    private static final byte[] SET_COOKIE = HttpHead.lower("set-cookie");
    private static final byte[] CONTENT_TYPE = HttpHead.lower("content-type");
    private static final byte[] TRAILER = HttpHead.lower("trailer");
    /** The length of {@code HTTP/1.x}, which begins a status line and ends a request line. */
    private static final int HTTP_VERSION_LENGTH = 8;

    private final List<HttpRules.Rule> rules;
    private final SessionValues values;
    private final boolean request;
    private final String[] expanded;
    /** The rules' header {@code remove}s that are not {@code marked}: they apply to interim responses too. */
    private final List<HttpRules.Rule> interimRemoves;
    private HttpHead h;
    /**
     * Per field, what becomes of it; the head's fields are [0, h.fields), the fields the rules
     * added follow, named by {@link #addedNames}, each REPLACE with its value or DROP.
     */
    private byte[] fate = new byte[16];
    private String[] newValue = new String[16];
    private final List<String> addedNames = new ArrayList<>();
    private final List<byte[]> addedLower = new ArrayList<>();
    private int[] hits = new int[16];
    private boolean changed;
    private boolean marked;
    /** An append or change action wrote a Connection field of this message. */
    private boolean connectionWritten;
    private String path;
    private String query;
    /** The path as path rules match it, once per message; null until one runs. */
    private String pathForm;
    /** The path with encoded slashes read as separators, or null when it has none. */
    private String pathSlashForm;
    /** The path without path parameters, as servlet containers read it, or null when it has none. */
    private String pathParamForm;
    private boolean targetChanged;
    /**
     * The start line is to say HTTP/1.1: an HTTP/1.0 response's ({@link #chunked}), or a
     * message that said a later 1.x ({@link HttpHead#laterVersion}).
     */
    private boolean versionRaised;
    private Pairs queryPairs;
    private Pairs cookies;
    private boolean cookiesChanged;
    private int hash;
    private final Composer composer = new Composer();

    HeadRewriter(List<HttpRules.Rule> rules, SessionValues values, boolean request) {
        this.rules = rules;
        this.values = values;
        this.request = request;
        this.expanded = new String[rules.size()];
        this.interimRemoves = rules.stream().filter(HeadRewriter::interimRemove).toList();
    }

    /** A header {@code remove} that no mark conditions, the one action an interim response gets. */
    private static boolean interimRemove(HttpRules.Rule r) {
        ProtocolNode n = r.node();
        return n.type() == NodeType.HEADER && n.action() == Action.REMOVE && !n.marked();
    }

    boolean active() {
        return !rules.isEmpty();
    }

    /** The hash after the last {@link #apply}: {@code hashInit} with the hashed values fed in. */
    int hash() {
        return hash;
    }

    /**
     * Applies the rules to {@code head}. Throws when a rule refuses the message (403 for a
     * request, 502 for a response) or a request repeats a header an {@code expect} checks (400).
     */
    void apply(HttpHead head, int hashInit) throws HttpException {
        begin(head, hashInit);
        if (request && head.underscoreNames) {
            dropLookalikes();
        }
        for (int i = 0; i < rules.size(); i++) {
            HttpRules.Rule r = rules.get(i);
            if (r.node().marked() && !marked) {
                continue;
            }
            try {
                apply(r, i, head);
            } catch (HttpException e) {
                logRest(i + 1, head);
                throw e;
            }
        }
    }

    private void apply(HttpRules.Rule r, int i, HttpHead head) throws HttpException {
        switch (r.node().type()) {
            case HEADER -> header(r, i);
            case QUERY -> {
                if (head.asteriskForm) {
                    noTarget(r.node());
                } else {
                    pairs(r, i, queryPairs());
                }
            }
            case COOKIE -> pairs(r, i, cookies());
            case PATH -> {
                if (head.asteriskForm) {
                    noTarget(r.node());
                } else {
                    path(r, i);
                }
            }
            default -> throw new IllegalStateException();
        }
    }

    /**
     * Runs the {@code log} actions from rule {@code from} on, after a rule refused the message:
     * a refused request is the one most worth its logged fields, and a log action changes
     * nothing, so where it is written must not decide whether it logs.
     */
    private void logRest(int from, HttpHead head) {
        for (int i = from; i < rules.size(); i++) {
            HttpRules.Rule r = rules.get(i);
            if (r.node().action() != Action.LOG || r.node().marked() && !marked) {
                continue;
            }
            try {
                apply(r, i, head);
            } catch (HttpException e) {
                // A log action refuses nothing; a path that cannot be matched logs nothing.
            }
        }
    }

    /** Whether {@link #applyToInterim} may change an interim response. */
    boolean removesHeaders() {
        return !interimRemoves.isEmpty();
    }

    /**
     * Edits an interim (1xx) response {@code head} for {@link #write}: it loses its hop-by-hop
     * fields, as any response, and the fields a header {@code remove} names (not a
     * {@code marked} one: no rule marks an interim response). Nothing else applies: an
     * {@code expect} or {@code filter} would refuse a valid 103 Early Hints for a field only
     * the final response has, a {@code change} or {@code append} would add its field to every
     * 100 Continue, and a {@code log} would log the final response's field twice. A remove does
     * apply: servers send more than hints in a 103 (Go's net/http sends its whole header map),
     * and a field the operator keeps from clients must not reach them early.
     */
    void applyToInterim(HttpHead head) {
        begin(head, 0);
        for (HttpRules.Rule r : interimRemoves) {
            drop(r.keyLower());
        }
    }

    /**
     * Starts the edit of {@code head}: nothing changed yet but the version of a later 1.x,
     * its hop-by-hop fields dropped.
     */
    private void begin(HttpHead head, int hashInit) {
        h = head;
        hash = hashInit;
        marked = false;
        connectionWritten = false;
        targetChanged = false;
        versionRaised = head.laterVersion;
        changed = versionRaised;
        path = null;
        query = null;
        pathForm = null;
        pathSlashForm = null;
        pathParamForm = null;
        queryPairs = null;
        cookies = null;
        cookiesChanged = false;
        addedNames.clear();
        addedLower.clear();
        if (fate.length < head.fields) {
            fate = new byte[head.fields];
            newValue = new String[head.fields];
            hits = new int[head.fields];
        } else {
            Arrays.fill(fate, 0, head.fields, KEEP);
        }
        if (head.hopByHop) {
            HopByHopFields.remove(head, this::drop, this::set);
        }
        if (head.framingUntidy) {
            tidyFraming();
        }
        if (head.repeatedContentLength) {
            dropRepeatedLengths();
        }
    }

    /**
     * Writes the Content-Length and Transfer-Encoding lines {@code "Name: value"}, the length
     * in plain decimal ({@link HttpHead#framingUntidy}; every length line holds that value),
     * the codings without a response's empty elements; a line left with none goes.
     */
    private void tidyFraming() {
        for (int f = 0; f < h.fields; f++) {
            if (h.nameIs(f, HttpHead.CONTENT_LENGTH)) {
                set(f, Long.toString(h.contentLength));
            } else if (h.nameIs(f, HttpHead.TRANSFER_ENCODING)) {
                String codings = codingsOf(h.value(f));
                if (codings.isEmpty()) {
                    drop(f);
                } else {
                    set(f, codings);
                }
            }
        }
    }

    /** A Transfer-Encoding value's codings, trimmed, without empty elements, ", " between them. */
    static String codingsOf(String value) {
        StringBuilder b = new StringBuilder(value.length());
        for (String c : value.split(",")) {
            String t = c.strip();
            if (!t.isEmpty()) {
                b.append(b.length() > 0 ? ", " : "").append(t);
            }
        }
        return b.toString();
    }

    /** Whether field {@code f} of the head is its Content-Length or Transfer-Encoding. */
    private boolean framing(int f) {
        return h.nameIs(f, HttpHead.CONTENT_LENGTH) || h.nameIs(f, HttpHead.TRANSFER_ENCODING);
    }

    /**
     * Keeps the first of the head's Content-Length lines, which {@link HttpHead} found to
     * hold one value: together they are a list (RFC 9110 5.3), which a sender must not
     * forward (RFC 9110 8.6), and some peers refuse two lines whatever their values (Node.js).
     */
    private void dropRepeatedLengths() {
        boolean first = true;
        for (int f = 0; f < h.fields; f++) {
            if (h.nameIs(f, HttpHead.CONTENT_LENGTH)) {
                if (!first) {
                    drop(f);
                }
                first = false;
            }
        }
    }

    /**
     * Drops request fields whose names a header node names with {@code -} where they have
     * {@code _} ({@code X_Forwarded_For} for {@code X-Forwarded-For}): servers that read both
     * as one variable would otherwise take the client's field for the one a node added,
     * changed, removed or checked (nginx drops all such fields by default, Apache httpd those
     * it passes to CGI). {@code Content_Length} and {@code Transfer_Encoding} go whatever the
     * nodes: such a server could frame the body by them, not by the fields the relay framed it
     * by, and read what follows as a request that met no rule.
     */
    private void dropLookalikes() {
        if (h.framingLookalikes) {
            for (int f = 0; f < h.fields; f++) {
                if (h.nameLike(f, HttpHead.CONTENT_LENGTH) || h.nameLike(f, HttpHead.TRANSFER_ENCODING)) {
                    drop(f);
                }
            }
        }
        for (HttpRules.Rule r : rules) {
            if (r.node().type() != NodeType.HEADER) {
                continue;
            }
            for (int f = 0; f < h.fields; f++) {
                if (fate[f] != DROP && h.nameLike(f, r.keyLower())) {
                    drop(f);
                }
            }
        }
    }

    /** A path or query node on a target without either ({@code *}): only expect acts, refusing. */
    private void noTarget(ProtocolNode n) throws HttpException {
        if (n.action() == Action.EXPECT) {
            expect(n, false);
        }
    }

    /**
     * The node's value with the session's macros expanded; for a query or path node, as it
     * goes into the request target ({@link UriSyntax#queryText}): a value with a space would
     * otherwise split the request line. For a header or cookie, as the head holds its text:
     * one char per byte, so that what is beyond ASCII goes out in UTF-8, as the file has it.
     */
    private String value(int rule) {
        String v = expanded[rule];
        if (v == null) {
            ProtocolNode n = rules.get(rule).node();
            v = n.value() == null ? "" : values.expand(n.value());
            if (n.type() == NodeType.QUERY || n.type() == NodeType.PATH) {
                // Brackets belong to a URI's host alone (RFC 3986 3.2.2): an IPv6 macro with a
                // port ([::1]:80) in a query value reached the server raw (probe CA: Tomcat 400).
                v = UriSyntax.queryText(v);
                if (n.action() == Action.APPEND || n.action() == Action.CHANGE) {
                    v = v.replace("[", "%5B").replace("]", "%5D");
                }
            } else {
                v = inUtf8(v);
            }
            expanded[rule] = v;
        }
        return v;
    }

    /** {@code s} as its UTF-8 bytes go out, one char per byte, as a head holds them. */
    private static String inUtf8(String s) {
        return ascii(s) ? s : new String(s.getBytes(StandardCharsets.UTF_8), StandardCharsets.ISO_8859_1);
    }

    private static boolean ascii(String s) {
        for (int i = 0; i < s.length(); i++) {
            if (s.charAt(i) > 0x7f) {
                return false;
            }
        }
        return true;
    }

    /**
     * Whether the head {@link #write} sends still asks for a 100 Continue: a rule may have
     * removed or changed the client's {@code Expect}.
     */
    boolean asksForContinue() {
        for (int f = 0; f < fields(); f++) {
            if (fate[f] != DROP && named(f, HttpHead.EXPECT) && current(f).strip().equalsIgnoreCase("100-continue")) {
                return true;
            }
        }
        return false;
    }

    /**
     * Whether an action made the head (after {@link #apply}) say {@code close} in Connection,
     * as relayd's {@code header change "Connection" to "close"} turns keep-alive off: the relay
     * then closes that connection after the exchange, as its peer will (RFC 9112 9.6).
     */
    boolean closeByRule() {
        if (!connectionWritten) {
            return false;
        }
        for (int f = 0; f < fields(); f++) {
            if (fate[f] != DROP && named(f, HttpHead.CONNECTION)) {
                for (String option : current(f).split(",")) {
                    if (option.strip().equalsIgnoreCase("close")) {
                        return true;
                    }
                }
            }
        }
        return false;
    }

    /** Drops the head's fields named {@code lower} (after {@link #apply}). */
    void drop(byte[] lower) {
        for (int f = 0; f < fields(); f++) {
            if (fate[f] != DROP && named(f, lower)) {
                drop(f);
            }
        }
    }

    /** The values of the head's fields named {@code lower} as {@link #write} sends them, joined as a list; null when none. */
    String values(byte[] lower) {
        String joined = null;
        for (int f = 0; f < fields(); f++) {
            if (fate[f] != DROP && named(f, lower)) {
                joined = joined == null ? current(f) : joined + ", " + current(f);
            }
        }
        return joined;
    }

    /** The head's fields and those the rules added since {@link #begin}. */
    private int fields() {
        return h.fields + addedNames.size();
    }

    private boolean named(int field, byte[] lower) {
        return field < h.fields ? h.nameIs(field, lower) : Arrays.equals(addedLower.get(field - h.fields), lower);
    }

    private String current(int field) {
        return fate[field] == REPLACE ? newValue[field] : h.value(field);
    }

    private void set(int field, String v) {
        fate[field] = REPLACE;
        newValue[field] = v;
        changed = true;
    }

    private void drop(int field) {
        fate[field] = DROP;
        changed = true;
    }

    private void header(HttpRules.Rule r, int idx) throws HttpException {
        ProtocolNode n = r.node();
        if (cookies != null && Arrays.equals(r.keyLower(), COOKIE)) {
            // The cookie actions so far go into the Cookie fields this action works on, and the
            // cookie actions after it read the fields as it leaves them.
            if (cookiesChanged) {
                rewriteCookies();
                cookiesChanged = false;
            }
            cookies = null;
        }
        int count = 0;
        // Fields an earlier action added count too: actions on one key apply in order.
        for (int f = 0; f < fields(); f++) {
            if (fate[f] != DROP && named(f, r.keyLower())) {
                hits[count++] = f;
            }
        }
        if (n.log()) {
            for (int k = 0; k < count; k++) {
                values.log(n.key(), current(hits[k]));
            }
        }
        if (n.action() == Action.APPEND || n.action() == Action.CHANGE) {
            connectionWritten |= Arrays.equals(r.keyLower(), HttpHead.CONNECTION);
        }
        switch (n.action()) {
            case APPEND -> {
                // Set-Cookie fields do not join into one (RFC 9110 5.3): each cookie is a field.
                if (count > 0 && !Arrays.equals(r.keyLower(), SET_COOKIE)) {
                    // Cookie pairs are separated by "; " (RFC 6265 4.2.1), other list elements by ", ".
                    set(hits[0], joined(count, Arrays.equals(r.keyLower(), COOKIE) ? "; " : ", ") + value(idx));
                    for (int k = 1; k < count; k++) {
                        drop(hits[k]);
                    }
                } else {
                    add(n.key(), r.keyLower(), value(idx));
                }
            }
            case CHANGE -> {
                if (count == 0) {
                    add(n.key(), r.keyLower(), value(idx));
                    return;
                }
                set(hits[0], value(idx));
                for (int k = 1; k < count; k++) {
                    drop(hits[k]);
                }
            }
            case REMOVE -> {
                for (int k = 0; k < count; k++) {
                    drop(hits[k]);
                }
            }
            case EXPECT -> {
                // The original refused a repeated request field; with mark, which drops nothing,
                // it marks only when every line matches (probe Q).
                if (count > 1 && request && !n.mark()) {
                    throw new HttpException(400, "repeated header line " + n.key(), true, n.label());
                }
                // A pattern is written in UTF-8: a value in UTF-8 is matched as such (as relayd
                // matched bytes), or no value could meet one beyond ASCII. A field given more
                // than once must match with every line: with any one, a second Content-Type,
                // which browsers take, passed an expect on the first (probe Y). Content-Type,
                // a single value, must match with every comma element too: browsers split it
                // and take the last type (WHATWG Fetch), so "application/json, text/html" met
                // "application/json*" and was shown as HTML (probe Q).
                boolean elements = Arrays.equals(r.keyLower(), CONTENT_TYPE);
                boolean match = count > 0;
                for (int k = 0; k < count && match; k++) {
                    String v = TargetNormalizer.utf8(current(hits[k]));
                    match = elements ? everyElementMatches(n.value(), v) : Glob.matchesIgnoringCase(n.value(), v);
                }
                expect(n, match);
            }
            case FILTER -> {
                // A server picks its virtual host by the name alone: Host filters match that too.
                // A value beyond ASCII is matched as ISO-8859-1 and as UTF-8, as servers read it.
                boolean host = request && Arrays.equals(r.keyLower(), HttpHead.HOST);
                boolean match = false;
                for (int k = 0; k < count && !match; k++) {
                    String v = current(hits[k]);
                    match = matchesEitherReading(n.value(), v)
                            || host && Glob.matchesIgnoringCase(n.value(), TargetNormalizer.host(v))
                            || anyListElementMatches(n.value(), v);
                }
                // Repeated lines are one list to the server (RFC 9110 5.3): a pattern across a
                // comma met "a, b" on one line and passed it on two (review CJ).
                if (!match && count > 1) {
                    String list = joined(count, Arrays.equals(r.keyLower(), COOKIE) ? "; " : ", ");
                    match = !list.isEmpty() && matchesEitherReading(n.value(), list.substring(0, list.length() - 2));
                }
                filter(n, match);
            }
            case HASH -> {
                for (int k = 0; k < count; k++) {
                    hash = Hash32.str(current(hits[k]), hash);
                }
            }
            case LOG -> {
            }
            default -> throw new IllegalStateException();
        }
    }

    /**
     * Whether an element of a comma-separated value matches on its own (white space around it
     * trimmed, empty ones skipped): {@code X-A: fine, bad} is the two lines {@code X-A: fine}
     * and {@code X-A: bad} to a server (RFC 9110 5.3), and a filter matches those one by one.
     */
    private static boolean anyListElementMatches(String pattern, String v) {
        if (v.indexOf(',') < 0) {
            return false;
        }
        for (String element : v.split(",")) {
            // A value holds no control character but HTAB: trim takes the OWS around it.
            String e = element.trim();
            if (!e.isEmpty() && matchesEitherReading(pattern, e)) {
                return true;
            }
        }
        return false;
    }

    /**
     * Whether every comma element of {@code v} outside quoted strings matches, white space
     * around it trimmed and empty ones skipped, with at least one that is not empty; a value
     * without such a comma is matched whole.
     */
    private static boolean everyElementMatches(String pattern, String v) {
        boolean any = false;
        boolean quoted = false;
        int from = 0;
        for (int i = 0; i < v.length(); i++) {
            char c = v.charAt(i);
            if (quoted && c == '\\') {
                i++;
            } else if (c == '"') {
                quoted = !quoted;
            } else if (c == ',' && !quoted) {
                String e = v.substring(from, i).trim();
                if (!e.isEmpty() && !Glob.matchesIgnoringCase(pattern, e)) {
                    return false;
                }
                any |= !e.isEmpty();
                from = i + 1;
            }
        }
        if (from == 0) {
            return Glob.matchesIgnoringCase(pattern, v);
        }
        String last = v.substring(from).trim();
        return last.isEmpty() ? any : Glob.matchesIgnoringCase(pattern, last);
    }

    /** Whether {@code v} matches read as ISO-8859-1 or, when it is UTF-8, as UTF-8. */
    private static boolean matchesEitherReading(String pattern, String v) {
        String text = TargetNormalizer.utf8(v);
        return Glob.matchesIgnoringCase(pattern, v) || text != v && Glob.matchesIgnoringCase(pattern, text);
    }

    /**
     * The values of the {@code count} fields in {@link #hits} as one list (RFC 9110 5.3), each
     * followed by {@code separator}, empty ones left out: what an append adds its value to. One
     * line, not an append to the last of repeated ones: a server that reads only the first
     * line (a servlet's getHeader, Go's Header.Get) would take the client's first line as the
     * whole list.
     */
    private String joined(int count, String separator) {
        StringBuilder b = new StringBuilder();
        for (int k = 0; k < count; k++) {
            String v = current(hits[k]);
            if (!v.isEmpty()) {
                b.append(v).append(separator);
            }
        }
        return b.toString();
    }

    /** Adds the field {@code name: value} after the head's, where later actions see it. */
    private void add(String name, byte[] lower, String value) {
        int f = fields();
        if (fate.length <= f) {
            fate = Arrays.copyOf(fate, f * 2);
            newValue = Arrays.copyOf(newValue, f * 2);
            hits = Arrays.copyOf(hits, f * 2);
        }
        addedNames.add(name);
        addedLower.add(lower);
        set(f, value);
    }

    private void expect(ProtocolNode n, boolean match) throws HttpException {
        if (match) {
            marked |= n.mark();
        } else if (!n.mark()) {
            throw refused(n, "missing or unexpected ");
        }
    }

    private void filter(ProtocolNode n, boolean match) throws HttpException {
        if (match) {
            if (!n.mark()) {
                throw refused(n, "filtered ");
            }
            marked = true;
        }
    }

    /**
     * The refusal by rule {@code n}: {@code why} and what the rule is about, for the log line;
     * the error page names a path rule's kind alone, since its key is the operator's
     * pattern, which would tell a client how to get round it (probe AC: relayd's page said only
     * "rejecting request"). A header, query or cookie rule's key is a name the client sent.
     */
    private HttpException refused(ProtocolNode n, String why) {
        String kind = n.type().name().toLowerCase(java.util.Locale.ROOT);
        String reason = why + kind + " " + n.key();
        String page = n.type() == NodeType.PATH ? why + kind : reason;
        return new HttpException(request ? 403 : 502, reason, true, n.label(), page);
    }

    /** A query variable or cookie node. */
    private void pairs(HttpRules.Rule r, int idx, Pairs p) throws HttpException {
        ProtocolNode n = r.node();
        boolean cookie = n.type() == NodeType.COOKIE;
        boolean match = false;
        // Servers take one of repeated pairs, not all the same one: an expect needs them all.
        boolean every = true;
        boolean any = false;
        for (int i = 0; i < p.size(); i++) {
            if (!p.nameIs(i, n.key())) {
                continue;
            }
            any = true;
            if (n.log()) {
                values.log(n.key(), p.rawValue(i, cookie));
            }
            if (n.action() == Action.HASH) {
                hash = Hash32.str(p.rawValue(i, cookie), hash);
            }
            if (n.action() == Action.EXPECT || n.action() == Action.FILTER) {
                String v = p.matchValue(i, cookie);
                boolean m = Glob.matchesIgnoringCase(n.value(), v);
                // A cookie's bytes beyond ASCII as received: a filter refuses what they match read
                // as ISO-8859-1 or as UTF-8, an expect is met by its UTF-8 pattern in UTF-8.
                String text = cookie ? TargetNormalizer.utf8(v) : v;
                if (text != v) {
                    boolean t = Glob.matchesIgnoringCase(n.value(), text);
                    m = n.action() == Action.FILTER ? m || t : t;
                }
                String decoded = p.decodedCookieValue(i);
                if (decoded != null && Glob.matchesIgnoringCase(n.value(), decoded) != m) {
                    // A filter refuses what either form matches; an expect needs both.
                    m = n.action() == Action.FILTER;
                }
                String unescaped = cookie ? p.unescapedCookieValue(i) : null;
                if (unescaped != null && Glob.matchesIgnoringCase(n.value(), unescaped) != m) {
                    m = n.action() == Action.FILTER;
                }
                match |= m;
                every &= m;
            }
        }
        if (n.action() == Action.EXPECT || n.action() == Action.FILTER) {
            // The same pair as servers that also split cookies at ',' and white space, or a
            // query at ';', read it: a filter refuses what it matches there, an expect needs it
            // to match there too.
            for (String[] c : cookie ? p.splitCookies() : p.splitQuery()) {
                if (Pairs.sameVariable(c[0], n.key())
                        || cookie && Pairs.sameVariable(TargetNormalizer.cookie(c[0]), n.key())) {
                    String text = cookie ? TargetNormalizer.utf8(c[1]) : c[1];
                    boolean m = n.action() == Action.FILTER
                            ? Glob.matchesIgnoringCase(n.value(), c[1]) || Glob.matchesIgnoringCase(n.value(), text)
                            : Glob.matchesIgnoringCase(n.value(), text);
                    match |= m;
                    every &= m;
                }
            }
        }
        // A cookie name beyond ASCII goes out in UTF-8, as its value does (it went out in
        // ISO-8859-1, probe Q).
        String name = cookie ? inUtf8(n.key()) : UriSyntax.queryName(n.key());
        switch (n.action()) {
            case APPEND -> p.add(name, value(idx));
            case CHANGE -> {
                for (int i = 0; i < p.size(); i++) {
                    if (p.nameIs(i, n.key())) {
                        String rest = p.splitOff(i, n.key());
                        p.set(i, value(idx));
                        if (rest != null) {
                            p.insertWhole(i + 1, rest);
                        }
                    }
                }
                // The same pair as servers that split more finely read it, changed too; added
                // all the same when no pair is named so, for servers that do not split so.
                p.editInside(n.key(), value(idx));
                if (!any) {
                    p.add(name, value(idx));
                }
            }
            case REMOVE -> {
                for (int i = p.size() - 1; i >= 0; i--) {
                    while (i < p.size() && p.nameIs(i, n.key())) {
                        String rest = p.splitOff(i, n.key());
                        p.remove(i);
                        if (rest != null) {
                            p.insertWhole(i, rest);
                        }
                    }
                }
                if (p.editInside(n.key(), null)) {
                    any = true;
                }
            }
            case EXPECT -> expect(n, any && every);
            case FILTER -> filter(n, match);
            default -> {
                return;
            }
        }
        if (n.action() == Action.APPEND || n.action() == Action.CHANGE || (n.action() == Action.REMOVE && any)) {
            if (cookie) {
                cookiesChanged = true;
            } else {
                query = p.size() == 0 ? null : p.join("&");
                targetChanged = true;
            }
            changed = true;
        }
    }

    private void path(HttpRules.Rule r, int idx) throws HttpException {
        ProtocolNode n = r.node();
        splitTarget();
        boolean at = pathMatches(n.key(), n.action() == Action.EXPECT, r.keyBeyondAscii());
        String q = query == null ? "" : query;
        if (at && n.log()) {
            values.log(path, q);
        }
        switch (n.action()) {
            case APPEND -> {
                if (at) {
                    // After a query that ends in '&' (as after none) the value follows at once.
                    editQuery(q.isEmpty() || q.endsWith("&") ? q + value(idx) : q + "&" + value(idx));
                }
            }
            case CHANGE -> {
                if (at) {
                    editQuery(value(idx));
                }
            }
            case REMOVE -> {
                if (at && query != null) {
                    editQuery(null);
                }
            }
            case EXPECT -> expect(n, at && Glob.matchesIgnoringCase(n.value(), TargetNormalizer.query(q)));
            case FILTER -> filter(n, at && Glob.matchesIgnoringCase(n.value(), TargetNormalizer.query(q)));
            case HASH -> {
                if (at) {
                    hash = Hash32.str(q, hash);
                }
            }
            default -> {
            }
        }
    }

    /**
     * Whether glob {@code key} matches the path as path rules see it. A path with an encoded
     * slash or backslash, or with path parameters, has more forms, as servers differ in
     * reading it ({@link TargetNormalizer#pathWithSlashesDecoded},
     * {@link TargetNormalizer#pathWithParametersRemoved}): {@code all} asks that every form
     * match (an {@code expect}), else any will do.
     */
    private boolean pathMatches(String key, boolean all, boolean beyondAscii) throws HttpException {
        if (pathForm == null) {
            pathForm = TargetNormalizer.path(path);
            pathSlashForm = TargetNormalizer.pathWithSlashesDecoded(path);
            pathParamForm = TargetNormalizer.pathWithParametersRemoved(path);
        }
        // A key beyond ASCII is written in UTF-8: it matches the bytes escaped in the path as
        // their text (kept escaped, as the forms have them, no such key could ever match).
        UnaryOperator<String> form = beyondAscii ? TargetNormalizer::utf8Escapes : UnaryOperator.identity();
        boolean kept = Glob.matchesIgnoringCase(key, form.apply(pathForm));
        if (kept != all) {
            return kept;
        }
        return differs(key, form.apply(pathSlashForm), all) || differs(key, form.apply(pathParamForm), all) ? !all : all;
    }

    private static boolean differs(String key, String form, boolean matched) {
        return form != null && Glob.matchesIgnoringCase(key, form) != matched;
    }

    private void editQuery(String q) {
        query = q;
        queryPairs = null;
        targetChanged = true;
        changed = true;
    }

    private void splitTarget() {
        if (path == null) {
            String t = h.target();
            int qm = t.indexOf('?');
            path = qm < 0 ? t : t.substring(0, qm);
            query = qm < 0 ? null : t.substring(qm + 1);
        }
    }

    private Pairs queryPairs() {
        if (queryPairs == null) {
            splitTarget();
            queryPairs = Pairs.query(query);
        }
        return queryPairs;
    }

    /**
     * The Cookie fields' pairs, read when a cookie action first needs them. A field with a
     * {@code ;} inside a quoted value is refused (400): servers read it as one cookie or as
     * two, and the rules could vouch for neither reading ({@link Pairs#quoteHoldsSeparator}).
     */
    private Pairs cookies() throws HttpException {
        if (cookies == null) {
            List<String> parts = new ArrayList<>();
            for (int f = 0; f < fields(); f++) {
                if (fate[f] != DROP && named(f, COOKIE)) {
                    String v = current(f);
                    if (Pairs.quoteHoldsSeparator(v)) {
                        throw new HttpException(400, "a quoted cookie value holds a ';'");
                    }
                    parts.add(v);
                }
            }
            cookies = Pairs.cookies(parts);
        }
        return cookies;
    }

    /**
     * Makes the head (after {@link #apply}) say {@code token} ({@code close} or
     * {@code keep-alive}) in its Connection field instead of either of them, keeping the other
     * connection options it lists (after {@link HopByHopFields}, at most the {@code upgrade} of
     * an upgrade the relay relays). Towards the server a client's
     * {@code close} becomes {@code keep-alive}, so the connection can serve the next session;
     * towards that client the response then says {@code close}.
     */
    void connection(String token) {
        StringBuilder value = null;
        int first = -1;
        for (int f = 0; f < fields(); f++) {
            if (fate[f] == DROP || !named(f, HttpHead.CONNECTION)) {
                continue;
            }
            if (fate[f] != KEEP || !h.onlyConnectionToken(f)) {
                for (String option : current(f).split(",")) {
                    String o = option.trim();
                    if (!o.isEmpty() && !o.equalsIgnoreCase("close") && !o.equalsIgnoreCase("keep-alive")) {
                        value = (value == null ? new StringBuilder(token) : value).append(", ").append(o);
                    }
                }
            }
            if (first < 0) {
                first = f;
            } else {
                drop(f);
            }
        }
        String v = value == null ? token : value.toString();
        if (first >= 0) {
            set(first, v);
        } else {
            add("Connection", HttpHead.CONNECTION, v);
        }
    }

    /**
     * Drops the Content-Length and Transfer-Encoding fields of the head (after {@link #apply}
     * or {@link #applyToInterim}): a 1xx or 204 response has no content and must not carry them
     * (RFC 9110 8.6, RFC 9112 6.1), and an HTTP/1.0 client reads no transfer coding. Trailer
     * goes with them: it announces fields after chunks (RFC 9110 6.6.2), which then never come.
     */
    void dropFraming() {
        for (int f = 0; f < h.fields; f++) {
            if (framing(f) || h.nameIs(f, TRAILER)) {
                drop(f);
            }
        }
    }

    /**
     * Adds {@code Transfer-Encoding: chunked} to a response head (after {@link #apply}) that
     * has no framing field: its body, which only the server's close ends, goes to the client
     * chunked, so the client's connection can carry its next request. An HTTP/1.0 response's
     * status line then says HTTP/1.1, which can carry it (a proxy sends its own version, RFC
     * 9110 2.5, as nginx and HAProxy do).
     */
    void chunked() {
        add("Transfer-Encoding", HttpHead.TRANSFER_ENCODING, "chunked");
        versionRaised |= h.version == 10;
    }

    /** Writes the head, as edited by the last {@link #apply}, to {@code out}. */
    void write(ByteBufAllocator alloc, Consumer<ByteBuf> out) {
        if (!changed) {
            out.accept(h.buf.retainedSlice(h.start, h.end - h.start));
            return;
        }
        if (cookiesChanged) {
            rewriteCookies();
        }
        Composer c = composer.start(h.buf, alloc, out);
        int pos = h.start;
        if (versionRaised && !request) {
            c.text("HTTP/1.1");
            pos = h.start + HTTP_VERSION_LENGTH;
        }
        if (targetChanged) {
            c.range(h.start, h.targetStart);
            c.text(query == null ? path : path + "?" + query);
            pos = h.targetEnd;
        }
        if (versionRaised && request) {
            // The version follows the target and its space.
            int version = h.targetEnd + 1;
            c.range(pos, version);
            c.text("HTTP/1.1");
            pos = version + HTTP_VERSION_LENGTH;
        }
        for (int f = 0; f < h.fields; f++) {
            if (fate[f] == KEEP) {
                continue;
            }
            c.range(pos, h.lineStart[f]);
            if (fate[f] == REPLACE) {
                c.text(h.name(f)).text(": ").text(newValue[f]).text("\r\n");
            }
            pos = h.lineNext[f];
        }
        if (addedNames.isEmpty()) {
            c.range(pos, h.end);
        } else {
            c.range(pos, h.end - 2);
            for (int f = h.fields; f < fields(); f++) {
                if (fate[f] != DROP) {
                    c.text(addedNames.get(f - h.fields)).text(": ").text(newValue[f]).text("\r\n");
                }
            }
            c.text("\r\n");
        }
        c.flush();
    }

    private void rewriteCookies() {
        String joined = cookies.join("; ");
        boolean placed = false;
        for (int f = 0; f < fields(); f++) {
            if (fate[f] != DROP && named(f, COOKIE)) {
                if (!placed && !joined.isEmpty()) {
                    set(f, joined);
                    placed = true;
                } else {
                    drop(f);
                }
            }
        }
        if (!placed && !joined.isEmpty()) {
            add("Cookie", COOKIE, joined);
        }
    }

    /**
     * Builds the edited head as one buffer: unchanged ranges of the source buffer and runs of
     * text, copied in order once the total length is known. One buffer goes out in one
     * {@code send} where slices around added text went out in a {@code writev}, and the read
     * buffer is not kept alive by slices of the head.
     */
    private static final class Composer {
        private ByteBuf src;
        private ByteBufAllocator alloc;
        private Consumer<ByteBuf> out;
        /** The pieces in order: a range [from, to) of src, or of {@link #text} when isText. */
        private int[] from = new int[16];
        private int[] to = new int[16];
        private boolean[] isText = new boolean[16];
        private int pieces;
        private int length;
        private byte[] text = new byte[256];
        private int textLength;

        Composer start(ByteBuf source, ByteBufAllocator allocator, Consumer<ByteBuf> sink) {
            src = source;
            alloc = allocator;
            out = sink;
            pieces = 0;
            length = 0;
            textLength = 0;
            return this;
        }

        void range(int start, int end) {
            if (end > start) {
                piece(start, end, false);
            }
        }

        /** Appends {@code s} as ISO-8859-1, as the head's other bytes are read. */
        Composer text(String s) {
            int n = s.length();
            if (textLength + n > text.length) {
                text = Arrays.copyOf(text, Math.max(text.length * 2, textLength + n));
            }
            int start = textLength;
            for (int i = 0; i < n; i++) {
                char c = s.charAt(i);
                text[textLength++] = (byte) (c <= 0xff ? c : '?');
            }
            if (pieces > 0 && isText[pieces - 1]) {
                to[pieces - 1] = textLength;
                length += n;
            } else if (n > 0) {
                piece(start, textLength, true);
            }
            return this;
        }

        private void piece(int start, int end, boolean fromText) {
            if (pieces == from.length) {
                from = Arrays.copyOf(from, pieces * 2);
                to = Arrays.copyOf(to, pieces * 2);
                isText = Arrays.copyOf(isText, pieces * 2);
            }
            from[pieces] = start;
            to[pieces] = end;
            isText[pieces] = fromText;
            pieces++;
            length += end - start;
        }

        void flush() {
            ByteBuf b = LargeBuffers.direct(alloc, length);
            for (int i = 0; i < pieces; i++) {
                if (isText[i]) {
                    b.writeBytes(text, from[i], to[i] - from[i]);
                } else {
                    b.writeBytes(src, from[i], to[i] - from[i]);
                }
            }
            src = null;
            out.accept(b);
        }
    }
}
