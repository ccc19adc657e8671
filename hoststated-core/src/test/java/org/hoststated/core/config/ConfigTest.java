package org.hoststated.core.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Directives, defaults, macros, includes and templates. */
class ConfigTest {
    private static final String TABLE = "table web {\n real port 80\n check tcp\n host 10.0.0.1\n}\n";
    private static final String SERVICE = "service www {\n virtual host 192.0.2.1 port 80\n table web\n}\n";

    private static Config ok(String text) {
        LoadResult r = TestConfigs.parse(text);
        assertTrue(r.ok(), () -> r.errors().toString());
        return r.config();
    }

    private static Config roundTrip(Config c) {
        String printed = ConfigPrinter.print(c);
        Config again = ok(printed);
        assertEquals(c, again, printed);
        return again;
    }

    /**
     * The printed form of a protocol without ssl options has none: written out, the defaults
     * were "ssl options" no ssl listener used, and the printed file warned where its source
     * did not (probe AH).
     */
    @Test
    void aPrintedProtocolWithoutSslOptionsHasNoneAndNoWarning() {
        String relay = "protocol p {\n protocol http\n}\nrelay r {\n listen on 127.0.0.1 port 80\n"
                + " forward to 127.0.0.2 port 80\n protocol p\n}\n";
        String printed = ConfigPrinter.print(ok(relay));
        assertFalse(printed.contains("ssl {"), printed);
        LoadResult again = TestConfigs.parse(printed);
        assertEquals(List.of(), again.warnings(), printed);
        roundTrip(ok(relay));
    }

    /** A check path that is no request target a server takes is warned of (probe AH). */
    @Test
    void aCheckPathWithoutItsSlashIsWarnedOf() {
        LoadResult r = TestConfigs.parse(TABLE.replace("check tcp", "check http \"health\" code 200") + SERVICE);
        assertTrue(r.ok(), r.errors().toString());
        assertEquals(List.of("test.conf:3: check path health does not begin with '/': servers refuse such a request"
                + " (400 Bad Request)"), r.warnings().stream().map(Object::toString).toList());
    }

    @Test
    void defaults() {
        Config c = ok(TABLE + SERVICE);
        Globals g = c.globals();
        assertEquals(10, g.intervalSec());
        assertEquals(200, g.timeoutMs());
        assertEquals(LogMode.NONE, g.log());
        assertEquals(0, g.prefork(), "no relays: prefork forced to 0");
        assertEquals("_hoststated", g.user());
        assertEquals("/var/empty", g.chroot());
        assertEquals("/var/run/hoststated.sock", g.socket());
        assertNull(g.l3Backend());
        TableConfig t = c.table("web").orElseThrow();
        assertEquals(200, t.timeoutMs());
        assertEquals(10, t.intervalSec());
        assertEquals(CheckType.TCP, t.check().type());
        assertNull(c.services().get(0).backupTable());
        assertEquals(ProtocolConfig.DEFAULT_NAME, c.protocols().get(c.protocols().size() - 1).name());
        roundTrip(c);
    }

    @Test
    void globalsAndExtensions() {
        Config c = ok("interval 5\ntimeout 300\nlog updates\nlog all\nprefork 7\ndemote carp\n"
                + "user \"nobody\"\nchroot \"/tmp\"\nsocket \"/tmp/h.sock\"\nl3 backend none\nl3 keep rules\n"
                + TABLE + SERVICE + "relay r {\n listen on 127.0.0.1 port 8080\n table web\n}\n");
        Globals g = c.globals();
        assertEquals(new Globals(5, 300, LogMode.ALL, 7, "carp", "nobody", "/tmp", "/tmp/h.sock", "none", true), g);
        roundTrip(c);
    }

    @Test
    void everyTableDirective() {
        Config c = ok("table a {\n real port https\n timeout 500\n interval 20\n demote grp\n disable\n"
                + " check https \"/health\" host www.example.org code 204\n host 10.0.0.1 retry 2\n host localhost\n}\n"
                + "table b {\n real port 80\n check http \"/\" digest \"D41D8CD98F00B204E9800998ECF8427E\"\n host ::1\n}\n"
                + "table c {\n real port 25\n check send nothing expect \"220 *\" ssl\n host 10.0.0.3\n}\n"
                + "table d {\n real port 22\n check script \"/bin/true\"\n host 10.0.0.4\n}\n"
                + "table e {\n real port 22\n check icmp\n host 10.0.0.5\n}\n"
                + "table f {\n real port 22\n check ssl\n host 10.0.0.6\n}\n"
                + "table g {\n real port 25\n check send \"HELO x\\r\\n\" expect \"250*\"\n host 10.0.0.7\n}\n"
                + "service s {\n virtual host 192.0.2.1 port 443\n table a\n}\n");
        TableConfig a = c.table("a").orElseThrow();
        assertEquals(443, a.port());
        assertEquals(500, a.timeoutMs());
        assertEquals(20, a.intervalSec());
        assertEquals("grp", a.demote());
        assertTrue(a.disabled());
        assertEquals(CheckConfig.httpCode(true, "/health", "www.example.org", 204), a.check());
        assertEquals(new HostConfig(0, 0, "10.0.0.1", a.hosts().get(0).address(), 2), a.hosts().get(0));
        assertEquals("localhost", a.hosts().get(1).name());
        assertEquals(DigestType.MD5, c.table("b").orElseThrow().check().digestType());
        assertEquals("d41d8cd98f00b204e9800998ecf8427e", c.table("b").orElseThrow().check().digest());
        CheckConfig se = c.table("c").orElseThrow().check();
        assertNull(se.send());
        assertTrue(se.ssl());
        assertEquals(CheckType.SCRIPT, c.table("d").orElseThrow().check().type());
        assertEquals("HELO x\r\n", c.table("g").orElseThrow().check().send());
        roundTrip(c);
    }

    @Test
    void unusedTableIsAWarning() {
        LoadResult r = TestConfigs.parse(TABLE + SERVICE + "table spare {\n real port 80\n check icmp\n host 10.0.0.9\n}\n");
        assertTrue(r.ok());
        assertEquals(List.of("test.conf:10: unused table: spare"), r.warnings().stream().map(Object::toString).toList());
    }

    /** hoststatectl takes an argument of digits for an id: such a name is a warning. */
    @Test
    void aNameOfDigitsOnlyIsAWarning() {
        LoadResult r = TestConfigs.parse(TABLE.replace("table web", "table \"5\"")
                + SERVICE.replace("service www", "service \"7\"").replace("table web", "table \"5\""));
        assertTrue(r.ok());
        assertEquals(List.of("test.conf:1: table 5: hoststatectl takes a name of digits only for an id; it names"
                + " this table by its id alone", "test.conf:6: service 7: hoststatectl takes a name of digits only"
                + " for an id; it names this service by its id alone"),
                r.warnings().stream().map(Object::toString).toList());
    }

    /** A backup table that is the service's table too never takes over: accepted without a word before. */
    @Test
    void aBackupTableThatIsTheTableItselfIsAWarning() {
        LoadResult r = TestConfigs.parse(TABLE + SERVICE.replace("table web", "table web\n backup table web"));
        assertTrue(r.ok());
        assertEquals(List.of("test.conf:9: service www: backup table web is its table too, so it never takes over"
                + " from it"), r.warnings().stream().map(Object::toString).toList());
    }

    /**
     * hoststated.conf(5): a number from 1 to 4294967295 is the mark itself, any other tag is
     * hashed. "tag 0" and "tag 4294967296" passed -n silently and got a CRC-32 mark.
     */
    @Test
    void aNumericTagOutsideTheMarksIsAWarning() {
        for (String tag : List.of("0", "4294967296", "0x100000000", "0x0")) {
            LoadResult r = TestConfigs.parse(TABLE + SERVICE.replace("table web", "table web\n tag " + tag));
            assertTrue(r.ok());
            assertEquals(List.of("test.conf:9: tag " + tag + " is not a packet mark (1 to 4294967295): nftables"
                    + " takes it as a name and marks with its CRC-32"),
                    r.warnings().stream().map(Object::toString).toList());
        }
        for (String tag : List.of("1", "4294967295", "0xffffffff", "web", "0x", "HOSTSTATED")) {
            LoadResult r = TestConfigs.parse(TABLE + SERVICE.replace("table web", "table web\n tag " + tag));
            assertEquals(List.of(), r.warnings(), tag);
        }
    }

    /**
     * An unused table is checked, but an unused template (no real port) has nothing to check:
     * its warning says so. It read as the other tables', and a daemon then neither checked nor
     * listed the template's hosts (three icmp tables without a port, gone from show hosts).
     */
    @Test
    void unusedTemplateSaysItIsNotChecked() {
        LoadResult r = TestConfigs.parse(TABLE + SERVICE + "table spare {\n check icmp\n host 10.0.0.9\n}\n");
        assertTrue(r.ok(), r.errors().toString());
        assertEquals(List.of("test.conf:10: unused table: spare (a template, without real port: not checked)"),
                r.warnings().stream().map(Object::toString).toList());
        assertTrue(r.config().activeTables().stream().noneMatch(t -> t.name().equals("spare")));
    }

    /** relayd accepts it silently; the host would get two entries of the numgen map. */
    @Test
    void aHostListedTwiceInATableIsAWarning() {
        LoadResult r = TestConfigs.parse(TABLE.replace("host 10.0.0.1", "host 10.0.0.1\n host 10.0.0.2\n host 10.0.0.1")
                + SERVICE + "table other {\n real port 80\n check icmp\n host 127.0.0.1\n host localhost retry 2\n}\n"
                + "service other {\n virtual host 192.0.2.9 port 80\n table other\n}\n");
        assertTrue(r.ok(), r.errors().toString());
        assertEquals(List.of("test.conf:6: table web: host 10.0.0.1 is listed twice; it gets a double share of connections",
                "test.conf:16: table other: host localhost is listed twice (as 127.0.0.1); it gets a double share of"
                        + " connections"), r.warnings().stream().map(Object::toString).toList());
        assertEquals(3, r.config().table("web").orElseThrow().hosts().size());
    }

    /**
     * A host listed many times is one warning with the count: a warning per listing filled the
     * output, and past 1,000 warnings the rest went unsaid; now they are counted (probe AH).
     */
    @Test
    void aHostListedManyTimesIsOneWarningAndWarningsPastTheCapAreCounted() {
        LoadResult r = TestConfigs.parse(TABLE.replace("host 10.0.0.1", " host 10.0.0.1\n".repeat(1001)) + SERVICE);
        assertEquals(List.of("test.conf:5: table web: host 10.0.0.1 is listed 1001 times; it gets 1001 shares of"
                + " connections"), r.warnings().stream().map(Object::toString).toList());
        StringBuilder unused = new StringBuilder(TABLE + SERVICE);
        for (int i = 0; i < 1002; i++) {
            unused.append("table t").append(i).append(" {\n check icmp\n host 10.0.0.9\n}\n");
        }
        List<String> said = TestConfigs.parse(unused.toString()).warnings().stream().map(Object::toString).toList();
        assertEquals(1001, said.size());
        assertEquals("test.conf: 2 more warnings not shown (at most 1000 are)", said.get(1000));
    }

    /**
     * Who the engines run as, and where, given twice (an included file that repeats them): the
     * last counts, said; root as the engines' user is said too, since it undoes the privilege
     * separation.
     */
    @Test
    void userChrootAndSocketGivenTwiceAndUserRootAreWarnedOf() {
        LoadResult r = TestConfigs.parse("user \"nobody\"\nchroot \"/var/empty\"\nsocket \"/run/a.sock\"\n"
                + "user \"root\"\nchroot \"/\"\nsocket \"/run/b.sock\"\n" + TABLE + SERVICE);
        assertTrue(r.ok(), r.errors().toString());
        assertEquals(List.of("test.conf:4: user given again (first at test.conf:1); this one counts",
                "test.conf:4: user root: the engines run as root, without privilege separation",
                "test.conf:5: chroot given again (first at test.conf:2); this one counts",
                "test.conf:6: socket given again (first at test.conf:3); this one counts"),
                r.warnings().stream().map(Object::toString).toList());
        assertEquals("root", r.config().globals().user());
        assertEquals("/run/b.sock", r.config().globals().socket());
    }

    /** A path longer than a Unix socket's address: -n said OK, the daemon then could not start. */
    @Test
    void aSocketPathTooLongForAUnixSocketIsAnError() {
        String ok = "/run/" + "s".repeat(102);
        assertTrue(TestConfigs.parse("socket \"" + ok + "\"\n" + TABLE + SERVICE).ok());
        LoadResult r = TestConfigs.parse("socket \"" + ok + "x\"\n" + TABLE + SERVICE);
        assertEquals(List.of("test.conf:1: socket path too long for a Unix socket: 108 bytes, at most 107"),
                r.errors().stream().map(Object::toString).toList());
    }

    @Test
    void aRelayOnAServicesVirtualHostIsWarnedOf() {
        // A wildcard listener and one of its addresses cannot share a port: two files.
        String other = "relay other {\n listen on 192.0.2.1 port 81\n forward to 127.0.0.1 port 8080\n}\n";
        LoadResult r = TestConfigs.parse(TABLE + SERVICE
                + "relay sorry {\n listen on 192.0.2.1 port 80\n forward to 127.0.0.1 port 8080\n}\n" + other);
        LoadResult any = TestConfigs.parse(TABLE + SERVICE
                + "relay any {\n listen on 0.0.0.0 port 80\n forward to 127.0.0.1 port 8080\n}\n" + other);
        assertTrue(r.ok(), r.errors().toString());
        assertTrue(any.ok(), any.errors().toString());
        String why = " redirects 192.0.2.1 port 80, so its connections do not reach the relay while the service"
                + " has a host up";
        assertEquals(List.of("test.conf:10: relay sorry: service www" + why),
                r.warnings().stream().map(Object::toString).toList());
        assertEquals(List.of("test.conf:10: relay any: service www" + why),
                any.warnings().stream().map(Object::toString).toList());
    }

    /** relayd's DNS example: one service on tcp and udp port 53, printed back as written. */
    @Test
    void udpVirtualHosts() {
        Config c = ok(TABLE + "service dns {\n virtual host 192.0.2.53 port 53\n virtual host 192.0.2.53 udp port domain\n"
                + " virtual ip www.example.org udp port ntp interface em0\n virtual host 192.0.2.54 tcp port 53\n"
                + " table web\n}\n");
        List<VirtualHost> v = c.services().get(0).virtualHosts();
        assertEquals(List.of(IpProtocol.TCP, IpProtocol.UDP, IpProtocol.UDP, IpProtocol.UDP, IpProtocol.TCP),
                v.stream().map(VirtualHost::protocol).toList());
        assertEquals(List.of(53, 53, 123, 123, 53), v.stream().map(VirtualHost::port).toList(), "ntp is a UDP name only");
        String printed = ConfigPrinter.print(c);
        assertTrue(printed.contains("\tvirtual host \"192.0.2.53\" port 53\n\tvirtual host \"192.0.2.53\" udp port 53\n"
                + "\tvirtual host \"www.example.org\" udp port 123 interface \"em0\"\n"
                + "\tvirtual host \"192.0.2.54\" port 53\n"), printed);
        roundTrip(c);
    }

    /**
     * A UDP socket bound to a wildcard address sends from the address the route to the client
     * picks, not from the one the client asked: a client whose socket is connected (dig, the
     * C library's resolver) drops such an answer. TCP has no such trouble.
     */
    @Test
    void aDnsRelayOnAWildcardAddressIsWarnedOf() {
        LoadResult r = TestConfigs.parse("protocol d {\n protocol dns\n}\n"
                + "relay any4 {\n listen on 0.0.0.0 port 53\n protocol d\n forward to 10.0.0.53 port 53\n}\n"
                + "relay any6 {\n listen on :: port 54\n protocol d\n forward to 10.0.0.53 port 53\n}\n"
                + "relay one {\n listen on 127.0.0.1 port 53\n protocol d\n forward to 10.0.0.53 port 53\n}\n"
                + "relay stream {\n listen on 0.0.0.0 port 53\n forward to 10.0.0.53 port 53\n}\n");
        assertTrue(r.ok(), r.errors().toString());
        String why = " answers each query from the address of the route to its client, which a client"
                + " that asked another address of this machine drops; listen on each address instead";
        assertEquals(List.of("test.conf:4: relay any4: protocol dns on 0.0.0.0 port 53" + why,
                "test.conf:9: relay any6: protocol dns on :: port 54" + why),
                r.warnings().stream().map(Object::toString).toList());
    }

    /** A dns relay's timeout above 5 s is cut to 5 s where it runs: -n says so (probe Z). */
    @Test
    void aDnsRelaysTimeoutAboveItsCapIsWarnedOf() {
        LoadResult r = TestConfigs.parse("protocol d {\n protocol dns\n}\n"
                + "relay long {\n listen on 127.0.0.1 port 53\n protocol d\n forward to 10.0.0.53 port 53\n"
                + " timeout 30\n}\n"
                + "relay short {\n listen on 127.0.0.2 port 53\n protocol d\n forward to 10.0.0.53 port 53\n"
                + " timeout 3\n}\n"
                + "relay unset {\n listen on 127.0.0.3 port 53\n protocol d\n forward to 10.0.0.53 port 53\n}\n"
                + "relay stream {\n listen on 127.0.0.1 port 53\n forward to 10.0.0.53 port 53\n timeout 30\n}\n");
        assertTrue(r.ok(), r.errors().toString());
        assertEquals(List.of("test.conf:8: relay long: timeout 30: a query of a dns relay waits at most 5 seconds for"
                + " its answer (a resolver asks again by then)"), r.warnings().stream().map(Object::toString).toList());
    }

    @Test
    void udpIsNotReserved() {
        Config c = ok("table udp {\n real port 53\n check tcp\n host 10.0.0.1\n}\n"
                + "service udp {\n virtual host 192.0.2.1 udp port 53\n table udp\n tag udp\n}\n");
        assertEquals("udp", c.services().get(0).tag());
        roundTrip(c);
    }

    /**
     * A relay gets nothing of a virtual host of its own transport only: TCP for a TCP relay,
     * UDP for a {@code protocol dns} relay.
     */
    @Test
    void aRelayOnAVirtualHostOfItsTransportIsWarnedOf() {
        LoadResult r = TestConfigs.parse(TABLE + "service dns {\n virtual host 192.0.2.1 udp port 53\n"
                + " virtual host 192.0.2.2 port 53\n table web\n}\n"
                + "protocol d {\n protocol dns\n}\n"
                + "relay udp1 {\n listen on 192.0.2.1 port 53\n protocol d\n forward to 127.0.0.1 port 5353\n}\n"
                + "relay udp2 {\n listen on 192.0.2.2 port 53\n protocol d\n forward to 127.0.0.1 port 5353\n}\n"
                + "relay tcp1 {\n listen on 192.0.2.1 port 53\n forward to 127.0.0.1 port 5353\n}\n"
                + "relay tcp2 {\n listen on 192.0.2.2 port 53\n forward to 127.0.0.1 port 5353\n}\n");
        assertTrue(r.ok(), r.errors().toString());
        String why = " port 53, so its connections do not reach the relay while the service has a host up";
        assertEquals(List.of("test.conf:14: relay udp1: service dns redirects 192.0.2.1 udp" + why,
                "test.conf:28: relay tcp2: service dns redirects 192.0.2.2" + why),
                r.warnings().stream().map(Object::toString).toList());
    }

    @Test
    void aVirtualHostListedTwiceIsWarnedOf() {
        LoadResult r = TestConfigs.parse(TABLE + SERVICE.replace(" table web\n",
                " virtual host 192.0.2.1 port 80\n virtual host 192.0.2.1 udp port 80\n table web\n"));
        assertTrue(r.ok(), r.errors().toString());
        assertEquals(List.of("test.conf:6: service www: virtual host 192.0.2.1 port 80 is listed twice"),
                r.warnings().stream().map(Object::toString).toList());
    }

    /** Addresses a redirect can serve no client on pass with a warning (probe I of session 57). */
    @Test
    void aVirtualHostNoClientCanReachThroughARedirectIsWarnedOf() {
        for (String a : List.of("0.0.0.0", "224.0.0.5", "255.255.255.255")) {
            LoadResult r = TestConfigs.parse(TABLE + SERVICE.replace("192.0.2.1", a));
            assertTrue(r.ok(), r.errors().toString());
            assertEquals(1, r.warnings().size(), a + ": " + r.warnings());
            assertTrue(r.warnings().get(0).toString().endsWith(": no client's connection to it is redirected to a host"),
                    r.warnings().toString());
        }
        assertEquals(List.of(), TestConfigs.parse(TABLE + SERVICE).warnings());
    }

    /**
     * A loopback virtual host serves local clients when its hosts are local too; it is warned of
     * only for a host on another machine, and not without layer-3 rules (probe AC: the warning
     * said no connection was redirected, where local ones are).
     */
    @Test
    void aLoopbackVirtualHostIsWarnedOfOnlyForAHostElsewhere() {
        String service = SERVICE.replace("192.0.2.1", "127.0.0.2");
        assertEquals(List.of("test.conf:6: service www: virtual host 127.0.0.2 is a loopback address: only clients on"
                + " this machine reach it, and their connections to host 10.0.0.1 of table web keep a loopback source"
                + " and are dropped"), TestConfigs.parse(TABLE + service).warnings().stream().map(Object::toString).toList());
        assertEquals(List.of(), TestConfigs.parse(TABLE.replace("10.0.0.1", "127.0.0.9") + service).warnings());
        assertEquals(List.of(), TestConfigs.parse("l3 backend none\n" + TABLE + service).warnings());
    }

    @Test
    void virtualIpIsASynonymWithAWarning() {
        LoadResult r = TestConfigs.parse(TABLE + SERVICE.replace("virtual host", "virtual ip"));
        assertTrue(r.ok());
        assertEquals("test.conf:7: 'virtual ip' is obsolete, use 'virtual host'", r.warnings().get(0).toString());
    }

    @Test
    void dnsVirtualHostGivesAllAddresses() {
        Config c = ok(TABLE + "service www {\n virtual host www.example.org port 80 interface em0\n table web\n sticky-address\n tag T\n disable\n}\n");
        ServiceConfig s = c.services().get(0);
        assertEquals(2, s.virtualHosts().size());
        assertEquals("em0", s.virtualHosts().get(1).iface());
        assertTrue(s.stickyAddress() && s.disabled());
        assertEquals("T", s.tag());
        roundTrip(c);
    }

    @Test
    void killStatesIsAServiceOption() {
        Config c = ok(TABLE + SERVICE.replace("table web", "table web\n kill states")
                + "table kill {\n real port 81\n check tcp\n host 10.0.0.2\n}\n"
                + "service states {\n virtual host 192.0.2.2 port 81\n table kill\n}\n");
        assertTrue(c.services().get(0).killStates());
        assertFalse(c.services().get(1).killStates(), "its words are not reserved: a table and a service of those names");
        assertTrue(ConfigPrinter.print(c).contains("\tkill states\n"));
        roundTrip(c);
    }

    @Test
    void relaysAndTargets() {
        Config c = ok(TABLE + SERVICE
                + "relay a {\n listen on 127.0.0.1 port 8443 ssl\n forward to db.example.org port 5432 retry 2\n timeout 30\n disable\n}\n"
                + "relay b {\n listen on ::1 port 81\n service www retry 1\n}\n"
                + "relay c {\n listen on 127.0.0.1 port 82\n table web roundrobin no check\n nat lookup retry 4\n}\n"
                + "relay d {\n listen on 127.0.0.1 port 83\n nat lookup\n}\n");
        RelayConfig a = c.relay("a").orElseThrow();
        assertTrue(a.listen().ssl());
        assertEquals(new ForwardTarget(a.listen().address() == null ? null : ((ForwardTarget) a.target()).address(),
                "db.example.org", 5432, 2), a.target());
        assertEquals(30, a.timeoutSec());
        assertEquals(new ServiceTarget("www", 1), c.relay("b").orElseThrow().target());
        RelayConfig rc = c.relay("c").orElseThrow();
        assertEquals(new TableTarget("web", 80, Mode.ROUNDROBIN, true), rc.target());
        assertTrue(rc.natLookup());
        assertEquals(4, rc.natLookupRetry());
        assertNull(c.relay("d").orElseThrow().target());
        assertEquals("default", c.relay("d").orElseThrow().protocol());
        assertEquals(5, c.globals().prefork());
        roundTrip(c);
    }

    /**
     * The listen queue is 4096 unless a protocol asks for another; the configuration says so, and
     * -nv prints it, instead of the original's default of 10 that no listener gets.
     */
    @Test
    void aBacklogUpToTheOriginalsDefaultIsTheListenQueueOf4096() {
        Config c = ok(TABLE + SERVICE + "protocol p {\n tcp backlog 5\n}\nprotocol q {\n tcp nodelay\n}\n"
                + "protocol b {\n tcp backlog 1024\n}\n"
                + "relay r {\n listen on 127.0.0.1 port 80\n protocol p\n table web\n}\n"
                + "relay s {\n listen on 127.0.0.1 port 81\n protocol q\n table web\n}\n"
                + "relay t {\n listen on 127.0.0.1 port 82\n protocol b\n table web\n}\n");
        assertEquals(4096, c.protocol("p").orElseThrow().tcp().backlog());
        assertEquals(4096, c.protocol("q").orElseThrow().tcp().backlog());
        assertEquals(1024, c.protocol("b").orElseThrow().tcp().backlog());
        assertEquals(4096, TcpOptions.defaults().backlog());
        String printed = ConfigPrinter.print(c);
        assertTrue(printed.contains("tcp { backlog 4096, nodelay }"), printed);
        assertFalse(printed.matches("(?s).*backlog (5|10)[ ,}].*"), printed);
        roundTrip(c);
    }

    /**
     * {@code session cache 0} keeps the cache at the TLS library's default size, as in the
     * original, which set OpenSSL's size to 0 (no bound) and turned the cache off only for
     * {@code disable}. It read as {@code disable}: a file written for the original lost TLS
     * resumption (tickets too) without a word, and every reconnect cost a full handshake.
     */
    @Test
    void sessionCacheZeroIsTheDefaultSizeNotDisable() {
        Config c = ok(TABLE + SERVICE + "protocol p {\n ssl { session cache 0 }\n}\n"
                + "protocol q {\n ssl { session cache disable }\n}\n"
                + "protocol r {\n ssl { session cache 1000 }\n}\n"
                + "relay t {\n listen on 127.0.0.1 port 443 ssl\n protocol p\n table web\n}\n"
                + "relay u {\n listen on 127.0.0.2 port 443 ssl\n protocol q\n table web\n}\n"
                + "relay v {\n listen on 127.0.0.3 port 443 ssl\n protocol r\n table web\n}\n");
        assertEquals(SslOptions.CACHE_DEFAULT, c.protocol("p").orElseThrow().ssl().sessionCache());
        assertEquals(SslOptions.CACHE_DISABLED, c.protocol("q").orElseThrow().ssl().sessionCache());
        assertEquals(1000, c.protocol("r").orElseThrow().ssl().sessionCache());
        roundTrip(c);
    }

    @Test
    void protocolDirectives() {
        Config c = ok(TABLE + SERVICE + "protocol p {\n protocol http\n"
                + " tcp { nodelay, no sack, socket buffer 65536, backlog 128\n ip ttl 9, ip minttl 3 }\n"
                + " ssl { sslv2, ciphers \"MEDIUM:HIGH\", session cache disable }\n"
                + " return error style \"body { color: red }\"\n"
                + " header append \"$REMOTE_ADDR\" to \"X-Forwarded-For\"\n"
                + " label \"bad agent\"\n"
                + " request header expect \"Mozilla*\" from \"User-Agent\" mark log\n"
                + " response cookie change \"a\" to \"b\" marked\n no label\n"
                + " url hash \"sessid\"\n query remove \"x\"\n path filter \"*cmd=*\" from \"/cgi\"\n"
                + " log \"Host\"\n}\n"
                + "protocol q {\n protocol dns\n tcp sack\n ssl no sslv3\n}\n"
                + "relay r {\n listen on 127.0.0.1 port 80\n protocol p\n table web\n}\n"
                + "relay s {\n listen on 127.0.0.1 port 53\n protocol q\n forward to 10.0.0.53 port domain\n}\n");
        ProtocolConfig p = c.protocol("p").orElseThrow();
        assertEquals(ProtocolType.HTTP, p.type());
        assertEquals(new TcpOptions(128, true, false, 65536, 9, 3), p.tcp());
        assertEquals(new SslOptions("MEDIUM:HIGH", SslOptions.CACHE_DISABLED, true), p.ssl());
        assertTrue(p.returnError());
        assertEquals("body { color: red }", p.errorStyle());
        assertEquals(7, p.nodes().size());
        assertEquals(new ProtocolNode(Direction.REQUEST, NodeType.HEADER, Action.APPEND, "X-Forwarded-For",
                "$REMOTE_ADDR", false, false, false), p.nodes().get(0));
        assertEquals(new ProtocolNode(Direction.REQUEST, NodeType.HEADER, Action.EXPECT, "User-Agent",
                "Mozilla*", true, false, true, "bad agent"), p.nodes().get(1));
        assertEquals(new ProtocolNode(Direction.RESPONSE, NodeType.COOKIE, Action.CHANGE, "a", "b", false, true,
                false, "bad agent"), p.nodes().get(2));
        assertEquals(NodeType.QUERY, p.nodes().get(3).type());
        assertTrue(p.nodes().get(6).log());
        assertEquals(ProtocolType.DNS, c.protocol("q").orElseThrow().type());
        LoadResult r = TestConfigs.parse(ConfigPrinter.print(c));
        assertTrue(r.ok(), () -> r.errors().toString());
        roundTrip(c);
    }

    @Test
    void sslv2IsIgnoredWithAWarning() {
        LoadResult r = TestConfigs.parse(TABLE + SERVICE + "protocol p {\n ssl sslv2\n}\n"
                + "relay r {\n listen on 127.0.0.1 port 80\n protocol p\n table web\n}\n");
        assertTrue(r.ok());
        assertEquals("test.conf:11: sslv2 is obsolete and ignored", r.warnings().get(0).toString());
    }

    @Test
    void editsOfFramingFieldsAreIgnoredWithAWarning() {
        LoadResult r = TestConfigs.parse(TABLE + SERVICE + "protocol p {\n protocol http\n"
                + " request header remove \"Content-Length\"\n response header change \"transfer-encoding\" to \"x\"\n"
                + " request header filter \"*\" from \"Content-Length\"\n}\n"
                + "relay r {\n listen on 127.0.0.1 port 80\n protocol p\n table web\n}\n");
        assertTrue(r.ok(), () -> r.errors().toString());
        assertEquals("[test.conf:12: remove on Content-Length is ignored: the relay frames messages by it, "
                + "test.conf:13: change on transfer-encoding is ignored: the relay frames messages by it]",
                r.warnings().toString());
    }

    /**
     * What an action writes into a hop-by-hop field goes out as written, without the relay
     * acting on it (an Upgrade it wrote opens no tunnel), and a request without Host is
     * refused by servers: -n warns of both (probe I). A Connection close is acted on, and a
     * Host changed, filtered or removed from responses is fine.
     */
    @Test
    void writesOfHopByHopFieldsAndARemovedHostAreWarnedOf() {
        LoadResult r = TestConfigs.parse(TABLE + SERVICE + "protocol p {\n protocol http\n"
                + " request header change \"Keep-Alive\" to \"timeout=1\"\n request header append \"h2c\" to \"upgrade\"\n"
                + " request header remove \"Host\"\n request header change \"Connection\" to \"close\"\n"
                + " request header change \"Host\" to \"a\"\n response header remove \"Host\"\n"
                + " request header remove \"TE\"\n request header append \"upgrade\" to \"Connection\"\n}\n"
                + "relay r {\n listen on 127.0.0.1 port 80\n protocol p\n table web\n}\n");
        assertTrue(r.ok(), () -> r.errors().toString());
        assertEquals("[test.conf:12: change on Keep-Alive: a hop-by-hop field, sent as written; the relay does not act "
                + "on it, test.conf:13: append on upgrade: a hop-by-hop field, sent as written; the relay does not act "
                + "on it, test.conf:14: remove on Host: servers refuse an HTTP/1.1 request without Host (400), "
                + "test.conf:19: append on Connection: an option other than close and keep-alive, sent as written; "
                + "the relay does not act on it]", r.warnings().toString());
    }

    /**
     * An append to a request's Host makes a list, and a change to a literal that is no host
     * and port an invalid field: servers answer 400, and -n said nothing (probe Y).
     */
    @Test
    void writesOfAnInvalidHostAreWarnedOf() {
        LoadResult r = TestConfigs.parse(TABLE + SERVICE + "protocol p {\n protocol http\n"
                + " request header append \"evil.example\" to \"Host\"\n request header change \"Host\" to \"a b\"\n"
                + " request header change \"host\" to \"[::1]:8080\"\n request header change \"Host\" to \"a.example:80\"\n"
                + " request header change \"Host\" to \"$SERVER_ADDR\"\n response header append \"x\" to \"Host\"\n"
                + " request header change \"Host\" to \"example.com:99999\"\n}\n"
                + "relay r {\n listen on 127.0.0.1 port 80\n protocol p\n table web\n}\n");
        assertTrue(r.ok(), () -> r.errors().toString());
        assertEquals("[test.conf:12: append on Host: a request's Host becomes a list, which servers refuse (400), "
                + "test.conf:13: change on Host: \"a b\" is not a host name or address with an optional port; servers "
                + "refuse it (400), test.conf:18: change on Host: \"example.com:99999\" is not a host name or address"
                + " with an optional port; servers refuse it (400)]", r.warnings().toString());
    }

    /**
     * A relay is checked for loops only in a file without other errors: a table whose port
     * was out of range made "relay r loops" follow, for a loop that did not exist (probe H).
     */
    @Test
    void noLoopIsReportedAfterAnotherError() {
        LoadResult r = TestConfigs.parse("table t {\n real port 65536\n check tcp\n host 127.0.0.1\n}\n"
                + "relay r {\n listen on 127.0.0.1 port 8080\n table t\n}\n");
        assertEquals("[test.conf:2: port 65536 is out of range (1-65535)]", r.errors().toString());
    }

    /**
     * Actions run in the order written, and a mark is its message's: a marked action with no
     * mark before it in its direction never applies, and -n says so (probe Q). A request mark
     * does not mark the response.
     */
    @Test
    void aMarkedActionWithNoMarkBeforeItIsWarnedOf() {
        LoadResult r = TestConfigs.parse(TABLE + SERVICE + "protocol p {\n protocol http\n"
                + " header change \"X-Before\" to \"yes\" marked\n"
                + " header expect \"k*\" from \"X-Key\" mark\n"
                + " header change \"X-After\" to \"yes\" marked\n"
                + " response header remove \"Server\" marked\n"
                + " response header filter \"*\" from \"X-Debug\" mark\n"
                + " response header remove \"X-Powered-By\" marked\n}\n"
                + "relay r {\n listen on 127.0.0.1 port 80\n protocol p\n table web\n}\n");
        assertTrue(r.ok(), () -> r.errors().toString());
        assertEquals("[test.conf:12: change on X-Before marked never applies: no expect or filter with mark comes before"
                + " it in the request actions, test.conf:15: remove on Server marked never applies: no expect or filter"
                + " with mark comes before it in the response actions]", r.warnings().toString());
    }

    /**
     * Actions apply in order: a hash after a change of its key feeds every request the value
     * the change wrote, and all go to one host; -n says so (probe X). Not for a hash before the
     * change, of another key, or after a change to a per-session value.
     */
    @Test
    void aHashAfterAChangeOfItsKeyIsWarnedOf() {
        LoadResult r = TestConfigs.parse(TABLE + SERVICE + "protocol p {\n protocol http\n"
                + " cookie hash \"first\"\n"
                + " cookie change \"first\" to \"x\"\n"
                + " cookie change \"sid\" to \"anonymous\"\n"
                + " cookie hash \"SID\"\n"
                + " header change \"X-Client\" to \"$REMOTE_ADDR\"\n"
                + " header hash \"X-Client\"\n"
                + " query hash \"sid\"\n}\n"
                + "relay r {\n listen on 127.0.0.1 port 80\n protocol p\n table web\n}\n");
        assertTrue(r.ok(), () -> r.errors().toString());
        assertEquals("[test.conf:15: hash on SID after a change of it: every request feeds the value the change wrote,"
                + " and all go to one host; write the hash first to feed what clients sent]", r.warnings().toString());
    }

    /** Review CJ: a hash table whose protocol feeds no value sends every session to one host. */
    @Test
    void aHashTableWithoutAHashActionIsWarnedOf() {
        LoadResult r = TestConfigs.parse(TABLE + SERVICE + "protocol p {\n protocol http\n header log \"Host\"\n}\n"
                + "protocol q {\n protocol http\n cookie hash \"sid\"\n}\n"
                + "relay a {\n listen on 127.0.0.1 port 80\n protocol p\n table web hash\n}\n"
                + "relay b {\n listen on 127.0.0.1 port 81\n protocol q\n table web hash\n}\n"
                + "relay c {\n listen on 127.0.0.1 port 82\n table web hash\n}\n"
                + "relay d {\n listen on 127.0.0.1 port 83\n table web\n}\n");
        assertTrue(r.ok(), () -> r.errors().toString());
        assertEquals("[test.conf:21: relay a: table web hash, but protocol p has no request hash action: every session"
                + " goes to one host (loadbalance also hashes the client's address), test.conf:30: relay c: table web"
                + " hash, but protocol default has no request hash action: every session goes to one host (loadbalance"
                + " also hashes the client's address)]", r.warnings().toString());
    }

    /**
     * relayd's lexer kept a backslash before other characters than the quote, so "v1\\*" was a
     * literal '*' in its patterns; here the backslash stands for the '*', a wildcard, and -n
     * says so (once per string). A path key that does not begin with '/' (or a wildcard) never
     * matches a path: -n says so too (probe X).
     */
    @Test
    void aBackslashBeforeAWildcardAndAPathKeyWithoutASlashAreWarnedOf() {
        LoadResult r = TestConfigs.parse(TABLE + SERVICE + "protocol p {\n protocol http\n"
                + " header expect \"v1\\*\\?\" from \"X-Ver\"\n"
                + " header expect \"v1\\\\*\" from \"X-Old\"\n"
                + " path append \"/api*\" to \"version=2\"\n"
                + " path filter \"*\" from \"*admin*\"\n}\n"
                + "relay r {\n listen on 127.0.0.1 port 80\n protocol p\n table web\n}\n");
        assertTrue(r.ok(), () -> r.errors().toString());
        assertEquals("[test.conf:12: a backslash before '*' in a quoted string stands for '*', a wildcard in a pattern;"
                + " write \\\\* for a literal '*' (relayd kept the backslash),"
                + " test.conf:14: path append on \"version=2\" never applies: paths begin with '/']", r.warnings().toString());
    }

    /**
     * A header action on a name with '_' does not see the client's '-' spelling, which CGI
     * reads as the same variable: -n says so (probe Q). Matching it was tried and not kept:
     * an action on Content_Length took the request's real Content-Length away (probe V).
     */
    @Test
    void aHeaderNameWithAnUnderscoreIsWarnedOf() {
        LoadResult r = TestConfigs.parse(TABLE + SERVICE + "protocol p {\n protocol http\n"
                + " header filter \"*\" from \"X_Debug\"\n header remove \"X-Other\"\n}\n"
                + "relay r {\n listen on 127.0.0.1 port 80\n protocol p\n table web\n}\n");
        assertTrue(r.ok(), () -> r.errors().toString());
        assertEquals("[test.conf:12: filter on X_Debug: a header name with '_'; the action does not see the client's"
                + " X-Debug, which servers that pass headers on as variables (CGI, PHP, WSGI) read as the same one]",
                r.warnings().toString());
    }

    /** The host is chosen by the request: a response's hash feeds nothing, -n says so. */
    @Test
    void aResponseHashIsIgnoredWithAWarning() {
        LoadResult r = TestConfigs.parse(TABLE + SERVICE + "protocol p {\n protocol http\n"
                + " response header hash \"X-Backend\"\n request header hash \"X-User\"\n}\n"
                + "relay r {\n listen on 127.0.0.1 port 80\n protocol p\n table web hash\n}\n");
        assertTrue(r.ok(), () -> r.errors().toString());
        assertEquals("[test.conf:12: response header hash has no effect: the request chooses the host]",
                r.warnings().toString());
    }

    /**
     * Text that reads like something it is not is warned of: glob characters in a key that
     * names one field, variable or cookie, and a macro where none is replaced (a pattern, a
     * key). A path key is a pattern, a macro in a change value is replaced, a PHP array
     * cookie name is a name: no warning for those.
     */
    @Test
    void literalKeysAndMacrosInPatternsAreWarnedOf() {
        LoadResult r = TestConfigs.parse(TABLE + SERVICE + "protocol p {\n protocol http\n"
                + " header remove \"X-Debug-*\"\n query filter \"*\" from \"id?\"\n"
                + " header filter \"$REMOTE_ADDR\" from \"X-Client\"\n header log \"X-$SERVER_PORT\"\n"
                + " path filter \"*\" from \"/admin*\"\n header change \"X-Port\" to \"$SERVER_PORT\"\n"
                + " cookie remove \"user[id]\"\n}\n"
                + "relay r {\n listen on 127.0.0.1 port 80\n protocol p\n table web\n}\n");
        assertTrue(r.ok(), () -> r.errors().toString());
        assertEquals("[test.conf:12: header key X-Debug-* is a name, not a pattern: it matches only a field of that"
                + " very name, test.conf:13: query key id? is a name, not a pattern: it matches only a variable of"
                + " that very name, test.conf:14: $REMOTE_ADDR in a pattern is not replaced: macros are replaced"
                + " only in the values of append and change, test.conf:15: $SERVER_PORT in a key is not replaced:"
                + " macros are replaced only in the values of append and change]",
                r.warnings().toString());
    }

    /**
     * HTTP actions in a protocol that is not http do nothing: the relay passes every byte, so
     * a filter the operator relies on would let everything through. -n says so at the first
     * one, whether {@code protocol} comes before or after it.
     */
    @Test
    void httpActionsOfAProtocolThatIsNotHttpAreWarnedOf() {
        LoadResult r = TestConfigs.parse(TABLE + SERVICE + "protocol p {\n header filter \"*\" from \"X-A\"\n"
                + " response header remove \"Server\"\n}\n"
                + "protocol d {\n return error\n protocol dns\n}\n"
                + "protocol h {\n header filter \"*\" from \"X-A\"\n protocol http\n}\n"
                + "relay r {\n listen on 127.0.0.1 port 80\n protocol p\n table web\n}\n"
                + "relay s {\n listen on 127.0.0.1 port 81\n protocol h\n table web\n}\n"
                + "relay u {\n listen on 127.0.0.1 port 53\n protocol d\n table web\n}\n");
        assertTrue(r.ok(), () -> r.errors().toString());
        assertEquals("[test.conf:11: protocol p is tcp, not http: its header filter and the other HTTP actions have"
                + " no effect (add 'protocol http'), test.conf:15: protocol d is dns, not http: its return error and the"
                + " other HTTP actions have no effect (add 'protocol http')]",
                r.warnings().toString());
    }

    /** A response has no query, cookie or path of its own: the relay ignores such nodes, -n says so. */
    @Test
    void responseNodesOnOtherThanHeadersAreIgnoredWithAWarning() {
        LoadResult r = TestConfigs.parse(TABLE + SERVICE + "protocol p {\n protocol http\n"
                + " response cookie remove \"tracking\"\n response query log \"q\"\n response path hash \"/*\"\n"
                + " response header remove \"Server\"\n}\n"
                + "relay r {\n listen on 127.0.0.1 port 80\n protocol p\n table web\n}\n");
        assertTrue(r.ok(), () -> r.errors().toString());
        assertEquals("[test.conf:12: response cookie remove has no effect: a response has no cookie of its own, "
                + "test.conf:13: response query log has no effect: a response has no query of its own, "
                + "test.conf:14: response path hash has no effect: a response has no path of its own]",
                r.warnings().toString());
    }

    @Test
    void macrosExpandOutsideQuotesAndCommandLineWins() {
        String text = "addr = \"10.0.0.7\"\nport_ = 8080\n"
                + "table web {\n real port $port_\n check http \"/$addr\" code 200\n host $addr\n}\n" + SERVICE;
        Config c = ok(text);
        TableConfig t = c.table("web").orElseThrow();
        assertEquals(8080, t.port());
        assertEquals("/$addr", t.check().path(), "no expansion inside quotes");
        assertEquals("10.0.0.7", t.hosts().get(0).name());
        LoadResult d = ConfigLoader.parse(text, "test.conf", Map.of("addr", "10.9.9.9"), TestConfigs.resolver());
        assertEquals("10.9.9.9", d.config().table("web").orElseThrow().hosts().get(0).name());
    }

    /**
     * Macros defined and never expanded are listed for {@code -v} (SPEC 1.1, as relayd's -v):
     * the file's where they were defined, then the command line's; one only a quoted string
     * names is unused too, since quotes do not expand.
     */
    @Test
    void unusedMacrosAreListedForVerbose() {
        String text = "addr = \"10.0.0.7\"\nspare = 1\nquoted = 2\nport_ = 8080\n"
                + "table web {\n real port $port_\n check http \"/$quoted\" code 200\n host $addr\n}\n" + SERVICE;
        LoadResult r = ConfigLoader.parse(text, "test.conf", Map.of("port_", "81", "extra", "x"),
                TestConfigs.resolver());
        assertEquals(List.of("test.conf:2: macro 'spare' not used", "test.conf:3: macro 'quoted' not used",
                "-D: macro 'extra' not used"), r.verboseWarnings().stream().map(Object::toString).toList());
        assertEquals(List.of(), r.warnings(), "not shown without -v");
    }

    @Test
    void blocksOnOneLineAndContinuations() {
        Config c = ok("table web { real port 80\n check \\\n tcp\n host 10.0.0.1 }\n# comment\n" + SERVICE);
        assertEquals(CheckType.TCP, c.table("web").orElseThrow().check().type());
    }

    @Test
    void everyErrorIsReportedAndParsingContinues() {
        LoadResult r = TestConfigs.parse("interval x\n" + TABLE.replace("check tcp", "check tcp bogus")
                + "frob\n" + SERVICE + "timeout y\n");
        assertEquals(List.of("test.conf:1: invalid interval: x",
                "test.conf:4: syntax error: expected end of line, got 'bogus'",
                "test.conf:7: syntax error: unknown statement 'frob'",
                "test.conf:12: invalid timeout: y"), r.errors().stream().map(Object::toString).toList());
    }

    @Test
    void dnsRelaysRefuseSslAndNatLookup() {
        LoadResult r = TestConfigs.parse("protocol d {\n protocol dns\n}\n"
                + "relay a {\n listen on 127.0.0.1 port 53 ssl\n protocol d\n forward to 127.0.0.2 port 53\n}\n"
                + "relay b {\n listen on 127.0.0.1 port 54\n protocol d\n nat lookup\n}\n");
        assertEquals(List.of("test.conf:4: relay a: ssl is not supported with protocol dns",
                "test.conf:9: relay b: nat lookup does not apply to protocol dns"),
                r.errors().stream().map(Object::toString).toList());
    }

    /**
     * A cipher list is checked as the relay engine will apply it: words it does not know are
     * a warning, a list that leaves no TLS 1.2 suite an error (the engine would refuse it).
     */
    @Test
    void cipherListsAreCheckedWhenLoaded() {
        String relay = "relay r {\n listen on 127.0.0.1 port 443 ssl\n protocol p\n forward to 10.0.0.1 port 80\n}\n";
        LoadResult r = TestConfigs.parse("protocol p {\n ssl { ciphers \"HIGH:!KRB5\" }\n}\n" + relay);
        assertTrue(r.ok(), () -> r.errors().toString());
        assertEquals(List.of("test.conf:2: ciphers: !KRB5 not known here, skipped"),
                r.warnings().stream().map(Object::toString).toList());
        for (String bad : new String[] {"FOO:BAR", "!ALL"}) {
            LoadResult e = TestConfigs.parse("protocol p {\n ssl { ciphers \"" + bad + "\" }\n}\n" + relay);
            assertEquals(List.of("test.conf:2: ciphers \"" + bad + "\" leave no TLS 1.2 cipher suite"),
                    e.errors().stream().map(Object::toString).toList());
        }
    }

    /**
     * A command OpenSSL does not have makes it refuse the whole list, where an unknown cipher
     * word is skipped: an error here too, not a list taken without it (it was, in silence).
     */
    @Test
    void anUnknownCipherListCommandIsAnError() {
        String relay = "relay r {\n listen on 127.0.0.1 port 443 ssl\n protocol p\n forward to 10.0.0.1 port 80\n}\n";
        for (String bad : new String[] {"@@@", "@SECLEVEL=6", "@SECLEVEL", "@STRENGTHX"}) {
            LoadResult e = TestConfigs.parse("protocol p {\n ssl { ciphers \"HIGH:!ADH:" + bad + "\" }\n}\n" + relay);
            assertEquals(List.of("test.conf:2: ciphers: " + bad + " is not a cipher list command (@STRENGTH, @SECLEVEL=0 to 5)"),
                    e.errors().stream().map(Object::toString).toList());
        }
        for (String good : new String[] {"HIGH:!ADH:@STRENGTH", "HIGH:@SECLEVEL=0:!ADH"}) {
            LoadResult r = TestConfigs.parse("protocol p {\n ssl { ciphers \"" + good + "\" }\n}\n" + relay);
            assertTrue(r.ok() && r.warnings().isEmpty(), () -> good + ": " + r.errors() + r.warnings());
        }
    }

    /**
     * Neither BoringSSL nor the Java runtime has OpenSSL's security levels: a level above 0 is
     * accepted and warned of, since a key it would refuse is served (probe AA). A TLS 1.3 suite
     * in the list is a valid name the list cannot choose, said so, not "not known here".
     */
    @Test
    void aSecurityLevelAndTls13SuitesInACipherListAreWarnedOf() {
        String relay = "relay r {\n listen on 127.0.0.1 port 443 ssl\n protocol p\n forward to 10.0.0.1 port 80\n}\n";
        LoadResult r = TestConfigs.parse("protocol p {\n ssl { ciphers \"HIGH:!ADH:TLS_AES_128_GCM_SHA256:@SECLEVEL=3\" }"
                + "\n}\n" + relay);
        assertTrue(r.ok(), () -> r.errors().toString());
        assertEquals(List.of("test.conf:2: ciphers: TLS_AES_128_GCM_SHA256 is a TLS 1.3 suite, which the list does not"
                + " choose: TLS 1.3's suites are always offered", "test.conf:2: ciphers: @SECLEVEL=3 is not enforced here"
                + " (neither BoringSSL nor the Java runtime has security levels): key sizes and suites are not checked"
                + " against it"), r.warnings().stream().map(Object::toString).toList());
    }

    /**
     * ssl options of a protocol whose relays all listen without ssl: meant for TLS, the relays
     * serve in clear; -n says so (probe AA). Not when one of its relays listens with ssl.
     */
    @Test
    void sslOptionsOfAProtocolWithoutATlsRelayAreWarnedOf() {
        LoadResult r = TestConfigs.parse("protocol p {\n ssl { session cache 100 }\n}\n"
                + "protocol q {\n ssl { ciphers \"HIGH\" }\n}\n"
                + "relay a {\n listen on 127.0.0.1 port 80\n protocol p\n forward to 10.0.0.1 port 80\n}\n"
                + "relay b {\n listen on 127.0.0.1 port 81\n protocol q\n forward to 10.0.0.1 port 80\n}\n"
                + "relay c {\n listen on 127.0.0.1 port 443 ssl\n protocol q\n forward to 10.0.0.1 port 80\n}\n");
        assertTrue(r.ok(), () -> r.errors().toString());
        assertEquals(List.of("test.conf:2: protocol p: ssl options, but no relay that uses it listens with ssl (its"
                + " clients are served in clear)"), r.warnings().stream().map(Object::toString).toList());
    }

    @Test
    void twoRelaysCannotListenOnOneAddressAndPort() {
        LoadResult r = TestConfigs.parse("protocol d {\n protocol dns\n}\n"
                + "relay a {\n listen on 127.0.0.1 port 53\n forward to 127.0.0.2 port 53\n}\n"
                + "relay b {\n listen on 127.0.0.1 port 53 ssl\n forward to 127.0.0.2 port 53\n}\n"
                + "relay c {\n listen on 127.0.0.1 port 53\n protocol d\n forward to 127.0.0.2 port 53\n}\n"
                + "relay e {\n listen on 127.0.0.2 port 53\n forward to 127.0.0.3 port 53\n}\n");
        // c's UDP socket and a's TCP one do not clash.
        assertEquals(List.of("test.conf:8: relay b: 127.0.0.1 port 53 is the listener of relay a"),
                r.errors().stream().map(Object::toString).toList());
    }

    /**
     * Linux binds no TCP listener on a port where a wildcard one covers its address (or where
     * it would cover a listening one's), even with SO_REUSEADDR: such a file passed the check
     * and then failed to start with "Address already in use". UDP sockets may overlap.
     */
    @Test
    void aWildcardListenerAndOneOfItsAddressesCannotShareATcpPort() {
        String dns = "protocol d {\n protocol dns\n}\n";
        LoadResult r = TestConfigs.parse(dns
                + "relay a {\n listen on 0.0.0.0 port 8000\n forward to 192.0.2.9 port 80\n}\n"
                + "relay b {\n listen on 127.0.0.1 port 8000\n forward to 192.0.2.9 port 80\n}\n"
                + "relay c {\n listen on ::1 port 8000\n forward to 192.0.2.9 port 80\n}\n"
                + "relay d {\n listen on :: port 8001\n forward to 192.0.2.9 port 80\n}\n"
                + "relay e {\n listen on ::1 port 8001\n forward to 192.0.2.9 port 80\n}\n"
                + "relay f {\n listen on 0.0.0.0 port 8001\n forward to 192.0.2.9 port 80\n}\n"
                + "relay g {\n listen on 127.0.0.1 port 8002\n forward to 192.0.2.9 port 80\n}\n"
                + "relay h {\n listen on 127.0.0.3 port 8002\n forward to 192.0.2.9 port 80\n}\n"
                + "relay u1 {\n listen on 0.0.0.0 port 53\n protocol d\n forward to 192.0.2.9 port 53\n}\n"
                + "relay u2 {\n listen on 127.0.0.1 port 53\n protocol d\n forward to 192.0.2.9 port 53\n}\n"
                + "relay u3 {\n listen on :: port 53\n protocol d\n forward to 192.0.2.9 port 53\n}\n");
        // c: "0.0.0.0" holds IPv4 addresses only; g, h: two addresses; u1, u2: UDP, where
        // only two wildcards clash (u3: both bind, and 0.0.0.0 took every query, probe D).
        String why = ": a wildcard address and another of its addresses cannot both listen on one port";
        assertEquals(List.of(
                "test.conf:8: relay b: 127.0.0.1 port 8000 overlaps the listener of relay a on 0.0.0.0 port 8000" + why,
                "test.conf:20: relay e: ::1 port 8001 overlaps the listener of relay d on :: port 8001" + why,
                "test.conf:24: relay f: 0.0.0.0 port 8001 overlaps the listener of relay d on :: port 8001" + why,
                "test.conf:46: relay u3: :: port 53 overlaps the listener of relay u1 on 0.0.0.0 port 53: the IPv4"
                        + " wildcard would take every query, and the other relay none"),
                r.errors().stream().map(Object::toString).filter(e -> e.contains("overlaps")).toList());
        assertEquals(4, r.errors().size(), r.errors().toString());
    }

    /** Diagnostics write an IPv6 address as the file does (2001:db8::5), not as 2001:db8:0:0:0:0:0:5. */
    @Test
    void diagnosticsNameIpv6AddressesInTheirShortForm() {
        LoadResult r = TestConfigs.parse(
                "relay a {\n listen on 2001:db8::5 port 8000\n forward to 192.0.2.9 port 80\n}\n"
                + "relay b {\n listen on 2001:db8:0::5 port 8000\n forward to 192.0.2.9 port 80\n}\n");
        assertEquals(List.of("test.conf:5: relay b: 2001:db8::5 port 8000 is the listener of relay a"),
                r.errors().stream().map(Object::toString).toList());
        LoadResult loop = TestConfigs.parse("relay c {\n listen on ::1 port 8001\n forward to 0::1 port 8001\n}\n");
        assertEquals(List.of("test.conf:1: relay c loops: c connects to ::1 port 8001 (its own listener), so each"
                + " connection would open another"), loop.errors().stream().map(Object::toString).toList());
    }

    @Test
    void relaysWhoseConnectionsComeBackToThemAreRefused() {
        String dns = "protocol d {\n protocol dns\n}\n";
        String table = "table t {\n real port 8082\n check tcp\n host 10.0.0.1\n host 127.0.0.1\n}\n";
        LoadResult r = TestConfigs.parse(dns + table
                + "relay self {\n listen on 127.0.0.1 port 8080\n forward to 127.0.0.1 port 8080\n}\n"
                + "relay any {\n listen on 0.0.0.0 port 8081\n forward to 127.0.0.9 port 8081\n}\n"
                + "relay a {\n listen on 127.0.0.1 port 8082\n forward to 127.0.0.1 port 8083\n}\n"
                + "relay b {\n listen on 127.0.0.1 port 8083\n table t\n}\n"
                + "relay udp {\n listen on 127.0.0.1 port 53\n protocol d\n forward to 127.0.0.1 port 53\n}\n");
        assertEquals(List.of(
                "test.conf:10: relay self loops: self connects to 127.0.0.1 port 8080 (its own listener),"
                        + " so each connection would open another",
                "test.conf:14: relay any loops: any connects to 127.0.0.9 port 8081 (its own listener),"
                        + " so each connection would open another",
                "test.conf:18: relays a, b loop: a connects to 127.0.0.1 port 8083 (relay b), b connects to"
                        + " 127.0.0.1 port 8082 (relay a), so each connection would open another",
                "test.conf:26: relay udp loops: udp connects to 127.0.0.1 port 53 (its own listener),"
                        + " so each connection would open another"),
                r.errors().stream().map(Object::toString).toList());

        // A chain that ends, a relay to another transport's listener, a disabled relay, and a
        // wildcard listener forwarding to another machine on its port: no loop.
        LoadResult ok = TestConfigs.parse(dns
                + "relay tls {\n listen on 127.0.0.1 port 443 ssl\n forward to 127.0.0.1 port 80\n}\n"
                + "relay http {\n listen on 127.0.0.1 port 80\n forward to 127.0.0.1 port 53\n}\n"
                + "relay udp {\n listen on 127.0.0.1 port 53\n protocol d\n forward to 10.0.0.53 port 53\n}\n"
                + "relay off {\n listen on 127.0.0.1 port 81\n forward to 127.0.0.1 port 81\n disable\n}\n"
                + "relay out {\n listen on 0.0.0.0 port 8085\n forward to 192.0.2.1 port 8085\n}\n");
        assertEquals(List.of(), ok.errors().stream().map(Object::toString).toList());
    }

    /**
     * A relay on 0.0.0.0 listens on IPv4 alone: its connection to an IPv6 address of this
     * machine does not come back to it (refused as a loop, probe E). One on :: takes both.
     */
    @Test
    void onlyADualStackWildcardTakesBothFamilies() {
        LoadResult ok = TestConfigs.parse("relay a {\n listen on 0.0.0.0 port 8000\n forward to ::1 port 8000\n}\n");
        assertEquals(List.of(), ok.errors().stream().map(Object::toString).toList());
        LoadResult loops = TestConfigs.parse("relay c {\n listen on :: port 8002\n forward to 127.0.0.1 port 8002\n}\n");
        assertEquals(List.of("test.conf:1: relay c loops: c connects to 127.0.0.1 port 8002 (its own listener),"
                + " so each connection would open another"), loops.errors().stream().map(Object::toString).toList());
    }

    /**
     * A table the file disables loops all the same: hoststatectl table enable brings it back,
     * and one client then became 9,882 sessions in 2 s (probe D).
     */
    @Test
    void aLoopThroughADisabledTableIsRefused() {
        LoadResult r = TestConfigs.parse("table t {\n real port 9001\n check tcp\n host 127.0.0.1\n disable\n}\n"
                + "relay a {\n listen on 127.0.0.1 port 9001\n table t\n}\n");
        assertEquals(List.of("test.conf:7: relay a loops: a connects to 127.0.0.1 port 9001 (its own listener),"
                + " so each connection would open another"), r.errors().stream().map(Object::toString).toList());
    }

    /** A setting given twice in a block is warned of: the last one counts (probe D). */
    @Test
    void aSettingGivenTwiceIsWarnedOf() {
        LoadResult r = TestConfigs.parse("protocol web {\n protocol http\n protocol tcp\n"
                + " tcp { nodelay, no nodelay, backlog 100 }\n ssl { session cache 10, session cache disable }\n}\n"
                + "relay a {\n listen on 127.0.0.1 port 8000 ssl\n protocol web\n timeout 30\n timeout 3000\n"
                + " forward to 192.0.2.9 port 80\n}\n");
        assertTrue(r.ok(), r.errors().toString());
        assertEquals(List.of("test.conf:3: protocol type given again (first at test.conf:2); this one counts",
                "test.conf:4: tcp nodelay given again (first at test.conf:4); this one counts",
                "test.conf:5: ssl session cache given again (first at test.conf:5); this one counts",
                "test.conf:11: timeout given again (first at test.conf:10); this one counts"),
                r.warnings().stream().map(Object::toString).toList());
    }

    /**
     * A byte that is not UTF-8 is an error on its line: it was read as U+FFFD in silence, and
     * servers got other bytes than the file held (probe D).
     */
    @Test
    void aByteThatIsNotUtf8IsAnErrorOnItsLine(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("latin1.conf");
        Files.write(file, ("protocol p {\n header change \"X-A\" to \"caf\u00e9\"\n}\n" + SERVICE)
                .getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
        LoadResult r = ConfigLoader.load(file, Map.of(), TestConfigs.resolver());
        assertEquals(List.of(file + ":2: bytes that are not UTF-8 (the file must be UTF-8 text)"),
                r.errors().stream().map(Object::toString).toList());
    }

    @Test
    void includeReportsTheIncludedFile(@TempDir Path dir) throws IOException {
        Path inc = dir.resolve("included.conf");
        Files.copy(Path.of("src/test/resources/config/included.conf"), inc);
        Path main = dir.resolve("main.conf");
        Files.writeString(main, "include \"included.conf\"\n" + SERVICE.replace("web", "inc"));
        LoadResult r = ConfigLoader.load(main, Map.of(), TestConfigs.resolver());
        assertEquals(List.of(inc + ":5: syntax error: expected table option, got 'bogus'"),
                r.errors().stream().map(Object::toString).toList());
    }

    @Test
    void includeInsideABlock(@TempDir Path dir) throws IOException {
        Files.copy(Path.of("src/test/resources/config/hosts.inc"), dir.resolve("hosts.inc"));
        Path main = dir.resolve("main.conf");
        Files.writeString(main, "table web {\n real port 80\n check icmp\n include \"hosts.inc\"\n}\n" + SERVICE);
        LoadResult r = ConfigLoader.load(main, Map.of(), TestConfigs.resolver());
        assertTrue(r.ok(), () -> r.errors().toString());
        assertEquals(2, r.config().table("web").orElseThrow().hosts().size());
        assertEquals(3, r.config().table("web").orElseThrow().hosts().get(1).retry());
    }

    @Test
    void includeLoopIsAnError(@TempDir Path dir) throws IOException {
        Files.copy(Path.of("src/test/resources/config/loop-a.conf"), dir.resolve("loop-a.conf"));
        Files.copy(Path.of("src/test/resources/config/loop-b.conf"), dir.resolve("loop-b.conf"));
        LoadResult r = ConfigLoader.load(dir.resolve("loop-a.conf"), Map.of(), TestConfigs.resolver());
        assertTrue(r.errors().stream().anyMatch(d -> d.toString().equals(
                dir.resolve("loop-b.conf") + ":1: include loop: loop-a.conf")), () -> r.errors().toString());
    }

    /** The port after a table with its own only picks a template's copy: said, as it goes unused. */
    @Test
    void aPortAfterATableWithARealPortIsAWarning() {
        LoadResult r = TestConfigs.parse(TABLE + "relay r {\n listen on 127.0.0.1 port 8080\n table web port 8080\n}\n"
                + "relay s {\n listen on 127.0.0.1 port 8081\n table web port 80\n}\n");
        assertTrue(r.ok(), () -> r.errors().toString());
        assertEquals(List.of("test.conf:8: table web has real port 80: port 8080 is ignored"),
                r.warnings().stream().map(Object::toString).toList());
        assertEquals(80, ((TableTarget) r.config().relay("r").orElseThrow().target()).port());
    }

    @Test
    void templatesDeriveTablesWithNewIds() {
        Config c = ok("table tpl {\n check tcp\n host 10.0.0.1\n host 10.0.0.2\n}\n" + TABLE
                + "service a {\n virtual host 192.0.2.1 port 80\n table tpl\n}\n"
                + "service b {\n virtual host 192.0.2.2 port 443\n table tpl\n}\n"
                + "relay r {\n listen on 127.0.0.1 port 8080\n table tpl port 80\n}\n"
                + "relay s {\n listen on 127.0.0.1 port 8081\n table web\n}\n");
        assertEquals(List.of("tpl", "web", "tpl:80", "tpl:443"), c.tables().stream().map(TableConfig::name).toList());
        TableConfig d = c.table("tpl:443").orElseThrow();
        assertEquals(3, d.id());
        assertEquals("tpl", d.templateName());
        assertFalse(d.template());
        assertTrue(c.table("tpl").orElseThrow().template());
        assertEquals(List.of(5, 6), d.hosts().stream().map(HostConfig::id).toList());
        assertEquals(3, d.hosts().get(0).tableId());
        assertEquals("tpl:80", c.services().get(0).table());
        assertEquals(new TableTarget("tpl:80", 80, Mode.LOADBALANCE, false), c.relay("r").orElseThrow().target());
        assertEquals(3, c.activeTables().size());
        assertEquals(InetAddress.getLoopbackAddress().getClass(), c.relays().get(0).listen().address().getClass());
        roundTrip(c);
    }

    @Test
    void binaryInputGivesErrorsNotExceptions() {
        LoadResult r = TestConfigs.parse("\u0000\u0001table \u00ff{\n}}}\n\"unterminated");
        assertFalse(r.ok());
        assertTrue(r.errors().stream().allMatch(d -> d.file().equals("test.conf") && d.line() >= 0));
    }
}
