package org.hoststated.relay.http;

import java.util.ArrayList;
import java.util.List;

/**
 * The name=value pairs of a query string ({@code &}-separated) or of Cookie fields
 * ({@code ;}-separated), editable by protocol rules and written back in order as received.
 * Rules match each pair in its match form: a query's names and values percent-decoded
 * ({@link TargetNormalizer#query}), a cookie's as received but for the white space around its
 * {@code =}. Names compare ignoring case, as
 * relayd's node lookup did. A pair without {@code =} keeps a null value. Per message, on the
 * session's worker loop.
 */
final class Pairs {
    private final List<String> names = new ArrayList<>();
    private final List<String> values = new ArrayList<>();
    private final boolean decode;
    /** The match forms: the lists above themselves while no pair needs decoding. */
    private List<String> matchNames = names;
    private List<String> matchValues = values;

    private Pairs(boolean decode) {
        this.decode = decode;
    }

    /**
     * The pairs of Cookie field values, matched as they are, without the white space around
     * their {@code =}: servers read {@code name = value} as {@code name=value} (Tomcat, Node's
     * cookie module, Python's http.cookies), so a rule must too, or {@code tok = x} would pass a
     * filter on {@code tok}, and a {@code change} would leave the client's value to the server.
     */
    static Pairs cookies(List<String> parts) {
        return parse(new Pairs(false), parts, ';', true);
    }

    /** The pairs of a query string (null: none), matched decoded. */
    static Pairs query(String query) {
        if (query == null) {
            return new Pairs(true);
        }
        return parse(new Pairs(true), List.of(query), '&', false);
    }

    /** {@code spaced}: white space around a pair's {@code =} is not part of its name or value. */
    private static Pairs parse(Pairs p, List<String> parts, char sep, boolean spaced) {
        for (String whole : parts) {
            int i = 0;
            while (i <= whole.length()) {
                int e = whole.indexOf(sep, i);
                if (e < 0) {
                    e = whole.length();
                }
                String part = whole.substring(i, e).trim();
                if (!part.isEmpty()) {
                    int eq = part.indexOf('=');
                    if (eq < 0) {
                        p.add(part, null);
                    } else if (spaced) {
                        p.add(part.substring(0, eq).trim(), part.substring(eq + 1).trim());
                    } else {
                        p.add(part.substring(0, eq), part.substring(eq + 1));
                    }
                }
                i = e + 1;
            }
        }
        return p;
    }

    /**
     * Whether a Cookie field value has a {@code ;} inside a quoted string: {@code f="bad;x"} is
     * the one cookie f, valued {@code bad;x}, to Python's http.cookies (and the frameworks on it),
     * but f valued {@code "bad} and a pair {@code x"} to servers that split at every {@code ;},
     * as this class does; so a filter on f could not see what such a server reads (probe X).
     * RFC 6265 allows no {@code ;} in a cookie value, quoted or not, and no browser sends one.
     */
    static boolean quoteHoldsSeparator(String field) {
        boolean quoted = false;
        for (int i = 0; i < field.length(); i++) {
            char c = field.charAt(i);
            if (c == '"') {
                quoted = !quoted;
            } else if (quoted && c == '\\') {
                i++; // an escaped character, a quote among them, as http.cookies reads it
            } else if (quoted && c == ';') {
                return true;
            }
        }
        return false;
    }

    int size() {
        return names.size();
    }

    /**
     * Whether pair i is named {@code key}; a cookie also when its name decoded is (see
     * {@link #decodedCookieValue}); either also as PHP's array form of it ({@code key[]},
     * {@code key[a]}), which PHP reads as that variable: {@code q[]=bad} passed a filter of
     * {@code q} (probe I).
     */
    boolean nameIs(int i, String key) {
        String n = matchNames.get(i);
        return sameVariable(n, key) || !decode && sameVariable(TargetNormalizer.cookie(n), key);
    }

    /**
     * Whether the variable {@code name} (decoded) is {@code key}, without case: as written, or
     * as PHP reads it ({@code php_register_variable_ex}), which takes {@code key[...]} and
     * {@code key[a]rest} for {@code key}, drops leading spaces, ends the name at a NUL, and
     * reads ' ' and '.' in it as '_'. Only the exact name and the array form ending in ']'
     * were taken, so {@code ?%20q=evil}, {@code ?q%00x=evil} and {@code ?q[]x=evil} passed a
     * filter on {@code q} that PHP then read as {@code q} (probe X). A key that holds '[' is
     * matched as written only.
     */
    static boolean sameVariable(String name, String key) {
        if (name.equalsIgnoreCase(key)) {
            return true;
        }
        if (name.length() < key.length() || key.indexOf('[') >= 0) {
            // Shorter than the key: no reading of it is the key either.
            return false;
        }
        String base = phpBase(name);
        return base.equalsIgnoreCase(key) || phpName(base).equalsIgnoreCase(key);
    }

    /** {@code name} without leading spaces, up to a NUL, and up to its array subscript if it has one. */
    private static String phpBase(String name) {
        int from = 0;
        while (from < name.length() && name.charAt(from) == ' ') {
            from++;
        }
        int end = name.indexOf('\0', from);
        String n = name.substring(from, end < 0 ? name.length() : end);
        int open = n.indexOf('[');
        return open > 0 && n.indexOf(']', open) > 0 ? n.substring(0, open) : n;
    }

    /**
     * A quoted cookie value's content with its backslash escapes decoded, as Python's
     * http.cookies (and so Django) reads it: {@code \X} is X, {@code \ooo} (octal, up to
     * \377) the character of that code; so {@code tok="ev\il"} and {@code tok="\145vil"} are
     * its {@code tok=evil} (probe S). Null when the value is not quoted or holds no backslash:
     * servers that keep the quotes or refuse the backslash (RFC 6265 allows none) see no other
     * value than the match form. Rules match both forms.
     */
    String unescapedCookieValue(int i) {
        String v = matchValues.get(i);
        return v != null && isQuoted(v) && v.indexOf('\\') >= 0 ? unescaped(v) : null;
    }

    private static boolean isQuoted(String v) {
        return v.length() >= 2 && v.charAt(0) == '"' && v.charAt(v.length() - 1) == '"';
    }

    /** The content of the quoted string {@code v}, escapes decoded as Python's {@code http.cookies._unquote}. */
    private static String unescaped(String v) {
        StringBuilder b = new StringBuilder(v.length());
        int end = v.length() - 1;
        for (int i = 1; i < end; i++) {
            char c = v.charAt(i);
            if (c != '\\' || i + 1 >= end) {
                b.append(c);
            } else if (octal(v, i + 1)) {
                b.append((char) Integer.parseInt(v.substring(i + 1, i + 4), 8));
                i += 3;
            } else {
                b.append(v.charAt(++i));
            }
        }
        return b.toString();
    }

    /** Whether {@code v} holds three octal digits from {@code at}, the first 0-3. */
    private static boolean octal(String v, int at) {
        return at + 3 <= v.length() - 1 && v.charAt(at) >= '0' && v.charAt(at) <= '3'
                && v.charAt(at + 1) >= '0' && v.charAt(at + 1) <= '7' && v.charAt(at + 2) >= '0' && v.charAt(at + 2) <= '7';
    }

    /** The variable PHP makes of a {@link #phpBase}: ' ', '.' and an unclosed '[' read as '_'. */
    private static String phpName(String base) {
        return base.replace(' ', '_').replace('.', '_').replace('[', '_');
    }

    /**
     * A cookie's value percent-decoded, or null when that is its match form itself: PHP and
     * Express decode cookie names and values, so {@code tok=%65vil} is their {@code tok=evil},
     * while other servers read the value as sent. Rules match both forms.
     */
    String decodedCookieValue(int i) {
        if (decode) {
            return null;
        }
        String v = matchValue(i, true);
        String d = TargetNormalizer.cookie(v);
        return d == v ? null : d;
    }

    /** The value of pair i as rules match it: "" when it has none, cookie quotes removed. */
    String matchValue(int i, boolean unquote) {
        return unquoted(matchValues.get(i), unquote);
    }

    /** The value of pair i as received, for logs and the hash: "" when none, cookie quotes removed. */
    String rawValue(int i, boolean unquote) {
        return unquoted(values.get(i), unquote);
    }

    /**
     * The pairs that a server splitting Cookie fields at {@code ,} and white space as well as
     * at {@code ;} finds inside these cookies' names and values, as {name, value}: Python's
     * http.cookies (Bottle, CherryPy) reads {@code x=1, f=bad} and {@code x=1 f=bad} as the
     * cookies x and f, as do RFC 2965 parsers (Jetty's older compliance modes, Tomcat's legacy
     * processor) for a comma. Empty when no pair holds such a character. Values as received,
     * quotes removed.
     */
    List<String[]> splitCookies() {
        List<String[]> out = null;
        for (int i = 0; i < names.size(); i++) {
            String whole = whole(i);
            if (!splits(whole)) {
                continue;
            }
            List<String> tokens = new ArrayList<>();
            cookieRuns(whole, new ArrayList<>(), tokens);
            for (String token : tokens) {
                int eq = token.indexOf('=');
                if (eq > 0) {
                    if (out == null) {
                        out = new ArrayList<>();
                    }
                    // The parsers that split so (Python's http.cookies) also decode a quoted
                    // value's backslash escapes.
                    String v = token.substring(eq + 1).trim();
                    out.add(new String[] {token.substring(0, eq).trim(),
                        isQuoted(v) && v.indexOf('\\') >= 0 ? unescaped(v) : unquoted(v, true)});
                }
            }
        }
        return out == null ? List.of() : out;
    }

    /**
     * The variables that a server splitting a query at {@code ;} as well as at {@code &} finds
     * inside these pairs, as {name, value} decoded: Rack 2 (Rails), Go before 1.17, Python's
     * parse_qs before 3.9.2 and Perl's CGI.pm read {@code x=1;f=bad} as x and f. Empty when no
     * pair holds a {@code ;} (an escaped one, {@code %3B}, splits nothing).
     */
    List<String[]> splitQuery() {
        List<String[]> out = null;
        for (int i = 0; i < names.size(); i++) {
            String whole = whole(i);
            if (whole.indexOf(';') < 0) {
                continue;
            }
            for (String token : whole.split(";")) {
                if (token.isEmpty()) {
                    continue;
                }
                if (out == null) {
                    out = new ArrayList<>();
                }
                int eq = token.indexOf('=');
                out.add(eq < 0 ? new String[] {decoded(token), ""}
                        : new String[] {decoded(token.substring(0, eq)), decoded(token.substring(eq + 1))});
            }
        }
        return out == null ? List.of() : out;
    }

    /**
     * Changes to {@code value}, or removes when it is null, the pairs named {@code key} that
     * servers splitting more finely find inside pairs of other names: a query's at {@code ;}
     * ({@link #splitQuery}; {@code t=ok;drop=1} kept {@code drop} for such a server), a
     * cookie's at {@code ,} and white space ({@link #splitCookies}; {@code x=1, tok=evil} kept
     * {@code tok} for Python's http.cookies). Whether there was any.
     */
    boolean editInside(String key, String value) {
        boolean found = false;
        for (int i = names.size() - 1; i >= 0; i--) {
            String whole = whole(i);
            if (!splitsFiner(whole) || nameIs(i, key)) {
                continue; // a pair of that name itself is the caller's
            }
            // The pairs inside, each with the separator before it; a removed one takes that along.
            List<String> separators = new ArrayList<>();
            List<String> inner = new ArrayList<>();
            split(whole, separators, inner);
            boolean hit = false;
            for (int k = 0; k < inner.size(); k++) {
                String pair = inner.get(k);
                int eq = pair.indexOf('=');
                // A query variable may come without '='; Python's cookies may not.
                String name = eq > 0 || decode && eq < 0 ? pair.substring(0, eq < 0 ? pair.length() : eq) : null;
                if (name != null && !decode) {
                    name = name.trim(); // "tok = x": cookieRuns keeps the white space around '='
                }
                if (name != null && named(name, key)) {
                    hit = true;
                    inner.set(k, value == null ? null : name + "=" + value);
                }
            }
            if (!hit) {
                continue;
            }
            found = true;
            StringBuilder b = new StringBuilder(whole.length());
            boolean first = true;
            for (int k = 0; k < inner.size(); k++) {
                if (inner.get(k) != null) {
                    b.append(first ? "" : separators.get(k)).append(inner.get(k));
                    first = false;
                }
            }
            replace(i, b.toString());
        }
        return found;
    }

    /**
     * Cuts {@code whole} into the pairs a finer split finds in it, each after its separator: a
     * query's at every {@code ;} (empty ones too), a cookie's at runs of {@code ,} and white space.
     */
    private void split(String whole, List<String> separators, List<String> inner) {
        if (decode) {
            for (String pair : whole.split(";", -1)) {
                separators.add(inner.isEmpty() ? "" : ";");
                inner.add(pair);
            }
            return;
        }
        cookieRuns(whole, separators, inner);
    }

    /**
     * Cuts {@code whole} into the cookies that a server splitting Cookie fields at {@code ,} and
     * white space reads in it, each after the run of separators before it, as Python's
     * http.cookies and RFC 2965 parsers read them: a name, then, after white space if any, an
     * {@code =} and the value, which is one quoted string when it begins with a {@code "} that
     * is closed ({@code \} escapes the next character). Cut at every such character instead,
     * {@code sid="s, cr=z"} lost its end to a {@code cookie remove "cr"} (probe Y), and
     * {@code x=1, tok = evil} hid {@code tok} from a filter. An unclosed quote is a character
     * like any other (Python's parser stops at it).
     */
    private static void cookieRuns(String whole, List<String> separators, List<String> inner) {
        int n = whole.length();
        int i = 0;
        while (true) {
            int sepStart = i;
            while (i < n && cookieSeparator(whole.charAt(i))) {
                i++;
            }
            if (i == n) {
                return;
            }
            int start = i;
            while (i < n && !cookieSeparator(whole.charAt(i)) && whole.charAt(i) != '=') {
                i++;
            }
            int eq = i;
            while (eq < n && (whole.charAt(eq) == ' ' || whole.charAt(eq) == '\t')) {
                eq++;
            }
            if (eq < n && whole.charAt(eq) == '=') {
                int v = eq + 1;
                while (v < n && (whole.charAt(v) == ' ' || whole.charAt(v) == '\t')) {
                    v++;
                }
                int close = v < n && whole.charAt(v) == '"' ? closingQuote(whole, v) : -1;
                i = close >= 0 ? close + 1 : v;
                while (close < 0 && i < n && !cookieSeparator(whole.charAt(i))) {
                    i++;
                }
            }
            separators.add(whole.substring(sepStart, start));
            inner.add(whole.substring(start, i));
        }
    }

    /** Where the quoted string that opens at {@code open} closes, or -1 when it does not. */
    private static int closingQuote(String s, int open) {
        for (int i = open + 1; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\\') {
                i++;
            } else if (c == '"') {
                return i;
            }
        }
        return -1;
    }

    private static boolean cookieSeparator(char c) {
        return c == ',' || c == ' ' || c == '\t';
    }

    /** Whether the name {@code raw}, as received, is {@code key}, read as {@link #nameIs} reads names. */
    private boolean named(String raw, String key) {
        return sameVariable(decoded(raw), key) || !decode && sameVariable(TargetNormalizer.cookie(raw), key);
    }

    /**
     * Puts {@code whole} ({@code name=value}, or a name alone) in place of pair i, read as the
     * pairs were read (a cookie's white space around {@code =} dropped); takes the pair out
     * when {@code whole} is empty.
     */
    private void replace(int i, String whole) {
        remove(i);
        if (!whole.isEmpty()) {
            insertWhole(i, whole);
        }
    }

    /** Inserts {@code whole} ({@code name=value}, or a name alone) as pair i, read as {@link #replace} reads it. */
    void insertWhole(int i, String whole) {
        int eq = whole.indexOf('=');
        String name = eq < 0 ? whole : whole.substring(0, eq);
        String value = eq < 0 ? null : whole.substring(eq + 1);
        insert(i, decode ? name : name.trim(), decode || value == null ? value : value.trim());
    }

    /**
     * Cuts pair i, which a caller's rule names, where servers splitting more finely
     * ({@link #editInside}) end it: the pair keeps its first such part, and the rest, the other
     * variables or cookies those servers read in it, is returned ({@code keep=2} of
     * {@code del=1;keep=2}), null when it holds none. A remove or change of the pair then
     * leaves them to those servers: they went with it (probe Q). Only when those servers too
     * read its first part as {@code key}: {@code c d=2} is the cookie {@code c_d} for PHP alone
     * (Python's reading has {@code c} and {@code d}), and a remove of {@code c_d} that kept
     * {@code d=2} gave PHP a cookie {@code d} the client had not sent it (probe Y); the whole
     * pair goes.
     */
    String splitOff(int i, String key) {
        String whole = whole(i);
        if (!splitsFiner(whole)) {
            return null;
        }
        List<String> separators = new ArrayList<>();
        List<String> inner = new ArrayList<>();
        split(whole, separators, inner);
        String first = inner.isEmpty() ? "" : inner.get(0);
        int eq = first.indexOf('=');
        if (inner.size() < 2 || !named((eq < 0 ? first : first.substring(0, eq)).trim(), key)) {
            return null;
        }
        StringBuilder rest = new StringBuilder(inner.get(1));
        for (int k = 2; k < inner.size(); k++) {
            rest.append(separators.get(k)).append(inner.get(k));
        }
        replace(i, inner.get(0));
        return rest.length() == 0 ? null : rest.toString();
    }

    /** Pair i as received: {@code name=value}, or its name alone. */
    private String whole(int i) {
        String v = values.get(i);
        return v == null ? names.get(i) : names.get(i) + "=" + v;
    }

    /** Whether {@code whole} holds more pairs for servers that split more finely ({@link #editInside}). */
    private boolean splitsFiner(String whole) {
        return decode ? whole.indexOf(';') >= 0 : splits(whole);
    }

    private static boolean splits(String s) {
        for (int i = 0; i < s.length(); i++) {
            if (cookieSeparator(s.charAt(i))) {
                return true;
            }
        }
        return false;
    }

    private static String unquoted(String v, boolean unquote) {
        if (v == null) {
            return "";
        }
        if (unquote && v.length() >= 2 && v.charAt(0) == '"' && v.charAt(v.length() - 1) == '"') {
            return v.substring(1, v.length() - 1);
        }
        return v;
    }

    void add(String name, String value) {
        insert(names.size(), name, value);
    }

    private void insert(int i, String name, String value) {
        String n = decoded(name);
        String v = decoded(value);
        // decoded() returns its argument itself when there is nothing to decode.
        if (!separate() && (n != name || v != value)) {
            ownMatchForms();
        }
        names.add(i, name);
        values.add(i, value);
        if (separate()) {
            matchNames.add(i, n);
            matchValues.add(i, v);
        }
    }

    void set(int i, String value) {
        String v = decoded(value);
        if (!separate() && v != value) {
            ownMatchForms();
        }
        values.set(i, value);
        if (separate()) {
            matchValues.set(i, v);
        }
    }

    void remove(int i) {
        names.remove(i);
        values.remove(i);
        if (separate()) {
            matchNames.remove(i);
            matchValues.remove(i);
        }
    }

    private String decoded(String s) {
        return decode && s != null ? TargetNormalizer.query(s) : s;
    }

    private boolean separate() {
        return matchNames != names;
    }

    /** Gives the match forms lists of their own, equal to the raw pairs so far. */
    private void ownMatchForms() {
        matchNames = new ArrayList<>(names);
        matchValues = new ArrayList<>(values);
    }

    String join(String sep) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < names.size(); i++) {
            if (i > 0) {
                b.append(sep);
            }
            b.append(names.get(i));
            if (values.get(i) != null) {
                b.append('=').append(values.get(i));
            }
        }
        return b.toString();
    }
}
