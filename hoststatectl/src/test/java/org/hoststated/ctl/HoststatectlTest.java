package org.hoststated.ctl;

import static org.hoststated.core.msg.MessageType.CTL_END;
import static org.hoststated.core.msg.MessageType.CTL_FAIL;
import static org.hoststated.core.msg.MessageType.CTL_HOST;
import static org.hoststated.core.msg.MessageType.CTL_OK;
import static org.hoststated.core.msg.MessageType.CTL_RELAY;
import static org.hoststated.core.msg.MessageType.CTL_SERVICE;
import static org.hoststated.core.msg.MessageType.CTL_STATISTICS;
import static org.hoststated.core.msg.MessageType.CTL_TABLE;
import static org.hoststated.core.msg.MessageType.CTL_WARNING;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.hoststated.core.msg.CtlHost;
import org.hoststated.core.msg.CtlId;
import org.hoststated.core.msg.CtlRelay;
import org.hoststated.core.msg.CtlService;
import org.hoststated.core.msg.CtlSession;
import org.hoststated.core.msg.CtlTable;
import org.hoststated.core.msg.Empty;
import org.hoststated.core.msg.Flag;
import org.hoststated.core.msg.Generation;
import org.hoststated.core.msg.HostError;
import org.hoststated.core.msg.HostState;
import org.hoststated.core.msg.HostStatus;
import org.hoststated.core.msg.Imsg;
import org.hoststated.core.msg.MessageType;
import org.hoststated.core.msg.Messages;
import org.hoststated.core.msg.SummaryRequest;
import org.hoststated.core.msg.ObjId;
import org.hoststated.core.msg.RelayStatistics;
import org.hoststated.core.msg.ServiceStatus;
import org.hoststated.core.msg.Text;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * hoststatectl end to end: the real command line against {@link FakeDaemon}, a real Unix
 * socket answering canned frames; asserts exit status and the exact text on stdout and stderr.
 */
class HoststatectlTest {
    private static final String HEADER = "Type\t  Id\tName                    \tAvlblty\tStatus\n";
    private static final String INDENT = "\t    \t";

    @TempDir
    Path dir;

    /** What one run printed. */
    record Run(int rc, String out, String err) {
    }

    private Run run(String... args) {
        return run(Duration.ofSeconds(10), args);
    }

    private Run run(Duration timeout, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        Clock clock = Clock.fixed(Instant.ofEpochSecond(1_196_000_000L), ZoneOffset.UTC);
        int rc = Hoststatectl.run(args, new PrintWriter(out), new PrintWriter(err), timeout, clock);
        return new Run(rc, out.toString(), err.toString());
    }

    private Run run(FakeDaemon d, String... args) {
        String[] all = new String[args.length + 2];
        all[0] = "-s";
        all[1] = d.path.toString();
        System.arraycopy(args, 0, all, 2, args.length);
        return run(all);
    }

    /** The original's printf, {@code "%s\t%4u\t%-24s\t%-7s\t%s\n"}. */
    private static String row(String type, int id, String name, String avail, String status) {
        return String.format("%s\t%4d\t%-24s\t%-7s\t%s\n", type, id, name, avail, status);
    }

    private static Imsg msg(MessageType t, Object payload) {
        return new Imsg(t, 0, 4242, payload);
    }

    /** A CTL_SHOW_SUM reply: two services, a relay with statistics from two workers, one idle relay. */
    private static byte[] summaryStream() {
        return FakeDaemon.frames(
                msg(CTL_SERVICE, new CtlService(0, "www", ServiceStatus.ACTIVE)),
                msg(CTL_TABLE, new CtlTable(2, "webhosts", false, 2, 2)),
                msg(CTL_HOST, new CtlHost(1, 2, "10.0.0.2", HostState.UP, false, 42, 42, 0, HostError.TCP_CONNECT_OK)),
                msg(CTL_HOST, new CtlHost(0, 2, "10.0.0.1", HostState.UP, false, 42, 41, 1, HostError.TCP_CONNECT_OK)),
                msg(CTL_TABLE, new CtlTable(3, "fallback", false, 1, 1)),
                msg(CTL_HOST, new CtlHost(2, 3, "127.0.0.1", HostState.UP, false, 42, 42, 0, HostError.ICMP_OK)),
                msg(CTL_SERVICE, new CtlService(1, "mail", ServiceStatus.DISABLED)),
                msg(CTL_RELAY, new CtlRelay(0, "wwwtls", false)),
                msg(CTL_STATISTICS, new RelayStatistics(1, 0, 7, 1, 2, 5, 7, 1, 3, 7)),
                msg(CTL_STATISTICS, new RelayStatistics(1, 0, 3, 0, 1, 2, 3, 0, 1, 3)),
                msg(CTL_TABLE, new CtlTable(4, "relayhosts", false, 0, 2)),
                msg(CTL_HOST, new CtlHost(3, 4, "10.0.0.9", HostState.DOWN, false, 10, 0, 2,
                        HostError.TCP_CONNECT_REFUSED)),
                msg(CTL_HOST, new CtlHost(4, 4, "10.0.0.10", HostState.UNKNOWN, true, 0, 0, 0, HostError.DISABLED)),
                msg(CTL_RELAY, new CtlRelay(1, "idle", true)),
                msg(CTL_STATISTICS, new RelayStatistics(1, 1, 0, 0, 0, 0, 0, 0, 0, 0)),
                msg(CTL_END, Empty.INSTANCE));
    }

    @ParameterizedTest
    @MethodSource("foreignClasses")
    void theClassPathHoldsNoNativeBindingAndNoLoggingFramework(String cls) {
        assertThrows(ClassNotFoundException.class, () -> Class.forName(cls, false, getClass().getClassLoader()));
    }

    static Stream<String> foreignClasses() {
        return Stream.of("org.slf4j.LoggerFactory", "jnr.ffi.LibraryLoader", "jnr.unixsocket.UnixSocketChannel",
                "com.kenai.jffi.Foreign", "io.netty.channel.epoll.Epoll", "io.netty.channel.Channel");
    }

    @Test
    void headerIsTheOriginalsPrintf() {
        assertEquals(String.format("Type\t%4s\t%-24s\t%-7s\tStatus\n", "Id", "Name", "Avlblty"), HEADER);
    }

    @Test
    void showSummaryPrintsEveryRowInStreamOrder() throws Exception {
        try (FakeDaemon d = FakeDaemon.answering(dir, summaryStream())) {
            Run r = run(d, "show", "summary");
            assertEquals(new Run(0, HEADER
                    + "service\t   0\twww                     \t       \tactive\n"
                    + row("table", 2, "webhosts", "", "active (2 hosts up)")
                    + row("host", 1, "10.0.0.2", "100.00%", "up")
                    + row("host", 0, "10.0.0.1", "97.62%", "up")
                    + row("table", 3, "fallback", "", "active (1 hosts up)")
                    + row("host", 2, "127.0.0.1", "100.00%", "up")
                    + row("service", 1, "mail", "", "disabled")
                    + row("relay", 0, "wwwtls", "", "active")
                    + row("table", 4, "relayhosts", "", "empty")
                    + row("host", 3, "10.0.0.9", "0.00%", "down")
                    + row("host", 4, "10.0.0.10", "", "disabled")
                    + row("relay", 1, "idle", "", "disabled"), ""), r);
            assertEquals(MessageType.CTL_SHOW_SUM, d.request().type());
            assertEquals(SummaryRequest.SUMMARY, d.request().payload(SummaryRequest.class));
        }
    }

    /** A down host's retries are left out: its counter cycles through them (probe Y). */
    @Test
    void showHostsAddsCountersRetriesAndTheLastErrorOfADownHost() throws Exception {
        try (FakeDaemon d = FakeDaemon.answering(dir, summaryStream())) {
            Run r = run(d, "show", "hosts");
            assertEquals(new Run(0, HEADER
                    + row("service", 0, "www", "", "active")
                    + row("table", 2, "webhosts", "", "active (2 hosts up)")
                    + row("host", 1, "10.0.0.2", "100.00%", "up")
                    + "\t    \ttotal: 42/42 checks\n"
                    + row("host", 0, "10.0.0.1", "97.62%", "up")
                    + INDENT + "total: 41/42 checks, 1 retries\n"
                    + row("table", 3, "fallback", "", "active (1 hosts up)")
                    + row("host", 2, "127.0.0.1", "100.00%", "up")
                    + INDENT + "total: 42/42 checks\n"
                    + row("service", 1, "mail", "", "disabled")
                    + row("table", 4, "relayhosts", "", "empty")
                    + row("host", 3, "10.0.0.9", "0.00%", "down")
                    + INDENT + "total: 0/10 checks\n"
                    + INDENT + "last error: tcp connection refused\n"
                    + row("host", 4, "10.0.0.10", "", "disabled"), ""), r);
        }
    }

    /**
     * A table that a service and a relay both use follows each of them in the stream: show
     * hosts, without the relay rows, printed it twice, which read as a duplicate (probe H).
     */
    @Test
    void showHostsPrintsATableOnceThoughARelayUsesItToo() throws Exception {
        byte[] reply = FakeDaemon.frames(
                msg(CTL_SERVICE, new CtlService(0, "www", ServiceStatus.ACTIVE)),
                msg(CTL_TABLE, new CtlTable(2, "web", false, 1, 1)),
                msg(CTL_HOST, new CtlHost(1, 2, "10.0.0.2", HostState.UP, false, 0, 0, 0, HostError.TCP_CONNECT_OK)),
                msg(CTL_RELAY, new CtlRelay(0, "front", false)),
                msg(CTL_TABLE, new CtlTable(2, "web", false, 1, 1)),
                msg(CTL_HOST, new CtlHost(1, 2, "10.0.0.2", HostState.UP, false, 0, 0, 0, HostError.TCP_CONNECT_OK)),
                msg(CTL_TABLE, new CtlTable(3, "spare", false, 1, 1)),
                msg(CTL_HOST, new CtlHost(2, 3, "10.0.0.3", HostState.UP, false, 0, 0, 0, HostError.TCP_CONNECT_OK)),
                msg(CTL_END, Empty.INSTANCE));
        String web = row("table", 2, "web", "", "active (1 hosts up)") + row("host", 1, "10.0.0.2", "", "up");
        String spare = row("table", 3, "spare", "", "active (1 hosts up)") + row("host", 2, "10.0.0.3", "", "up");
        try (FakeDaemon d = FakeDaemon.answering(dir, reply)) {
            assertEquals(new Run(0, HEADER + row("service", 0, "www", "", "active") + web + spare, ""),
                    run(d, "show", "hosts"));
        }
    }

    @Test
    void showRelaysPrintsRelaysWithStatisticsSummedOverWorkers() throws Exception {
        try (FakeDaemon d = FakeDaemon.answering(dir, summaryStream())) {
            Run r = run(d, "show", "relays");
            assertEquals(new Run(0, HEADER
                    + row("relay", 0, "wwwtls", "", "active")
                    + INDENT + "total: 10 sessions\n"
                    + INDENT + "last: 3/60s 7/h 10/d sessions\n"
                    + INDENT + "average: 1/60s 4/h 10/d sessions\n"
                    + row("relay", 1, "idle", "", "disabled"), ""), r);
            // The daemon is asked for the relays' rows alone.
            assertEquals(new SummaryRequest(SummaryRequest.View.RELAYS), d.request().payload(SummaryRequest.class));
        }
    }

    @Test
    void aRelayWhoseEngineIsRestartingSaysSo() throws Exception {
        byte[] reply = FakeDaemon.frames(msg(CTL_RELAY, new CtlRelay(0, "web", false).withDown(CtlRelay.Down.RESTARTING)),
                msg(CTL_RELAY, new CtlRelay(1, "tls", false).withDown(CtlRelay.Down.REFUSED)),
                msg(CTL_END, Empty.INSTANCE));
        try (FakeDaemon d = FakeDaemon.answering(dir, reply)) {
            assertEquals(new Run(0, HEADER + row("relay", 0, "web", "", "down (relay engine restarting)")
                    + row("relay", 1, "tls", "", "down (the relay engine refused the configuration)"), ""),
                    run(d, "show", "summary"));
        }
    }

    @Test
    void showFailsWithTheDaemonsReasonAndNoTable() throws Exception {
        byte[] fail = FakeDaemon.frames(msg(CTL_FAIL, new Text("pfe is restarting")));
        try (FakeDaemon d = FakeDaemon.answering(dir, fail)) {
            assertEquals(new Run(1, "", "command failed: pfe is restarting\n"), run(d, "show", "summary"));
        }
    }

    @Test
    void showSessionsPrintsTwoLinesPerSession() throws Exception {
        byte[] reply = FakeDaemon.frames(
                msg(MessageType.CTL_SESSION, new CtlSession(0, "www", false, 2, 17, InetAddress.getByName("192.0.2.7"), 55434,
                        InetAddress.getByName("10.0.0.1"), 80, false, 3_723_000, 1_500, 517, 91_234)),
                msg(MessageType.CTL_SESSION, new CtlSession(3, "old", true, 0, 5, InetAddress.getByName("2001:db8::7"), 40000,
                        null, 0, true, 90_061_000, 0, 0, 0)),
                msg(CTL_END, Empty.INSTANCE));
        try (FakeDaemon d = FakeDaemon.answering(dir, reply)) {
            assertEquals(new Run(0,
                    "session 2:17 192.0.2.7:55434 -> 10.0.0.1:80\tRUNNING\n"
                    + "\tage 01:02:03, idle 00:00:01, relay 0 (www), 517 bytes to server, 91234 bytes to client\n"
                    + "session 0:5 [2001:db8::7]:40000 -> (none)\tDONE\n"
                    + "\tage 25:01:01, idle 00:00:00, relay 3 (old, removed), 0 bytes to server, 0 bytes to client\n", ""),
                    run(d, "show", "sessions"));
            assertEquals(MessageType.CTL_SHOW_SESSIONS, d.request().type());
            assertEquals(Messages.CONTROL_VERSION, d.request().peerId(), "the control protocol's version");
        }
    }

    /** A name that is not plain is quoted, so that "www, removed" cannot read as a removed relay (probe F). */
    @Test
    void showSessionsQuotesARelayNameThatIsNotPlain() throws Exception {
        byte[] reply = FakeDaemon.frames(msg(MessageType.CTL_SESSION, new CtlSession(1, "www, removed", false, 0, 1,
                InetAddress.getByName("192.0.2.7"), 1, null, 0, false, 0, 0, 0, 0)), msg(CTL_END, Empty.INSTANCE));
        try (FakeDaemon d = FakeDaemon.answering(dir, reply)) {
            assertTrue(run(d, "show", "sessions").out().contains(", relay 1 (\"www, removed\"), "));
        }
    }

    @ParameterizedTest
    @MethodSource("ipv6Texts")
    void ipv6AddressesAreWrittenInTheirShortestForm(String address, String text) throws Exception {
        byte[] reply = FakeDaemon.frames(msg(MessageType.CTL_SESSION, new CtlSession(0, "www", false, 0, 1,
                InetAddress.getByName(address), 1, null, 0, false, 0, 0, 0, 0)), msg(CTL_END, Empty.INSTANCE));
        try (FakeDaemon d = FakeDaemon.answering(dir, reply)) {
            assertTrue(run(d, "show", "sessions").out().startsWith("session 0:1 " + text + ":1 -> "));
        }
    }

    static Stream<Arguments> ipv6Texts() {
        return Stream.of(Arguments.of("::1", "[::1]"), Arguments.of("::", "[::]"),
                Arguments.of("2001:db8:0:0:1:0:0:1", "[2001:db8::1:0:0:1]"),
                Arguments.of("2001:0:0:1:0:0:0:1", "[2001:0:0:1::1]"),
                Arguments.of("2001:db8:1:2:3:4:5:0", "[2001:db8:1:2:3:4:5:0]"),
                Arguments.of("fe80:0:0:0:0:0:0:0", "[fe80::]"),
                Arguments.of("2001:db8:0:1:1:1:1:1", "[2001:db8:0:1:1:1:1:1]"));
    }

    @Test
    void showSessionsWithNoneIsEmpty() throws Exception {
        try (FakeDaemon d = FakeDaemon.answering(dir, FakeDaemon.frames(msg(CTL_END, Empty.INSTANCE)))) {
            assertEquals(new Run(0, "", ""), run(d, "sh", "se"));
        }
    }

    @Test
    void showSessionsFailsWithTheDaemonsReason() throws Exception {
        byte[] fail = FakeDaemon.frames(msg(CTL_FAIL, new Text("relay engine is restarting; try again")));
        try (FakeDaemon d = FakeDaemon.answering(dir, fail)) {
            assertEquals(new Run(1, "", "command failed: relay engine is restarting; try again\n"),
                    run(d, "show", "sessions"));
        }
    }

    static Stream<Arguments> objectCommands() {
        return Stream.of(
                Arguments.of(List.of("service", "enable", "www"), MessageType.CTL_SERVICE_ENABLE, new CtlId(-1, "www")),
                Arguments.of(List.of("service", "disable", "0"), MessageType.CTL_SERVICE_DISABLE, new CtlId(0, null)),
                Arguments.of(List.of("table", "enable", "2"), MessageType.CTL_TABLE_ENABLE, new CtlId(2, null)),
                Arguments.of(List.of("table", "disable", "webhosts"), MessageType.CTL_TABLE_DISABLE,
                        new CtlId(-1, "webhosts")),
                Arguments.of(List.of("host", "enable", "10.0.0.1"), MessageType.CTL_HOST_ENABLE,
                        new CtlId(-1, "10.0.0.1")),
                Arguments.of(List.of("host", "disable", "3"), MessageType.CTL_HOST_DISABLE, new CtlId(3, null)),
                Arguments.of(List.of("ho", "dis", "3"), MessageType.CTL_HOST_DISABLE, new CtlId(3, null)),
                // Digits of another script are a name, not an id.
                Arguments.of(List.of("host", "disable", "\u0661"), MessageType.CTL_HOST_DISABLE,
                        new CtlId(-1, "\u0661")),
                Arguments.of(List.of("ser", "en", "www"), MessageType.CTL_SERVICE_ENABLE, new CtlId(-1, "www")),
                // A word with a leading '-' where the id or name goes is that argument, and so
                // is any word after "--": a negative number is a name the daemon will not know.
                Arguments.of(List.of("host", "disable", "-1"), MessageType.CTL_HOST_DISABLE, new CtlId(-1, "-1")),
                Arguments.of(List.of("host", "disable", "--", "-1"), MessageType.CTL_HOST_DISABLE,
                        new CtlId(-1, "-1")),
                Arguments.of(List.of("--", "table", "disable", "-s"), MessageType.CTL_TABLE_DISABLE,
                        new CtlId(-1, "-s")),
                Arguments.of(List.of("service", "--", "enable", "--help"), MessageType.CTL_SERVICE_ENABLE,
                        new CtlId(-1, "--help")),
                Arguments.of(List.of("reload"), MessageType.CTL_RELOAD, Empty.INSTANCE),
                Arguments.of(List.of("poll"), MessageType.CTL_POLL, Empty.INSTANCE),
                Arguments.of(List.of("stop"), MessageType.CTL_SHUTDOWN, Empty.INSTANCE),
                Arguments.of(List.of("log", "brief"), MessageType.CTL_LOG_VERBOSE, new Flag(false)),
                Arguments.of(List.of("log", "verbose"), MessageType.CTL_LOG_VERBOSE, new Flag(true)));
    }

    @ParameterizedTest
    @MethodSource("objectCommands")
    void commandSucceeded(List<String> args, MessageType sent, Object payload) throws Exception {
        try (FakeDaemon d = FakeDaemon.answering(dir, FakeDaemon.frames(msg(CTL_OK, Empty.INSTANCE)))) {
            assertEquals(new Run(0, "command succeeded\n", ""), run(d, args.toArray(String[]::new)));
            assertEquals(sent, d.request().type());
            assertEquals(payload, d.request().payload());
            assertEquals(0, d.request().pid());
        }
    }

    @ParameterizedTest
    @MethodSource("objectCommands")
    void commandFailedPrintsTheReasonOnStderr(List<String> args, MessageType sent, Object payload) throws Exception {
        byte[] fail = FakeDaemon.frames(msg(CTL_FAIL, new Text("no such object")));
        try (FakeDaemon d = FakeDaemon.answering(dir, fail)) {
            assertEquals(new Run(1, "", "command failed: no such object\n"), run(d, args.toArray(String[]::new)));
            assertEquals(sent, d.request().type());
        }
    }

    @Test
    void reloadFailureShowsTheConfigurationsFirstError() throws Exception {
        byte[] fail = FakeDaemon.frames(msg(CTL_FAIL, new Text("/etc/hoststated.conf:12: syntax error")));
        try (FakeDaemon d = FakeDaemon.answering(dir, fail)) {
            assertEquals(new Run(1, "", "command failed: /etc/hoststated.conf:12: syntax error\n"), run(d, "reload"));
        }
    }

    /**
     * What the daemon warned of while reloading (an expired certificate just installed) comes
     * before the answer, on stderr: only the log said it (probe AA).
     */
    @Test
    void reloadWarningsGoToStderrBeforeTheAnswer() throws Exception {
        byte[] answer = FakeDaemon.frames(msg(CTL_WARNING, new Text("relay tls: /etc/ssl/a.crt: certificate expired\u001b")),
                msg(CTL_OK, Empty.INSTANCE));
        try (FakeDaemon d = FakeDaemon.answering(dir, answer)) {
            assertEquals(new Run(0, "command succeeded\n", "warning: relay tls: /etc/ssl/a.crt: certificate expired\\x1b\n"),
                    run(d, "reload"));
        }
    }

    @Test
    void failWithoutAReasonSaysCommandFailed() throws Exception {
        try (FakeDaemon d = FakeDaemon.answering(dir, FakeDaemon.frames(msg(CTL_FAIL, new Text(""))))) {
            assertEquals(new Run(1, "", "command failed\n"), run(d, "host", "enable", "1"));
        }
    }

    @ParameterizedTest
    @MethodSource("summaryPrefixes")
    void keywordsMayBeAbbreviated(List<String> args) throws Exception {
        try (FakeDaemon d = FakeDaemon.answering(dir, summaryStream())) {
            Run r = run(d, args.toArray(String[]::new));
            assertEquals(0, r.rc(), r.err());
            assertTrue(r.out().startsWith(HEADER + row("service", 0, "www", "", "active")), r.out());
        }
    }

    static Stream<List<String>> summaryPrefixes() {
        return Stream.of(List.of("sh", "su"), List.of("show", "summ"), List.of("sho", "summary"));
    }

    @Test
    void socketOptionIsAcceptedAfterTheSubcommand() throws Exception {
        try (FakeDaemon d = FakeDaemon.answering(dir, summaryStream())) {
            assertEquals(0, run("show", "summary", "-s", d.path.toString()).rc());
            assertEquals(0, run("show", "-s", d.path.toString(), "relays").rc());
        }
    }

    @Test
    void anAmbiguousPrefixIsAUsageError() {
        Run r = run("-s", dir.resolve("none").toString(), "s", "su");
        assertEquals(1, r.rc());
        assertEquals("", r.out());
        assertEquals("hoststatectl: ambiguous argument: s (show, service, stop)\n"
                + "usage: hoststatectl [-s socket] command [argument ...] (see: hoststatectl help)\n", r.err());
    }

    @ParameterizedTest
    @MethodSource("usageErrors")
    void usageErrorsExitOne(List<String> args, String firstLine) {
        Run r = run(args.toArray(String[]::new));
        assertEquals(1, r.rc());
        assertEquals("", r.out());
        assertEquals(firstLine, r.err().lines().findFirst().orElse(""));
        assertEquals(firstLine + "\nusage: hoststatectl [-s socket] command [argument ...] (see: hoststatectl help)\n",
                r.err());
    }

    static Stream<Arguments> usageErrors() {
        return Stream.of(
                Arguments.of(List.of(), "hoststatectl: missing command"),
                Arguments.of(List.of("show"), "hoststatectl: show: missing argument: summary|hosts|relays|sessions"),
                Arguments.of(List.of("host", "disable"), "hoststatectl: host disable: missing argument: <id|name>"),
                Arguments.of(List.of("frobnicate"), "hoststatectl: unknown argument: frobnicate; expected "
                        + "show|service|table|host|reload|poll|monitor|log|stop|help"),
                Arguments.of(List.of("show", "summary", "extra"),
                        "hoststatectl: show summary: unexpected argument: extra"),
                Arguments.of(List.of("log", "loud"),
                        "hoststatectl: log: unknown argument: loud; expected brief|verbose"),
                Arguments.of(List.of("show", "-x"), "hoststatectl: unknown option -x"),
                Arguments.of(List.of("host", "-1"), "hoststatectl: unknown option -1"),
                Arguments.of(List.of("host", "disable", "-1", "-2"), "hoststatectl: unknown option -2"),
                Arguments.of(List.of("--", "-x"), "hoststatectl: unknown argument: -x; expected "
                        + "show|service|table|host|reload|poll|monitor|log|stop|help"),
                Arguments.of(List.of("show", "summary", "--", "-x"),
                        "hoststatectl: show summary: unexpected argument: -x"),
                Arguments.of(List.of("show", "summary", "-s"), "hoststatectl: option -s needs a socket path"));
    }

    @Test
    void everyTopLevelCommandIsInTheUsage() {
        String usage = Grammar.usage(Hoststatectl.DEFAULT_SOCKET);
        for (Grammar.Token t : Grammar.COMMANDS) {
            assertTrue(usage.contains("\n  " + t.keyword), t.keyword);
        }
        assertTrue(usage.contains("\n  host enable|disable <id|name> "), usage);
        assertTrue(usage.contains("\n  show summary|hosts|relays|sessions "), usage);
    }

    @Test
    void aNameLongerThanTheDaemonCanHoldIsRefusedWithoutConnecting() {
        Run r = run("-s", dir.resolve("none").toString(), "host", "disable", "h".repeat(256));
        assertEquals(new Run(1, "", "hoststatectl: name too long: at most 255 bytes\n"), r);
    }

    @Test
    void theSocketOptionMayBeJoinedToItsValue() throws Exception {
        try (FakeDaemon d = FakeDaemon.answering(dir, summaryStream())) {
            assertEquals(0, run("-s" + d.path, "show", "summary").rc());
        }
    }

    @Test
    void helpExitsZero() {
        Run r = run("help");
        assertEquals(0, r.rc());
        assertTrue(r.out().startsWith("usage: hoststatectl [-s socket] command [argument ...]\n"), r.out());
        assertEquals("", r.err());
        assertEquals(r, run("-h"));
        assertEquals(r, run("show", "--help"));
    }

    @Test
    void daemonNotRunning() {
        String path = dir.resolve("hoststated.sock").toString();
        assertEquals(new Run(1, "", "hoststatectl: cannot connect to " + path + ": daemon not running?\n"),
                run("-s", path, "show", "summary"));
    }

    /** A socket in a directory that does not exist is a mistyped path before a stopped daemon (probe R). */
    @Test
    void aSocketInADirectoryThatDoesNotExist() {
        Path missing = dir.resolve("nodir");
        String path = missing.resolve("hoststated.sock").toString();
        assertEquals(new Run(1, "", "hoststatectl: cannot connect to " + path + ": no such directory: " + missing + "\n"),
                run("-s", path, "show", "summary"));
    }

    @Test
    void staleSocketFileMeansDaemonNotRunning() throws Exception {
        // A socket file left behind by a daemon that died: bound once, nobody listening now.
        Path stale = dir.resolve("hoststated.sock");
        java.nio.channels.ServerSocketChannel.open(java.net.StandardProtocolFamily.UNIX)
                .bind(java.net.UnixDomainSocketAddress.of(stale)).close();
        assertTrue(Files.exists(stale));
        assertEquals(new Run(1, "", "hoststatectl: cannot connect to " + stale + ": daemon not running?\n"),
                run("-s", stale.toString(), "poll"));
    }

    @Test
    void aFileThatIsNotASocket() throws Exception {
        Path file = Files.createFile(dir.resolve("hoststated.conf"));
        assertEquals(new Run(1, "", "hoststatectl: cannot connect to " + file + ": not a socket\n"),
                run("-s", file.toString(), "show", "summary"));
        assertEquals(new Run(1, "", "hoststatectl: cannot connect to " + dir + ": not a socket\n"),
                run("-s", dir.toString(), "poll"));
        assertEquals(new Run(1, "", "hoststatectl: no control socket given\n"), run("-s", "", "poll"));
        // A device or a FIFO is no socket either: they said "daemon not running?".
        assertEquals(new Run(1, "", "hoststatectl: cannot connect to /dev/null: not a socket\n"),
                run("-s", "/dev/null", "poll"));
    }

    /** A reason that quotes what the operator typed reaches no terminal with its control characters. */
    @Test
    void aReasonsControlCharactersAreShownEscaped() throws Exception {
        byte[] fail = FakeDaemon.frames(msg(CTL_FAIL, new Text("no such host: x\u001b[7my\u0007\tz\u009b")));
        try (FakeDaemon d = FakeDaemon.answering(dir, fail)) {
            assertEquals(new Run(1, "", "command failed: no such host: x\\x1b[7my\\x07\tz\\x9b\n"),
                    run(d, "host", "disable", "x"));
        }
    }

    @Test
    void aSocketPathTooLongForUnixSockets() {
        String path = dir.resolve("x".repeat(120)).toString();
        assertEquals(new Run(1, "", "hoststatectl: cannot connect to " + path + ": socket path too long\n"),
                run("-s", path, "show", "summary"));
    }

    @Test
    void defaultSocketIsTheOriginals() {
        Run r = run("help");
        assertTrue(r.out().contains("/var/run/hoststated.sock") || System.getenv("HOSTSTATECTL_SOCKET") != null,
                r.out());
    }

    static Stream<Arguments> garbage() {
        byte[] random = new byte[200];
        new Random(42).nextBytes(random);
        List<Arguments> rows = new ArrayList<>();
        rows.add(Arguments.of("random bytes", random, "hoststatectl: bad reply from daemon: bad frame length "
                + Integer.toUnsignedString(ByteBuffer.wrap(random).getInt())));
        rows.add(Arguments.of("oversized length", header(0x7fffffff, CTL_OK.id()),
                "hoststatectl: bad reply from daemon: bad frame length 2147483647"));
        rows.add(Arguments.of("negative length", header(-1, CTL_OK.id()),
                "hoststatectl: bad reply from daemon: bad frame length 4294967295"));
        rows.add(Arguments.of("length below header", header(4, CTL_OK.id()),
                "hoststatectl: bad reply from daemon: bad frame length 4"));
        rows.add(Arguments.of("unknown type", header(16, 999),
                "hoststatectl: bad reply from daemon: unknown message type 999" + ControlClient.OTHER_BUILD));
        rows.add(Arguments.of("type not for a control client", header(16, MessageType.CTL_SHOW_SUM.id()),
                "hoststatectl: bad reply from daemon: CTL_SHOW_SUM not allowed from parent to control"
                        + ControlClient.OTHER_BUILD));
        rows.add(Arguments.of("payload on CTL_OK", concat(header(20, CTL_OK.id()), new byte[4]),
                "hoststatectl: bad reply from daemon: CTL_OK payload too long: 4" + ControlClient.OTHER_BUILD));
        rows.add(Arguments.of("truncated frame", Arrays.copyOf(
                FakeDaemon.frames(msg(CTL_FAIL, new Text("a reason that is cut off"))), 30),
                "hoststatectl: daemon closed the connection"));
        rows.add(Arguments.of("truncated header", new byte[] {0, 0, 0}, "hoststatectl: daemon closed the connection"));
        rows.add(Arguments.of("nothing", new byte[0], "hoststatectl: daemon closed the connection"));
        rows.add(Arguments.of("a row instead of OK", FakeDaemon.frames(msg(CTL_RELAY, new CtlRelay(0, "r", false))),
                "hoststatectl: bad reply from daemon: unexpected ctl_relay"));
        return rows.stream();
    }

    private static byte[] header(int len, int type) {
        return ByteBuffer.allocate(16).putInt(len).putShort((short) type).putShort((short) 0).putInt(0).putInt(1)
                .array();
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] c = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, c, a.length, b.length);
        return c;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("garbage")
    void aBadReplyIsOneLineAndExitOne(String what, byte[] reply, String message) throws Exception {
        try (FakeDaemon d = FakeDaemon.answering(dir, reply)) {
            assertEquals(new Run(1, "", message + "\n"), run(d, "host", "disable", "3"));
        }
    }

    @Test
    void aRowOutsideTheSummaryStreamIsABadReply() throws Exception {
        byte[] reply = FakeDaemon.frames(msg(CTL_SERVICE, new CtlService(0, "www", ServiceStatus.ACTIVE)),
                msg(CTL_OK, Empty.INSTANCE));
        try (FakeDaemon d = FakeDaemon.answering(dir, reply)) {
            assertEquals(new Run(1, HEADER + row("service", 0, "www", "", "active"),
                    "hoststatectl: bad reply from daemon: unexpected ctl_ok\n"), run(d, "show", "summary"));
        }
    }

    @Test
    void aSummaryCutShortSaysTheDaemonClosedTheConnection() throws Exception {
        byte[] reply = FakeDaemon.frames(msg(CTL_SERVICE, new CtlService(0, "www", ServiceStatus.DOWN)));
        try (FakeDaemon d = FakeDaemon.answering(dir, reply)) {
            assertEquals(new Run(1, HEADER + row("service", 0, "www", "", "down"),
                    "hoststatectl: daemon closed the connection\n"), run(d, "show", "summary"));
        }
    }

    /**
     * A request that may wait for a reload under way (reading slow DNS names) gets ten times
     * the time of a {@code show}: 30 s gave up on reloads that went on to succeed.
     */
    @Test
    void aSilentDaemonTimesOut() throws Exception {
        try (FakeDaemon d = FakeDaemon.answering(dir, FakeDaemon.HANG)) {
            Run r = run(Duration.ofMillis(200), "-s", d.path.toString(), "poll");
            assertEquals(new Run(1, "", "hoststatectl: no reply from daemon within 2 s\n"), r);
        }
    }

    @Test
    void aSilentDaemonGetsNoTableHeader() throws Exception {
        try (FakeDaemon d = FakeDaemon.answering(dir, FakeDaemon.HANG)) {
            Run r = run(Duration.ofMillis(200), "-s", d.path.toString(), "show", "summary");
            assertEquals(new Run(1, "", "hoststatectl: no reply from daemon within 200 ms\n"), r);
        }
    }

    @Test
    void monitorPrintsEachEventUntilTheDaemonCloses() throws Exception {
        byte[] events = FakeDaemon.frames(
                new Imsg(CTL_OK, 0, 4242, Empty.INSTANCE),
                new Imsg(MessageType.HOST_STATUS, 0, 4242,
                        new HostStatus(1, 3, HostState.DOWN, HostError.TCP_CONNECT_REFUSED, 10, 0, 0, 2)),
                new Imsg(MessageType.SYNC, 7, 4242, new Generation(1)),
                new Imsg(MessageType.HOST_DISABLE, 0, 4242, new ObjId(1, 4)),
                new Imsg(MessageType.CTL_TABLE_CHANGED, 0, 4242, new ObjId(1, 2)));
        String ts = "\ttimestamp: 1196000000, Sun Nov 25 14:13:20 2007\n";
        try (FakeDaemon d = FakeDaemon.answering(dir, events)) {
            Run r = run(d, "monitor");
            assertEquals(new Run(1,
                    "host_status: imsg type 46 len 42 peerid 0 pid 4242\n" + ts + "\tid: 3\n\tstate: down\n"
                    + "sync: imsg type 47 len 20 peerid 7 pid 4242\n" + ts + "\tgeneration: 1\n"
                    + "ctl_host_disable: imsg type 45 len 24 peerid 0 pid 4242\n" + ts + "\tid: 4\n"
                    + "ctl_table_changed: imsg type 9 len 24 peerid 0 pid 4242\n" + ts + "\tid: 2\n",
                    "hoststatectl: daemon closed the connection\n"), r);
            assertEquals(MessageType.CTL_NOTIFY, d.request().type());
        }
    }

    /** The enable and disable events carry the original's names (SPEC 2.2), word order included. */
    @Test
    void monitorNamesTheEnableAndDisableEventsAsTheOriginalDid() {
        assertEquals("ctl_disable_service", SummaryFormatter.eventName(MessageType.SERVICE_DISABLE));
        assertEquals("ctl_service_enable", SummaryFormatter.eventName(MessageType.SERVICE_ENABLE));
        assertEquals("ctl_table_disable", SummaryFormatter.eventName(MessageType.TABLE_DISABLE));
        assertEquals("ctl_table_enable", SummaryFormatter.eventName(MessageType.TABLE_ENABLE));
        assertEquals("ctl_host_disable", SummaryFormatter.eventName(MessageType.HOST_DISABLE));
        assertEquals("ctl_host_enable", SummaryFormatter.eventName(MessageType.HOST_ENABLE));
        assertEquals("host_status", SummaryFormatter.eventName(MessageType.HOST_STATUS));
        assertEquals("ctl_table_changed", SummaryFormatter.eventName(MessageType.CTL_TABLE_CHANGED));
        assertEquals("sync", SummaryFormatter.eventName(MessageType.SYNC));
    }

    /**
     * Output that cannot be written (a full disk, a pipe whose reader has gone) fails the
     * command with one line: a monitor piped into {@code head -1} printed into the closed pipe
     * for ever, and {@code show summary > /dev/full} exited 0.
     */
    @Test
    void outputThatCannotBeWrittenFailsTheCommand() throws Exception {
        byte[] event = FakeDaemon.frames(new Imsg(MessageType.SYNC, 0, 4242, new Generation(1)));
        try (FakeDaemon d = FakeDaemon.answeringAndStaying(dir, event)) {
            assertEquals(new Run(1, "", "hoststatectl: cannot write to standard output\n"),
                    runIntoBrokenOutput(d, "monitor"));
        }
        Path other = Files.createDirectory(dir.resolve("other"));
        try (FakeDaemon d = FakeDaemon.answering(other, FakeDaemon.frames(new Imsg(CTL_OK, 0, 1, Empty.INSTANCE)))) {
            // The daemon did the command: the line says so, or a script would do it again.
            assertEquals(new Run(1, "", "hoststatectl: command succeeded, but cannot write to standard output\n"),
                    runIntoBrokenOutput(d, "poll"));
        }
    }

    /**
     * A pipe whose reader has gone ({@code show summary | head}) ends the command without a
     * word, with the status a shell gives a command that SIGPIPE ended (probe AJ).
     */
    @Test
    void aPipeWhoseReaderHasGoneEndsTheCommandQuietly() throws Exception {
        byte[] event = FakeDaemon.frames(new Imsg(MessageType.SYNC, 0, 4242, new Generation(1)));
        try (FakeDaemon d = FakeDaemon.answeringAndStaying(dir, event)) {
            assertEquals(new Run(141, "", ""), runIntoBrokenOutput(d, true, "monitor"));
        }
    }

    /** A run whose standard output fails every write, as a closed pipe or /dev/full does. */
    private Run runIntoBrokenOutput(FakeDaemon d, String... args) {
        return runIntoBrokenOutput(d, false, args);
    }

    /** {@link #runIntoBrokenOutput(FakeDaemon, String...)} into a pipe, or not. */
    private Run runIntoBrokenOutput(FakeDaemon d, boolean pipe, String... args) {
        java.io.OutputStream broken = new java.io.OutputStream() {
            @Override
            public void write(int b) throws java.io.IOException {
                throw new java.io.IOException("Broken pipe");
            }
        };
        StringWriter err = new StringWriter();
        String[] all = Stream.concat(Stream.of("-s", d.path.toString()), Arrays.stream(args)).toArray(String[]::new);
        int rc = Hoststatectl.run(all, new PrintWriter(broken), new PrintWriter(err), Duration.ofSeconds(10), null,
                () -> pipe);
        return new Run(rc, "", err.toString());
    }

    @Test
    void monitorStopsAtAnEventItDoesNotKnow() throws Exception {
        byte[] events = FakeDaemon.frames(new Imsg(MessageType.HOST_ENABLE, 0, 1, new ObjId(1, 4)),
                new Imsg(CTL_END, 0, 1, Empty.INSTANCE),
                new Imsg(MessageType.HOST_ENABLE, 0, 1, new ObjId(1, 5)));
        try (FakeDaemon d = FakeDaemon.answering(dir, events)) {
            Run r = run(d, "mon");
            assertEquals(1, r.rc());
            assertTrue(r.out().endsWith("\tid: 4\n"), r.out());
            assertEquals("hoststatectl: bad reply from daemon: unexpected ctl_end\n", r.err());
        }
    }

    /** The hand-made availability column reads as the codec's String.format one, rounding included. */
    @Test
    void availabilityMatchesPrintfRounding() {
        Random rnd = new Random(7);
        List<int[]> counts = new ArrayList<>(List.of(new int[] {0, 0}, new int[] {1, 0}, new int[] {8, 1},
            new int[] {32, 1}, new int[] {20_000, 1}, new int[] {400, 1}, new int[] {3, 2}, new int[] {42, 41},
            new int[] {Integer.MAX_VALUE, Integer.MAX_VALUE - 1}, new int[] {Integer.MAX_VALUE, 1}));
        for (int i = 0; i < 20_000; i++) {
            int checks = 1 + rnd.nextInt(i < 10_000 ? 2_000 : Integer.MAX_VALUE);
            counts.add(new int[] {checks, rnd.nextInt(checks + 1)});
        }
        for (int[] c : counts) {
            CtlHost h = new CtlHost(0, 0, "h", HostState.UP, false, c[0], c[1], 0, HostError.NONE);
            assertEquals(h.availability(), SummaryFormatter.availability(h), c[1] + "/" + c[0]);
        }
    }
}
