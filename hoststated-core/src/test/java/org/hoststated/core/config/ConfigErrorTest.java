package org.hoststated.core.config;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Each error of the language, with its exact {@code file:line: message}. */
class ConfigErrorTest {
    private static final String TABLE = "table web {\n real port 80\n check tcp\n host 10.0.0.1\n}\n";
    private static final String SERVICE = "service www {\n virtual host 192.0.2.1 port 80\n table web\n}\n";

    static Stream<Arguments> errors() {
        return Stream.of(
                Arguments.of(TABLE + TABLE + SERVICE, "test.conf:6: table web defined twice (first at test.conf:1)"),
                // No way to give the interface a link-local address needs (probe G).
                Arguments.of(TABLE.replace("10.0.0.1", "fe80::1") + SERVICE, "test.conf:4: link-local address fe80::1:"
                        + " it needs an interface, which hoststated.conf cannot name; use a global or unique local address"),
                Arguments.of("relay r {\n listen on fe80::5 port 80\n forward to 10.0.0.1 port 80\n}\n",
                        "test.conf:2: link-local address fe80::5: it needs an interface, which hoststated.conf cannot"
                        + " name; use a global or unique local address"),
                Arguments.of("table t {\n real port 80\n check tcp\n}\n" + SERVICE.replace("web", "t"),
                        "test.conf:1: table t has no hosts"),
                Arguments.of("table t {\n real port 80\n host 10.0.0.1\n}\n" + SERVICE.replace("web", "t"),
                        "test.conf:1: table t has no check"),
                Arguments.of("interval 1\ntimeout 1000\n" + TABLE + SERVICE,
                        "test.conf:2: global timeout 1000 ms is not less than the interval of 1 s"),
                Arguments.of("table web {\n real port 80\n timeout 20000\n check tcp\n host 10.0.0.1\n}\n"
                        + SERVICE, "test.conf:3: table web: timeout 20000 ms is not less than the global interval of 10 s"),
                Arguments.of("interval 10\ntable web {\n real port 80\n interval 15\n check tcp\n host 10.0.0.1\n}\n"
                        + SERVICE, "test.conf:4: table web interval must be a multiple of the global interval"),
                Arguments.of(TABLE + "table b {\n real port 81\n check icmp\n host 10.0.0.2\n}\n"
                        + SERVICE.replace(" table web\n", " table web\n backup table b\n"),
                        "test.conf:11: service www uses two different ports for its table and backup table:"
                                + " web port 80, b port 81"),
                Arguments.of(TABLE + "service www {\n table web\n}\n", "test.conf:6: service www has no virtual host"),
                Arguments.of(TABLE + "service www {\n virtual host 192.0.2.1 port 80\n}\n",
                        "test.conf:6: service www has no table"),
                Arguments.of(SERVICE, "test.conf:3: no such table: web"),
                Arguments.of(TABLE + SERVICE + SERVICE, "test.conf:10: service www defined twice (first at test.conf:6)"),
                Arguments.of(TABLE + SERVICE + "protocol p {\n}\nprotocol p {\n}\n",
                        "test.conf:12: protocol p defined twice (first at test.conf:10)"),
                Arguments.of(TABLE + SERVICE + "user \"" + "x".repeat(9000) + "\"\n",
                        "test.conf:10: string too long (at most 8192 characters)"),
                Arguments.of(TABLE + SERVICE.replace("port 80", "sctp port 80"),
                        "test.conf:7: syntax error: expected 'tcp', 'udp' or 'port', got 'sctp'"),
                Arguments.of(TABLE + SERVICE.replace("port 80", "\"udp\" port 80"),
                        "test.conf:7: syntax error: expected 'tcp', 'udp' or 'port', got \"udp\""),
                Arguments.of(TABLE + SERVICE.replace("port 80", "tcp port ntp"), "test.conf:7: port ntp is a UDP service only, and names here are TCP ones: write its number"),
                Arguments.of(TABLE + SERVICE.replace("table web", "table web\n kill sessions"),
                        "test.conf:9: syntax error: expected 'states', got 'sessions'"),
                Arguments.of(TABLE + SERVICE + "relay r {\n forward to 10.0.0.9 port 80\n}\n",
                        "test.conf:10: relay r has no listener"),
                Arguments.of(TABLE + SERVICE + "relay r {\n listen on 127.0.0.1 port 80\n}\n",
                        "test.conf:10: relay r has no target, service, or table"),
                Arguments.of(TABLE + SERVICE + "relay r {\n listen on 127.0.0.1 port 80\n"
                        + " listen on 127.0.0.1 port 81\n forward to 10.0.0.9 port 80\n}\n",
                        "test.conf:12: relay r listener already specified"),
                Arguments.of(TABLE + SERVICE + "relay r {\n listen on 127.0.0.1 port 80\n"
                        + " forward to 10.0.0.9 port 80\n table web\n}\n",
                        "test.conf:13: relay r target or service already specified"),
                Arguments.of(TABLE + SERVICE + "relay r {\n listen on 127.0.0.1 port 80 tls\n table web\n}\n",
                        "test.conf:11: syntax error: expected 'ssl' or end of line, got 'tls'"),
                Arguments.of(TABLE + SERVICE.replace("service", "redirect"),
                        "test.conf:6: syntax error: unknown statement 'redirect' (relayd's word for what hoststated"
                        + " calls 'service')"),
                Arguments.of("addr = \"127.0.0.1\"\n" + TABLE + SERVICE + "relay r {\n listen on \"$addr\" port 80\n"
                        + " table web\n}\n", "test.conf:12: invalid address: $addr (a macro is not expanded inside"
                        + " quotes: write $addr without them)"),
                Arguments.of(TABLE + SERVICE + "relay r {\n listen on 127.0.0.1 port 80\n table web round-robin\n}\n",
                        "test.conf:12: syntax error: expected 'roundrobin', 'loadbalance', 'hash', 'no check' or end of"
                        + " line, got 'round-robin'"),
                Arguments.of(TABLE + SERVICE + "relay r {\n listen on 127.0.0.1 port 80\n table web port 80 rr\n}\n",
                        "test.conf:12: syntax error: expected 'roundrobin', 'loadbalance', 'hash', 'no check' or end of"
                        + " line, got 'rr'"),
                Arguments.of(TABLE + SERVICE + "relay r {\n listen on 127.0.0.1 port 80\n service nope\n}\n",
                        "test.conf:12: no such service: nope"),
                Arguments.of(TABLE + SERVICE + "relay r {\n listen on 127.0.0.1 port 80\n service www\n"
                        + " protocol nope\n}\n", "test.conf:13: no such protocol: nope"),
                Arguments.of(TABLE + SERVICE + "relay r {\n listen on 127.0.0.1 port 80\n table web\n}\nprefork 33\n",
                        "test.conf:14: invalid number of preforked relays: 33"),
                Arguments.of("table " + "x".repeat(64) + " {\n}\n",
                        "test.conf:1: table name too long (at most 63 characters): " + "x".repeat(64)),
                Arguments.of(TABLE.replace("80", "70000") + SERVICE, "test.conf:2: port 70000 is out of range (1-65535)"),
                Arguments.of(TABLE.replace("port 80", "port nosuchservice") + SERVICE,
                        "test.conf:2: port nosuchservice is invalid"),
                Arguments.of(TABLE.replace("10.0.0.1", "nxdomain.invalid") + SERVICE,
                        "test.conf:4: cannot resolve host nxdomain.invalid"),
                Arguments.of(TABLE.replace("check tcp", "check http \"/\" digest \"abc\"") + SERVICE,
                        "test.conf:3: invalid digest: abc (32 hex digits for md5, 40 for sha1)"),
                Arguments.of(TABLE.replace("check tcp", "check gopher") + SERVICE,
                        "test.conf:3: invalid check type: gopher"),
                Arguments.of(TABLE.replace("check tcp", "check script \"\"") + SERVICE,
                        "test.conf:3: empty script path"),
                Arguments.of(TABLE.replace("check tcp", "check script \"/" + "\u00e9".repeat(512) + "\"") + SERVICE,
                        "test.conf:3: script path longer than 1024 bytes"),
                Arguments.of(TABLE.replace("check tcp", "check send \"x\" expect") + SERVICE,
                        "test.conf:3: syntax error: expected the pattern to expect, got end of line"),
                Arguments.of(TABLE.replace("host 10.0.0.1", "host 10.0.0.1 retry") + SERVICE,
                        "test.conf:4: syntax error: expected a number (retry), got end of line"),
                Arguments.of(TABLE.replace("check tcp", "check tcp\n timeout -1") + SERVICE,
                        "test.conf:4: syntax error: expected a number (timeout), got character '-'"),
                Arguments.of("host = 1\n" + TABLE + SERVICE, "test.conf:1: macro name cannot be a keyword: host"),
                Arguments.of(TABLE.replace("10.0.0.1", "$nope") + SERVICE, "test.conf:4: macro 'nope' not defined"),
                Arguments.of(TABLE + SERVICE + "protocol p {\n ssl no tlsv1\n}\n",
                        "test.conf:11: invalid SSL protocol: protocol p enables no ssl version"),
                Arguments.of(TABLE + SERVICE + "protocol p {\n protocol smtp\n}\n",
                        "test.conf:11: invalid protocol type: smtp"),
                Arguments.of(TABLE + SERVICE + "protocol default {\n}\n", "test.conf:10: protocol name default is reserved for the built-in protocol"),
                Arguments.of("table tpl {\n check tcp\n host 10.0.0.1\n}\nrelay r {\n forward to 10.0.0.2 port 1\n"
                        + " table tpl\n}\n", "test.conf:5: relay r has no listener"),
                Arguments.of("", "test.conf: no services, nothing to do"),
                Arguments.of(TABLE + SERVICE + "bogus 1\n", "test.conf:10: syntax error: unknown statement 'bogus'"),
                // Not a mistyped keyword: the word is not echoed (a secret file included).
                Arguments.of(TABLE + SERVICE + "root:*:20228:0:99999:7:::\n",
                        "test.conf:10: syntax error: unknown statement"),
                Arguments.of(TABLE + SERVICE + "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7\n",
                        "test.conf:10: syntax error: unknown statement"),
                Arguments.of(TABLE + "service www {\n virtual host 192.0.2.1 port 80\n table web\n",
                        "test.conf:9: unexpected end of file in service block opened at line 6: a '}' is missing in it"),
                Arguments.of(TABLE + SERVICE + "include \"/nonexistent/x.conf\"\n",
                        "test.conf:10: cannot include /nonexistent/x.conf: no such file"),
                Arguments.of(TABLE + SERVICE + "include \"\"\n", "test.conf:10: cannot include an empty file name"),
                Arguments.of(TABLE + SERVICE + "user \"x\n", "test.conf:10: unterminated quoted string"),
                // Text the daemon writes onto the wire or into log lines: a quoted string can
                // carry \r\n, which would add header lines to requests.
                Arguments.of("table web {\n real port 80\n check http \"/a\\r\\nX-Evil: 1\" code 200\n host 10.0.0.1\n}\n"
                        + SERVICE, "test.conf:3: invalid check path: /a\\x0d\\x0aX-Evil: 1 (printable ASCII without spaces;"
                        + " escape others as %XX)"),
                Arguments.of(TABLE.replace("check tcp", "check http \"/h\u00e9llo\u202e\" code 200") + SERVICE,
                        "test.conf:3: invalid check path: /h\u00e9llo\\u{202e} (printable ASCII without spaces;"
                        + " escape others as %XX)"),
                Arguments.of("table web {\n real port 80\n check http \"/\" host \"a\\nb\" code 200\n host 10.0.0.1\n}\n"
                        + SERVICE, "test.conf:3: invalid check host: a\\x0ab"),
                Arguments.of(TABLE + SERVICE.replace("www", "\"w\\nw\""),
                        "test.conf:6: service name contains a control or invisible character: w\\x0aw"),
                Arguments.of(TABLE + SERVICE.replace("www", "\"w\u0085w\""),
                        "test.conf:6: service name contains a control or invisible character: w\\u{85}w"),
                Arguments.of(TABLE + SERVICE.replace("www", "\"w\u202ew\""),
                        "test.conf:6: service name contains a control or invisible character: w\\u{202e}w"),
                Arguments.of(TABLE + SERVICE + "protocol p {\n header append \"a\\r\\nX-Evil: 1\" to \"X-Foo\"\n}\n",
                        "test.conf:11: header value contains a control character: a\\x0d\\x0aX-Evil: 1"),
                Arguments.of(TABLE + SERVICE + "protocol p {\n header change \"X Foo\" to \"v\"\n}\n",
                        "test.conf:11: invalid header name: X Foo"),
                Arguments.of(TABLE + SERVICE + "protocol p {\n cookie append \"v\\n\" to \"c\"\n}\n",
                        "test.conf:11: cookie value contains a control character: v\\x0a"),
                Arguments.of(TABLE + SERVICE + "protocol p {\n header filter \"x\" from \"y\" log mark\n}\n",
                        "test.conf:11: 'mark' goes before 'log'"),
                Arguments.of(TABLE + SERVICE + "protocol p {\n header expect \"x\" from \"y\" marked\n}\n",
                        "test.conf:11: 'marked' does not go with expect; 'mark' does"),
                Arguments.of(TABLE + SERVICE + "protocol p {\n header remove \"y\" marked marked\n}\n",
                        "test.conf:11: 'marked' given twice"),
                Arguments.of(TABLE + SERVICE + "protocol p {\n cookie append \"v\" to \"c=d\"\n}\n",
                        "test.conf:11: invalid cookie name: c=d"),
                Arguments.of(TABLE + SERVICE + "protocol p {\n cookie remove \"a; b\"\n}\n",
                        "test.conf:11: invalid cookie name: a; b"),
                Arguments.of(TABLE + SERVICE + "protocol p {\n query hash \"\"\n}\n",
                        "test.conf:11: invalid query variable name: it is empty"),
                Arguments.of(TABLE + SERVICE + "protocol p {\n return error style \"</style><script>\"\n}\n",
                        "test.conf:11: error style must not contain '<'"),
                // hoststated.conf(5) names the characters of a group: -n passed "../../x" and
                // "a/b", which the parent then refused only in its log, at run time.
                Arguments.of("demote \"a/b\"\n" + TABLE + SERVICE, "test.conf:1: invalid demote group name: a/b"
                        + " (letters, digits, '_', '.' and '-', not starting with '.')"),
                Arguments.of(TABLE.replace("check tcp", "check tcp\n demote \"..\"") + SERVICE,
                        "test.conf:4: invalid demote group name: .. (letters, digits, '_', '.' and '-',"
                        + " not starting with '.')"),
                // Unquoted, the lexer reads no word there: it was "syntax error: expected demote
                // group name, got character '.'" (probe H).
                Arguments.of("demote .carp\n" + TABLE + SERVICE, "test.conf:1: invalid demote group name: it starts"
                        + " with '.' (letters, digits, '_', '.' and '-', not starting with '.')"));
    }

    /**
     * A name too long is one error: the rest of its line, the block's '{' with it, was
     * skipped, and the block's lines came out as statements of their own ("table t defined
     * twice" after a relay whose name was too long; probe W).
     */
    @Test
    void aStringTooLongSkipsItselfNotTheBlockAfterIt() {
        for (String name : new String[] {"\"" + "r".repeat(9000) + "\"", "r".repeat(9000)}) {
            LoadResult r = TestConfigs.parse(TABLE + SERVICE + "relay " + name + " {\n listen on 127.0.0.1 port 80\n"
                    + " table web\n}\n");
            assertEquals(List.of("test.conf:10: string too long (at most 8192 characters)"),
                    r.errors().stream().map(Object::toString).toList());
        }
    }

    @ParameterizedTest
    @MethodSource("errors")
    void reportsError(String text, String expected) {
        LoadResult r = TestConfigs.parse(text);
        assertFalse(r.ok());
        assertNull(r.config());
        assertTrue(r.errors().stream().anyMatch(d -> d.toString().equals(expected)),
                () -> "expected " + expected + " in " + r.errors());
    }

    /**
     * A block whose '}' is missing ends where a top-level block begins: one error, there, and
     * what follows is read as it is. The table's block took every later line for a table
     * option, and the file got "no services" and "table relay given again" (probe AH).
     */
    @Test
    void aMissingBraceIsOneErrorWhereTheNextBlockBegins() {
        String unclosed = TABLE.replace("}\n", "\n");
        assertEquals(List.of("test.conf:6: syntax error: 'table' begins a block inside the table block opened at line 1:"
                        + " a '}' is missing before it"),
                messages(unclosed + TABLE.replace("web", "sorry") + SERVICE + SERVICE.replace("www", "w2")
                        .replace("web", "sorry")));
        assertEquals(List.of("test.conf:6: syntax error: 'service' begins a block inside the table block opened at"
                        + " line 1: a '}' is missing before it"), messages(unclosed + SERVICE));
        assertTrue(TestConfigs.parse(TABLE + SERVICE + "relay r {\n listen on 127.0.0.1 port 80\n table web\n"
                + " protocol p\n}\nprotocol p {\n protocol http\n tcp {\n  nodelay\n }\n}\n").ok(),
                "table, protocol and a list's '{' within blocks are no block of the file");
    }

    /**
     * A line refused for its value is not also the one "that counts" of a setting given
     * twice, nor is a keyword of no such setting given again (probe AH).
     */
    @Test
    void aRefusedLineIsNotASettingGivenAgain() {
        LoadResult r = TestConfigs.parse(TABLE.replace(" host", " real port 0\n host") + SERVICE);
        assertEquals(List.of("test.conf:4: port 0 is out of range (1-65535)"),
                r.errors().stream().map(Object::toString).toList());
        assertEquals(List.of(), r.warnings());
    }

    /**
     * A newcomer's first mistakes get a hint and no derived errors: an unquoted path, relayd's
     * {@code forward to <table>} and {@code http protocol NAME}, a protocol type named as a
     * relay's protocol or written alone in its block, and undefined macros for ports (probe AL).
     */
    @Test
    void aNewcomersMistakesGetAHintAndNoDerivedErrors() {
        String relay = "relay r {\n listen on 127.0.0.1 port 80\n forward to 127.0.0.2 port 80\n protocol p\n}\n";
        assertEquals(List.of("test.conf:3: syntax error: expected path, got character '/' (write it in double quotes:"
                + " \"/...\")"), messages(TABLE.replace("check tcp", "check http / code 200") + SERVICE));
        assertEquals(List.of("test.conf:3: syntax error: expected target address, got character '<' (relayd's forward"
                + " to <table>; here a relay names it with: table web)"),
                messages(relay.replace("127.0.0.2", "<web>").replace(" protocol p\n", "")));
        assertEquals(List.of("test.conf:1: syntax error: unknown statement 'http' (relayd's 'http protocol p' is written"
                + " here: protocol p { protocol http ... })"), messages("http protocol \"p\" {\n return error\n}\n" + relay));
        assertEquals(List.of("test.conf:4: no such protocol: http (a relay names a protocol block; the type goes in it:"
                + " protocol web { protocol http })"), messages(relay.replace("protocol p", "protocol http")));
        assertEquals(List.of("test.conf:2: syntax error: a protocol's type is written 'protocol http'"),
                messages("protocol p {\n http\n}\n" + relay));
        assertEquals(List.of("test.conf:2: macro 'rp' not defined", "test.conf:7: macro 'lp' not defined"),
                messages(TABLE.replace("real port 80", "real port $rp") + "relay r {\n listen on 127.0.0.1 port $lp\n"
                        + " table web\n}\n"));
    }

    /**
     * The wrong file included in a block (a password file, a key) does not have its lines'
     * first words put into the errors, as at the top level; a missing '}' before an included
     * file's block names the file the block began in (probe AK).
     */
    @Test
    void aWrongIncludeInABlockKeepsItsWordsAndAMissingBraceNamesItsFile(@TempDir Path dir) throws Exception {
        Path secret = dir.resolve("shadow");
        Files.writeString(secret, "root:$y$j9T$SECRET:19000:0:99999:7:::\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n");
        List<String> said = messages(TABLE.replace(" host", " include \"" + secret + "\"\n host") + SERVICE);
        assertEquals(List.of(secret + ":1: syntax error: expected table option, got a word that is no keyword",
                secret + ":2: syntax error: expected table option, got a word that is no keyword"), said);
        Path inc = dir.resolve("relay.inc");
        Files.writeString(inc, "relay r {\n listen on 127.0.0.1 port 80\n table web\n}\n");
        assertEquals(List.of(inc + ":1: syntax error: 'relay' begins a block inside the table block opened at"
                + " test.conf:1: a '}' is missing before it"),
                messages(TABLE.replace("}\n", "") + "include \"" + inc + "\"\n" + SERVICE));
    }

    /** Words no keyword is, and files that lead nowhere, are said for what they are (probe AH). */
    @Test
    void unclearWordsAndLinksAreNamed(@TempDir Path dir) throws Exception {
        assertEquals(List.of("test.conf:1: syntax error: unknown statement 'intervall5'"), messages("intervall5 10\n"
                + TABLE + SERVICE));
        assertEquals(List.of("test.conf:4: '$' without a macro name after it (a '$' in a value is written in quotes)"),
                messages(TABLE.replace("10.0.0.1", "$") + SERVICE));
        Path loop = dir.resolve("loop.conf");
        Files.createSymbolicLink(loop, loop);
        assertEquals(List.of("test.conf:1: cannot include " + loop + ": a symbolic link loop"),
                messages("include \"" + loop + "\"\n" + TABLE + SERVICE));
    }

    /**
     * An include that fails inside a block may have held any of its statements: the table is
     * not also said to have no hosts and no check, which came first in line order (probe H).
     */
    @Test
    void aFailedIncludeInABlockIsTheOnlyError() {
        LoadResult r = TestConfigs.parse("table web {\n include \"/nonexistent/web.inc\"\n}\n" + SERVICE);
        assertEquals(List.of("test.conf:2: cannot include /nonexistent/web.inc: no such file"),
                r.errors().stream().map(Object::toString).toList());
    }

    /**
     * A bad option inside {@code tcp { ... }} or {@code ssl { ... }} is one error: reading goes
     * on with the list's next option and the protocol's next statement. The list's closing
     * brace was taken for the protocol's, so its later lines were read as top-level
     * statements ("expected statement, got 'ssl'") and its own brace was "unexpected".
     */
    @Test
    void aBadOptionInABracedListIsOneErrorAndTheBlockGoesOn() {
        LoadResult r = TestConfigs.parse(TABLE + SERVICE + "protocol p {\n tcp { nodelay, ip ttl 0, sack }\n"
                + " ssl { session cache disable, nonsense }\n tcp { backlog 0 }\n return error\n}\n");
        assertEquals(List.of("test.conf:11: ip ttl 0 is out of range (1-255)",
                        "test.conf:12: invalid SSL flag: nonsense",
                        "test.conf:13: backlog 0 is out of range (1-65535)"),
                r.errors().stream().map(Object::toString).toList());
    }

    /**
     * A syntax error in the statement that would have given a block its listener, target,
     * table, virtual host, hosts or check is the one error: "relay r has no listener" came
     * with it, for one typo, as the original (whose block failed as a whole) never said.
     * Independent errors are each reported still, and a missing statement is when the broken
     * line was another one.
     */
    @Test
    void aBrokenStatementIsOneErrorNotAlsoTheMissingPartItWouldHaveGiven() {
        String relay = "relay r {\n listen on 127.0.0.1 prot 80\n forward to 10.0.0.9 port 80\n}\n";
        assertEquals(List.of("test.conf:11: syntax error: expected 'port', got 'prot'"),
                messages(TABLE + SERVICE + relay));
        assertEquals(List.of("test.conf:11: syntax error: expected 'on', got '127.0.0.1'",
                        "test.conf:12: syntax error: expected 'to', got '10.0.0.9'"),
                messages(TABLE + SERVICE + relay.replace("on 127", "127").replace("prot", "port")
                        .replace("to 10", "10")), "two broken lines are two errors, and no more");
        assertEquals(List.of("test.conf:11: syntax error: expected relay option, got 'lisen'"),
                messages(TABLE + SERVICE + relay.replace("listen", "lisen").replace("prot", "port")),
                "a misspelled keyword may have been any statement");
        assertEquals(List.of("test.conf:11: syntax error: expected protocol name, got end of line",
                        "test.conf:10: relay r has no listener"),
                messages(TABLE + SERVICE + "relay r {\n protocol\n forward to 10.0.0.9 port 80\n}\n"),
                "another line's error leaves the missing listener an error of its own");
        assertEquals(List.of("test.conf:7: syntax error: expected 'tcp', 'udp' or 'port', got '80'"),
                messages(TABLE + SERVICE.replace("port 80", "80")), "not also: service www has no virtual host");
        assertEquals(List.of("test.conf:8: syntax error: expected table name, got end of line"),
                messages(TABLE + SERVICE.replace("table web", "table")), "not also: service www has no table");
        assertEquals(List.of("test.conf:4: syntax error: expected host address, got end of line"),
                messages(TABLE.replace("host 10.0.0.1", "host") + SERVICE), "not also: table web has no hosts");
        assertEquals(List.of("test.conf:3: invalid check type: tcpp"),
                messages(TABLE.replace("check tcp", "check tcpp") + SERVICE), "not also: table web has no check");
        // The rest of a broken line may have held another statement (probe M of session 58).
        assertEquals(List.of("test.conf:3: syntax error: expected end of line, got 'host'"),
                messages(TABLE.replace("check tcp\n host 10.0.0.1", "check tcp host 10.0.0.1") + SERVICE),
                "not also: table web has no hosts");
    }

    /**
     * A block whose opening line is broken before its '{' is skipped with that line: "relay {"
     * without a name had its lines read as top-level statements ("syntax error: expected
     * statement, got 'listen'", "table web defined twice"), and a file whose only relay was
     * lost to an error was also told "no services, nothing to do" (probe D, session 55).
     */
    @Test
    void aBlockLostToAnErrorIsOneErrorNotACascade() {
        String body = " listen on 127.0.0.1 port 80\n table web\n}\n";
        assertEquals(List.of("test.conf:6: syntax error: expected relay name, got '{'"),
                messages(TABLE + "relay {\n" + body + TABLE.replace("web", "web2")));
        assertEquals(List.of("test.conf:6: relay name too long (at most 63 characters): " + "r".repeat(64) + "..."),
                messages(TABLE + "relay " + "r".repeat(65) + " {\n" + body), "not also: no services, nothing to do");
        assertEquals(List.of("test.conf: no services, nothing to do"),
                messages("interval 10\ntimeout 200\n"), "a file without any still is");
    }

    /**
     * relayd.conf writes {@code table <web>}; the original hoststated.conf (parse.y 1.53:
     * {@code TABLE STRING}) did not, and neither does this grammar: the error says so.
     */
    @Test
    void aTableNameInAngleBracketsSaysToDropThem() {
        String hint = " (hoststated writes table names without angle brackets: table web)";
        assertEquals(List.of("test.conf:1: syntax error: expected table name, got character '<'" + hint),
                messages(TABLE.replace("table web", "table <web>") + SERVICE.replace("web", "nothing")).subList(0, 1));
        assertEquals(List.of("test.conf:8: syntax error: expected table name, got character '<'" + hint),
                messages(TABLE + SERVICE.replace("table web", "table <web>")));
        assertEquals(List.of("test.conf:12: syntax error: expected table name, got character '<'" + hint),
                messages(TABLE + SERVICE + "relay r {\n listen on 127.0.0.1 port 80\n table <web>\n}\n"));
    }

    /**
     * A block's brace on the line after its name (the layout of many C and nginx files) is
     * refused, as by the original's grammar, but as one error: the block was read as top-level
     * statements, so a relay's {@code table web} line came out as "table web defined twice",
     * its {@code listen} line as "expected statement", and its brace as "unexpected '}'".
     */
    @Test
    void aBraceOnTheNextLineIsOneErrorAndTheBlockIsStillRead() {
        String hint = " ('{' goes on the line that opens the block)";
        assertEquals(List.of("test.conf:10: syntax error: expected '{', got end of line" + hint),
                messages(TABLE + SERVICE + "relay r\n{\n listen on 127.0.0.1 port 80\n table web\n}\n"));
        assertEquals(List.of("test.conf:1: syntax error: expected '{', got end of line" + hint,
                        "test.conf:5: invalid check type: tcpp"),
                messages(TABLE.replace("web {\n", "web\n\n{\n").replace("check tcp", "check tcpp") + SERVICE),
                "blank lines before the brace, and the block's own errors are still found");
        assertEquals(List.of("test.conf:10: syntax error: expected '{', got end of line"),
                messages(TABLE + SERVICE + "relay r\nrelay s {\n listen on 127.0.0.1 port 80\n table web\n}\n"),
                "no brace at all: the next line is a statement of its own, and no hint");
    }

    /**
     * nginx's and HAProxy's {@code address:port} in one word, a new user's first guess, was
     * "expected 'port', got end of line" (or 'tcp', 'udp' or 'port'): the error now says how
     * to write it. An IPv6 literal, which has colons of its own, is not taken for one.
     */
    @Test
    void anAddressAndPortInOneWordSaysHowToWriteThem() {
        String relay = "relay r {\n listen on 127.0.0.1 port 8080\n forward to 10.0.0.9 port 80\n}\n";
        assertEquals(List.of("test.conf:11: syntax error: 127.0.0.1:8080 is an address and a port in one word:"
                        + " write 127.0.0.1 port 8080"),
                messages(TABLE + SERVICE + relay.replace("127.0.0.1 port 8080", "127.0.0.1:8080")));
        assertEquals(List.of("test.conf:12: syntax error: 10.0.0.9:80 is an address and a port in one word:"
                        + " write 10.0.0.9 port 80"),
                messages(TABLE + SERVICE + relay.replace("10.0.0.9 port 80", "10.0.0.9:80")));
        assertEquals(List.of("test.conf:7: syntax error: 192.0.2.1:80 is an address and a port in one word:"
                        + " write 192.0.2.1 port 80"),
                messages(TABLE + SERVICE.replace("192.0.2.1 port 80", "192.0.2.1:80")));
        assertEquals(List.of("test.conf:12: syntax error: expected 'port', got end of line"),
                messages(TABLE + SERVICE + relay.replace("10.0.0.9 port 80", "2001:db8::9:80")),
                "an IPv6 address that ends in :80 is an address");
    }

    /**
     * A UTF-8 byte order mark, which some editors write first, is invisible: it was "expected
     * statement, got character '?'", and the first statement went with it, so a table's users
     * also said "no such table". One error now, and the rest of the file is read.
     */
    @Test
    void aByteOrderMarkIsOneErrorThatSaysWhatItIs() {
        assertEquals(List.of("test.conf:1: the file begins with a UTF-8 byte order mark, which some editors"
                        + " add: save it without one"),
                messages("\uFEFF" + TABLE + SERVICE));
    }

    /**
     * nginx's habit of ending statements with ';': "port 80; is invalid", then the table had
     * no hosts and no check. One error per such line now, and each statement is still read.
     */
    @Test
    void aSemicolonEndingALineIsOneErrorAndTheStatementIsRead() {
        String semi = "test.conf:%d: syntax error: a statement ends at the end of its line, without ';'";
        assertEquals(List.of(semi.formatted(2), semi.formatted(3), semi.formatted(4)),
                messages(TABLE.replace("80\n", "80;\n").replace("tcp\n", "tcp;\n").replace(".1\n", ".1;\n") + SERVICE));
        // Several statements on one line: one error, and each is read as if on its own line
        // (it was "port 8080; is invalid" and then "relay www has no target").
        assertEquals(List.of(semi.formatted(11)), messages(TABLE + SERVICE + "relay www {\n"
                + " listen on 127.0.0.1 port 8080; forward to 192.0.2.5 port 80; timeout 300;   # note\n}\n"));
        // A ';' within a word or a quoted string is the word's.
        assertEquals(List.of(), messages(TABLE + SERVICE + "relay r {\n listen on 127.0.0.1 port 8080\n"
                + " forward to 192.0.2.5 port 80\n protocol \"a;b\"\n}\nprotocol \"a;b\" {\n}\n"));
    }

    /**
     * An undefined macro is one error: the rest of its line was skipped with it, a block's
     * closing brace too when it ended that line, and the next block came out as errors of this
     * one (probe E: "expected table option, got 'service'", "unexpected end of file").
     */
    @Test
    void anUndefinedMacroBeforeABlocksClosingBraceIsOneError() {
        assertEquals(List.of("test.conf:3: macro 'h1' not defined"),
                messages("table web { real port 80\n check tcp\n host $h1 }\n" + SERVICE));
    }

    private static List<String> messages(String text) {
        return TestConfigs.parse(text).errors().stream().map(Object::toString).toList();
    }

    /** A file that cannot be read is named once, without a line number, with the reason in words. */
    @Test
    void anUnreadableFileIsOneLineWithoutALineNumber(@TempDir Path dir) {
        Path missing = dir.resolve("missing.conf");
        assertEquals(missing + ": cannot read file: no such file",
                ConfigLoader.load(missing, Map.of(), TestConfigs.resolver()).errors().get(0).toString());
        assertEquals(dir + ": cannot read file: is a directory",
                ConfigLoader.load(dir, Map.of(), TestConfigs.resolver()).errors().get(0).toString());
        assertEquals("\"\": empty file name",
                ConfigLoader.load(Path.of(""), Map.of(), TestConfigs.resolver()).errors().get(0).toString());
    }

    /** The parent runs as root and acts on the file: no one else may write it. */
    @Test
    void aFileEveryUserMayWriteIsRefused(@TempDir Path dir) throws IOException {
        Path conf = Files.writeString(dir.resolve("h.conf"), TABLE + SERVICE);
        Files.setPosixFilePermissions(conf, PosixFilePermissions.fromString("rw-rw-rw-"));
        assertEquals(List.of(conf + ": cannot read file: it is writable by every user (chmod o-w):"
                + " the parent runs as root and acts on it"),
                ConfigLoader.load(conf, Map.of(), TestConfigs.resolver()).errors().stream().map(Object::toString).toList());
        Files.setPosixFilePermissions(conf, PosixFilePermissions.fromString("rw-rw-r--"));
        assertEquals(List.of(), ConfigLoader.load(conf, Map.of(), TestConfigs.resolver()).errors());
    }

    /**
     * Nor may every user replace it through a directory above it that is not sticky (probe F:
     * a root-owned file in a 0777 directory was taken); a sticky directory, as /tmp, and a link
     * to the file are fine, and so are a file and directories of another owner or group-writable
     * (a clone of the repository run with sudo, Debian's umask 002), but not another user's
     * file, link or directory in a sticky directory.
     */
    @Test
    void aFileInADirectoryEveryUserMayWriteIsRefused(@TempDir Path dir) throws Exception {
        Path conf = Files.writeString(dir.resolve("h.conf"), TABLE + SERVICE);
        java.util.function.Supplier<List<String>> errors = () -> ConfigLoader.load(conf, Map.of(),
                TestConfigs.resolver()).errors().stream().map(Object::toString).toList();
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxrwxrwx"));
        try {
            assertEquals(List.of(conf + ": cannot read file: directory " + dir + " is writable by every user (chmod"
                    + " o-w, or +t): anyone may replace the file: the parent runs as root and acts on it"),
                    errors.get());
            Files.setAttribute(dir, "unix:mode", 01777);
            assertEquals(List.of(), errors.get(), "sticky, as /tmp");
            if ("root".equals(System.getProperty("user.name"))) {
                // Made there by another user, who could have made it before the operator (probe G).
                Files.setAttribute(conf, "unix:uid", 65534);
                assertEquals(List.of(conf + ": cannot read file: it is in " + dir.toRealPath() + ", where every user"
                        + " may make files, and is nobody's, not root's: another user may have made it: the parent"
                        + " runs as root and acts on it"), errors.get());
                Files.setAttribute(conf, "unix:uid", 0);
                // Or reached through their link or their directory there (probe AN).
                Path link = Files.createSymbolicLink(dir.resolve("theirs.conf"), conf);
                Files.setAttribute(link, "unix:uid", 65534, java.nio.file.LinkOption.NOFOLLOW_LINKS);
                assertEquals(List.of(link + ": cannot read file: link " + link + " is in " + dir.toRealPath() + ", where"
                        + " every user may make files, and is nobody's, not root's: another user may have made it: the"
                        + " parent runs as root and acts on it"), ConfigLoader.load(link, Map.of(), TestConfigs.resolver())
                        .errors().stream().map(Object::toString).toList());
                Files.delete(link);
                Path theirs = Files.createDirectory(dir.resolve("theirs"));
                Path inside = Files.writeString(theirs.resolve("h.conf"), TABLE + SERVICE);
                Files.setAttribute(theirs, "unix:uid", 65534);
                assertEquals(List.of(inside + ": cannot read file: directory " + theirs + " is in " + dir.toRealPath()
                        + ", where every user may make files, and is nobody's, not root's: another user may have made it:"
                        + " the parent runs as root and acts on it"), ConfigLoader.load(inside, Map.of(),
                        TestConfigs.resolver()).errors().stream().map(Object::toString).toList());
                Files.delete(inside);
                Files.delete(theirs);
                // Or through their link and "..", which the kernel follows through the link (probe AQ).
                Path mine = Files.createDirectories(dir.resolve("mine/sub"));
                Path conf2 = Files.writeString(mine.getParent().resolve("h.conf"), TABLE + SERVICE);
                Path viaLink = Files.createSymbolicLink(dir.resolve("their-link"), mine);
                Files.setAttribute(viaLink, "unix:uid", 65534, java.nio.file.LinkOption.NOFOLLOW_LINKS);
                Path dotted = Path.of(viaLink + "/../h.conf");
                assertEquals(List.of(dotted + ": cannot read file: link " + viaLink + " is in " + dir.toRealPath()
                        + ", where every user may make files, and is nobody's, not root's: another user may have made it:"
                        + " the parent runs as root and acts on it"), ConfigLoader.load(dotted, Map.of(),
                        TestConfigs.resolver()).errors().stream().map(Object::toString).toList());
                Files.delete(viaLink);
                Files.delete(conf2);
                Files.delete(mine);
                Files.delete(mine.getParent());
            }
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxrwxr-x"));
            Files.setPosixFilePermissions(conf, PosixFilePermissions.fromString("rw-rw-r--"));
            assertEquals(List.of(), errors.get(), "group-writable");
            Path link = Files.createSymbolicLink(dir.resolve("link.conf"), conf);
            assertEquals(List.of(), ConfigLoader.load(link, Map.of(), TestConfigs.resolver()).errors());
        } finally {
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
        }
    }

    /**
     * The parent loads the file on its event loop at each reload: a FIFO would block it until
     * written to, /dev/zero (size 0) filled its heap (OutOfMemoryError). Only regular files are
     * read, as the file itself or as an include, and at once.
     */
    @Test
    void fifosDevicesAndDirectoriesAreRefusedWithoutReadingThem(@TempDir Path dir) throws Exception {
        Path fifo = dir.resolve("fifo");
        assertEquals(0, new ProcessBuilder("mkfifo", fifo.toString()).start().waitFor());
        Path main = dir.resolve("main.conf");
        Files.writeString(main, TABLE + SERVICE + "include \"fifo\"\ninclude \"/dev/zero\"\ninclude \""
                + dir + "\"\n");
        assertTimeoutPreemptively(Duration.ofSeconds(20), () -> {
            assertEquals(fifo + ": cannot read file: not a regular file",
                    ConfigLoader.load(fifo, Map.of(), TestConfigs.resolver()).errors().get(0).toString());
            assertEquals("/dev/zero: cannot read file: not a regular file",
                    ConfigLoader.load(Path.of("/dev/zero"), Map.of(), TestConfigs.resolver()).errors().get(0).toString());
            assertEquals(List.of(main + ":10: cannot include fifo (" + fifo + "): not a regular file",
                    main + ":11: cannot include /dev/zero: not a regular file",
                    main + ":12: cannot include " + dir + ": is a directory"),
                    ConfigLoader.load(main, Map.of(), TestConfigs.resolver()).errors().stream()
                            .map(Object::toString).toList());
        });
    }

    /**
     * An address no connection can go to is no host, and a zone after '%' is explained (probe
     * AD: the first passed without a word, the second was an "invalid address").
     */
    @Test
    void addressesThatAreNoHostAreRefusedAndZonesExplained() {
        for (String a : List.of("::", "0.0.0.0", "0:0:0:0:0:0:0:0", "ff02::1", "224.0.0.1", "255.255.255.255")) {
            List<String> errors = TestConfigs.parse(TABLE.replace("10.0.0.1", a) + SERVICE).errors().stream()
                    .map(Object::toString).toList();
            assertEquals(1, errors.size(), a + ": " + errors);
            assertTrue(errors.get(0).startsWith("test.conf:4: host " + a + " is the ") || errors.get(0)
                    .startsWith("test.conf:4: host " + a + " is a multicast"), errors.toString());
            assertTrue(errors.get(0).endsWith(", not the address of a host"), errors.toString());
        }
        assertEquals(List.of("test.conf:2: host 0.0.0.0 is the unspecified address, not the address of a host"),
                TestConfigs.parse("relay r {\n forward to 0.0.0.0 port 80\n listen on 127.0.0.1 port 80\n}\n")
                        .errors().stream().map(Object::toString).toList());
        assertEquals(List.of("test.conf:4: address fe80::1%lo: hoststated.conf takes no zone after '%'; a link-local"
                + " address needs an interface, which only a virtual host can name (its 'interface' option)"),
                TestConfigs.parse(TABLE.replace("10.0.0.1", "fe80::1%lo") + SERVICE).errors().stream()
                        .map(Object::toString).toList());
        for (int n : new int[] {254, 300}) {
            List<String> errors = TestConfigs.parse(TABLE.replace("10.0.0.1", "h".repeat(n)) + SERVICE).errors()
                    .stream().map(Object::toString).toList();
            assertTrue(errors.size() == 1 && errors.get(0).startsWith(
                    "test.conf:4: host name too long (at most 253 characters): hhh"), errors.toString());
        }
        LoadResult r = TestConfigs.parse(TABLE.replace("10.0.0.1", "2001:db8::1")
                + SERVICE.replace("192.0.2.1", "fe80::2"));
        assertEquals(List.of("test.conf:7: service www: virtual host fe80::2 is link-local but names no interface:"
                + " its rule matches that address on every link"), r.warnings().stream().map(Object::toString).toList());
    }

    /**
     * A name over the bound is one error, which says the bound: a relay naming the table said
     * "no such table" too (probe AC 6).
     */
    @Test
    void aTableNameTooLongIsOneErrorThatSaysTheBound() {
        String name = "t".repeat(64);
        assertEquals(List.of("test.conf:1: table name too long (at most 63 characters): " + name),
                TestConfigs.parse(TABLE.replace("web", name) + SERVICE.replace("web", name)).errors().stream()
                        .map(Object::toString).toList());
    }

    /**
     * A global timeout over the interval is one error: each table without a timeout of its own
     * also said "table timeout exceeds interval", pointing at a table the operator never gave one.
     */
    @Test
    void aGlobalTimeoutOverTheIntervalIsOneError() {
        assertEquals(List.of("test.conf:2: global timeout 1000 ms is not less than the interval of 1 s"),
                TestConfigs.parse("interval 1\ntimeout 1000\n" + TABLE + SERVICE).errors().stream()
                        .map(Object::toString).toList());
    }

    /**
     * A block begins and ends in one file. One that an included file left open was reported
     * at the including file's next statement ("expected table option, got 'service'"); one
     * closed by an included file's '}' as the including file's "unexpected '}'". Each is now
     * named where it is, and the rest of the configuration is read as written.
     */
    @Test
    void aBlockEndsInTheFileItBeginsIn(@TempDir Path dir) throws IOException {
        Files.writeString(dir.resolve("open.conf"), "table web {\n real port 80\n check tcp\n host 10.0.0.1\n");
        Path main = dir.resolve("main.conf");
        Files.writeString(main, "include \"open.conf\"\n" + SERVICE);
        assertEquals(List.of(dir.resolve("open.conf") + ":1: block not closed by the end of the file: a block ends in "
                + "the file it begins in"), errors(main));
        Files.writeString(dir.resolve("close.conf"), " host 10.0.0.2\n}\n");
        Files.writeString(main, TABLE + "table other {\n check tcp\n include \"close.conf\"\n}\n" + SERVICE);
        assertEquals(List.of(dir.resolve("close.conf") + ":2: '}' would close a block begun in another file: a block "
                + "ends in the file it begins in"), errors(main));
        Files.writeString(dir.resolve("whole.conf"), " host 10.0.0.2\n");
        Files.writeString(main, TABLE + "table other {\n check tcp\n include \"whole.conf\"\n}\n" + SERVICE);
        assertEquals(List.of(), errors(main));
    }

    /**
     * A '}' may end an include's line, as it ends a {@code host} line: the block closes after
     * the included file. It was a syntax error ("expected end of line, got '}'"), probe Z. Where
     * the include fails, the '}' still closes the block, so only the include is reported.
     */
    @Test
    void aBraceMayEndAnIncludesLine(@TempDir Path dir) throws IOException {
        Files.writeString(dir.resolve("hosts.conf"), " host 10.0.0.2\n host 10.0.0.3\n");
        Path main = dir.resolve("main.conf");
        Files.writeString(main, TABLE + "table other {\n real port 80\n check tcp\n include \"hosts.conf\" }\n" + SERVICE
                + "service more {\n virtual host 192.0.2.2 port 80\n table other\n}\n");
        LoadResult r = ConfigLoader.load(main, Map.of(), TestConfigs.resolver());
        assertEquals(List.of(), r.errors());
        assertEquals(2, r.config().tables().stream().filter(t -> t.name().equals("other")).findFirst().orElseThrow()
                .hosts().size());
        Files.writeString(main, TABLE + "table other {\n check tcp\n include \"missing.conf\" }\n" + SERVICE);
        assertEquals(List.of(main + ":8: cannot include missing.conf (" + dir.resolve("missing.conf")
                + "): no such file"), errors(main).stream().filter(e -> !e.contains("has no host")).toList());
        Files.writeString(main, "include \"hosts.conf\" }\n");
        assertTrue(errors(main).contains(main + ":1: syntax error: unexpected '}'"), () -> errors(main).toString());
    }

    private static List<String> errors(Path file) {
        return ConfigLoader.load(file, Map.of(), TestConfigs.resolver()).errors().stream().map(Object::toString)
                .filter(e -> !e.contains("has no check") && !e.contains("is not used")).toList();
    }

    /**
     * hoststated.conf(5) says includes may be nested 16 deep: a chain of 16 includes below the
     * configuration file loads, 17 do not. The configuration file itself took a place of the
     * 16, so a chain of 16 was refused.
     */
    @Test
    void includesNestSixteenDeep(@TempDir Path dir) throws IOException {
        Files.writeString(dir.resolve("i0.conf"), TABLE + SERVICE);
        for (int i = 1; i <= 17; i++) {
            Files.writeString(dir.resolve("i" + i + ".conf"), "include \"i" + (i - 1) + ".conf\"\n");
        }
        assertEquals(List.of(), ConfigLoader.load(dir.resolve("i16.conf"), Map.of(), TestConfigs.resolver()).errors());
        assertEquals(List.of(dir.resolve("i1.conf") + ":1: include nested too deeply: i0.conf"),
                ConfigLoader.load(dir.resolve("i17.conf"), Map.of(), TestConfigs.resolver()).errors().stream()
                        .map(Object::toString).filter(e -> e.contains("nested")).toList());
    }

    /**
     * 40 MB of comments filled the parent's 64 MiB heap (OutOfMemoryError, daemon log silent at
     * a reload). All files of one load share a budget of 16 MiB, so including one file again and
     * again cannot get around it.
     */
    @Test
    void theFilesOfOneLoadShareOneByteBudget(@TempDir Path dir) throws IOException {
        String comment = "#" + "c".repeat(1023) + "\n";
        Path big = dir.resolve("big.conf");
        Files.writeString(big, comment.repeat((ConfigFiles.MAX_TOTAL >> 10) + 1));
        assertEquals(big + ": cannot read file: file too large: the configuration and its includes may have 16 MiB in all",
                ConfigLoader.load(big, Map.of(), TestConfigs.resolver()).errors().get(0).toString());

        Path part = dir.resolve("part.conf");
        Files.writeString(part, comment.repeat(6 << 10));
        Path main = dir.resolve("main.conf");
        Files.writeString(main, TABLE + SERVICE + "include \"part.conf\"\n".repeat(3));
        assertEquals(List.of(main + ":12: cannot include part.conf (" + part + "): file too large: the configuration and"
                        + " its includes may have 16 MiB in all"),
                ConfigLoader.load(main, Map.of(), TestConfigs.resolver()).errors().stream()
                        .map(Object::toString).toList());
        Files.writeString(main, TABLE + SERVICE + "include \"part.conf\"\n".repeat(2));
        assertTrue(ConfigLoader.load(main, Map.of(), TestConfigs.resolver()).ok());
    }

    /** A table's second check, timeout or interval is warned of: it replaced the first silently (probe M). */
    @Test
    void aTableSettingGivenTwiceIsWarnedOf() {
        LoadResult r = ConfigLoader.parse("table web {\n real port 80\n check tcp\n check icmp\n host 10.0.0.1\n}\n"
                + SERVICE, "test.conf", java.util.Map.of(), new SystemResolver());
        assertTrue(r.ok(), () -> r.errors().toString());
        assertTrue(r.warnings().toString().contains("test.conf:4: table check given again (first at test.conf:3)"),
                r.warnings().toString());
    }
}
