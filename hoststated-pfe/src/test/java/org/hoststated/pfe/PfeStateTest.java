package org.hoststated.pfe;

import static org.hoststated.pfe.PfeFixtures.WWW;
import static org.hoststated.pfe.PfeFixtures.WWW_ALONE;
import static org.hoststated.pfe.PfeFixtures.host;
import static org.hoststated.pfe.PfeFixtures.report;
import static org.hoststated.pfe.PfeFixtures.state;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.util.List;
import org.hoststated.core.config.IpProtocol;
import org.hoststated.core.msg.CtlHost;
import org.hoststated.core.msg.CtlId;
import org.hoststated.core.msg.CtlRelay;
import org.hoststated.core.msg.CtlService;
import org.hoststated.core.msg.CtlTable;
import org.hoststated.core.msg.HostError;
import org.hoststated.core.msg.HostState;
import org.hoststated.core.msg.Imsg;
import org.hoststated.core.msg.HostStatus;
import org.hoststated.core.msg.MessageType;
import org.hoststated.core.msg.RelayStatistics;
import org.hoststated.core.msg.SummaryRequest;
import org.hoststated.pfe.backend.L3Backend;
import org.junit.jupiter.api.Test;

class PfeStateTest {
    private final PfeState s = state(WWW);
    private final HostEntry a = host(s, "web", "10.21.2.11");
    private final HostEntry b = host(s, "web", "10.21.2.12");
    private final HostEntry spare = host(s, "spare", "10.21.2.21");

    private ServiceEntry www() {
        return s.services.get(0);
    }

    @Test
    void startsDownWithEmptyTablesAndUnknownHosts() {
        assertEquals("down", www().status().toString());
        assertEquals("empty", www().main.row().status());
        assertEquals("unknown", a.row().status());
        assertEquals(3, s.unchecked(), "the hosts of web count once though two services use it");
    }

    @Test
    void upCountMovesOnlyOnTransitionsIntoAndOutOfUp() {
        assertTrue(report(s, a, HostState.DOWN));
        assertEquals(0, a.table.upCount);
        assertTrue(report(s, a, HostState.UP));
        assertEquals(1, a.table.upCount);
        assertFalse(report(s, a, HostState.UP), "an unchanged state is not a change");
        assertEquals(1, a.table.upCount);
        assertTrue(report(s, b, HostState.UP));
        assertEquals("active (2 hosts up)", www().main.row().status());
        assertTrue(report(s, a, HostState.DOWN));
        assertTrue(report(s, a, HostState.UNKNOWN));
        assertTrue(report(s, a, HostState.DOWN));
        assertEquals(1, a.table.upCount, "unknown <-> down leaves the count alone");
        assertEquals("active", www().status().toString());
    }

    @Test
    void backupTableTakesOverAndGivesBack() throws Exception {
        report(s, a, HostState.UP);
        report(s, spare, HostState.UP);
        assertEquals(List.of(addr("10.21.2.11")), redirect("www").hosts());
        report(s, a, HostState.DOWN);
        report(s, b, HostState.DOWN);
        assertEquals("active (using backup table)", www().status().toString());
        assertEquals(List.of(addr("10.21.2.21")), redirect("www").hosts());
        assertEquals(List.of(), redirect("other").hosts(), "a service without backup has no host");
        assertEquals("down", s.services.get(1).status().toString());
        report(s, b, HostState.UP);
        assertEquals("active", www().status().toString());
        assertEquals(List.of(addr("10.21.2.12")), redirect("www").hosts());
        assertEquals(8080, redirect("www").realPort());
    }

    /**
     * Each address family falls back on its own: the IPv4 clients of a dual-stack service
     * were refused while its main table had only an IPv6 host up and the backup an IPv4 one
     * (probe I of session 57).
     */
    @Test
    void eachFamilyFallsBackToTheBackupTableOnItsOwn() {
        PfeState d = state(PfeFixtures.DUAL);
        PfeFixtures.allUp(d);
        ServiceEntry dual = d.services.get(0);
        assertEquals(List.of(addr("10.21.2.11"), addr("fd21:2::11")), d.redirects().get(0).hosts());
        assertEquals("active", dual.status().toString());
        report(d, host(d, "mix", "10.21.2.11"), HostState.DOWN);
        assertEquals(List.of(addr("10.21.2.21"), addr("fd21:2::11")), d.redirects().get(0).hosts());
        assertEquals(List.of(addr("10.21.2.21"), addr("fd21:2::11")), d.redirects().get(0).pool(),
                "the sticky slots of each family are dealt to the table that serves it");
        assertEquals("active (using backup table)", dual.status().toString());
        report(d, host(d, "sorry", "10.21.2.21"), HostState.DOWN);
        assertEquals(List.of(addr("fd21:2::11")), d.redirects().get(0).hosts(), "no IPv4 host up anywhere");
        assertEquals("active", dual.status().toString());
        report(d, host(d, "mix", "fd21:2::11"), HostState.DOWN);
        assertEquals(List.of(addr("fd21:2::21")), d.redirects().get(0).hosts());
        report(d, host(d, "sorry", "fd21:2::21"), HostState.DOWN);
        assertEquals("down", dual.status().toString());
    }

    /** A service of one family gets no host of the other, from either table. */
    @Test
    void aServiceOfOneFamilyIsServedByItsHostsOfThatFamily() {
        PfeState d = state(PfeFixtures.DUAL.replace("\tvirtual host fd21:9::100 port 80\n", ""));
        PfeFixtures.allUp(d);
        report(d, host(d, "mix", "10.21.2.11"), HostState.DOWN);
        assertEquals(List.of(addr("10.21.2.21")), d.redirects().get(0).hosts(),
                "the main table's IPv6 host serves no IPv4 virtual host");
        assertEquals("active (using backup table)", d.services.get(0).status().toString());
    }

    /**
     * What a restarted hce takes over: state, reason and counters of the enabled hosts with a
     * verdict, of this generation; nothing of a host never checked or disabled (by itself or
     * with its table).
     */
    @Test
    void keptStatesAreTheEnabledCheckedHostsOfThisGeneration() {
        assertEquals(List.of(), s.kept(), "nothing checked yet");
        report(s, a, HostState.UP);
        report(s, a, HostState.DOWN);
        report(s, b, HostState.UP);
        report(s, spare, HostState.UP);
        assertEquals(List.of(new HostStatus(s.generation, a.config.id(), HostState.DOWN, HostError.TCP_CONNECT_FAIL, 2, 1, 0, 0),
                new HostStatus(s.generation, b.config.id(), HostState.UP, HostError.NONE, 1, 1, 0, 0),
                new HostStatus(s.generation, spare.config.id(), HostState.UP, HostError.NONE, 1, 1, 0, 0)), s.kept());
        ControlCommands.run(s, MessageType.CTL_HOST_DISABLE, CtlId.parse("10.21.2.11"));
        ControlCommands.run(s, MessageType.CTL_TABLE_DISABLE, CtlId.parse("spare"));
        assertEquals(List.of(new HostStatus(s.generation, b.config.id(), HostState.UP, HostError.NONE, 1, 1, 0, 0)),
                s.kept());
    }

    @Test
    void checkedOnceEveryEnabledHostHasAVerdict() {
        report(s, a, HostState.UP);
        report(s, b, HostState.DOWN);
        assertEquals(1, s.unchecked());
        report(s, spare, HostState.DOWN);
        assertEquals(0, s.unchecked());
    }

    @Test
    void summaryListsServicesTablesAndHostsInTheOriginalOrder() {
        report(s, a, HostState.UP);
        List<String> rows = PfeStateTest.rows(s.summary(7, SummaryRequest.View.SUMMARY, false, false)).map(PfeStateTest::describe).toList();
        assertEquals(List.of(
                "service other active",
                "table web active (1 hosts up)", "host 10.21.2.12 unknown", "host 10.21.2.11 up",
                "service www active",
                "table web active (1 hosts up)", "host 10.21.2.12 unknown", "host 10.21.2.11 up",
                "table spare empty", "host 10.21.2.21 unknown",
                "end"), rows);
        assertTrue(PfeStateTest.rows(s.summary(7, SummaryRequest.View.SUMMARY, false, false)).allMatch(m -> m.peerId() == 7));
    }

    /**
     * {@code show hosts} and {@code show relays} get only their rows: each table once, or the
     * relays alone. The whole listing repeats a relay's table under it, and {@code show relays}
     * of 1,000 relays on 2,000 hosts passed 2,000,000 rows to print 1,000 (probe U).
     */
    @Test
    void theViewsOfTheSummaryGetOnlyTheirRows() {
        PfeState r = state(WWW + "relay r1 {\n\tlisten on 127.0.0.1 port 8081\n\ttable web\n}\n"
                + "relay r2 {\n\tlisten on 127.0.0.1 port 8082\n\ttable spare\n}\n"
                + "relay r3 {\n\tlisten on 127.0.0.1 port 8083\n\tforward to 10.21.3.1 port 80\n}\n");
        assertEquals(List.of("relay r3", "relay r2", "relay r1", "end"), view(r, SummaryRequest.View.RELAYS));
        assertEquals(List.of(
                "service other down",
                "table web empty", "host 10.21.2.12 unknown", "host 10.21.2.11 unknown",
                "service www down",
                "table web empty", "host 10.21.2.12 unknown", "host 10.21.2.11 unknown",
                "table spare empty", "host 10.21.2.21 unknown",
                "end"), view(r, SummaryRequest.View.HOSTS));
        List<String> all = view(r, SummaryRequest.View.SUMMARY);
        assertEquals(List.of("relay r3", "relay r2", "table spare empty", "host 10.21.2.21 unknown",
                "relay r1", "table web empty", "host 10.21.2.12 unknown", "host 10.21.2.11 unknown", "end"),
                all.subList(10, all.size()));
    }

    /**
     * A reload keeps each relay's last counts, by name, until the relay engine reports the new
     * generation's: show relays listed every relay without them for up to 5 s (probe X).
     */
    @Test
    void aReloadKeepsTheRelaysLastCounts() {
        String r1 = "relay r1 {\n\tlisten on 127.0.0.1 port 8081\n\ttable web\n}\n";
        PfeState before = state(WWW + r1 + "relay gone {\n\tlisten on 127.0.0.1 port 8082\n\ttable web\n}\n");
        RelayStatistics counts = new RelayStatistics(1, before.relays.get(0).config.id(), 150, 0, 2, 150, 150, 1, 0, 0);
        before.relays.get(0).statistics = counts;
        before.relays.get(1).statistics = new RelayStatistics(1, before.relays.get(1).config.id(), 9, 0, 9, 9, 9, 0, 0, 0);
        PfeState after = PfeState.build(2, PfeFixtures.config(WWW
                + "relay new {\n\tlisten on 127.0.0.1 port 8083\n\ttable web\n}\n" + r1), before);
        assertEquals(List.of("new", "r1"), after.relays.stream().map(r -> r.config.name()).toList());
        assertNull(after.relays.get(0).statistics);
        assertEquals(counts, after.relays.get(1).statistics);
    }

    /**
     * Review CL: the relay engine can report a reload's generation before pfe applied it, and
     * reports an idle relay only once; those counts were dropped, the last generation's shown on.
     */
    @Test
    void countsOfAGenerationPfeHasNotAppliedYetWaitForIt() {
        String r1 = "relay r1 {\n\tlisten on 127.0.0.1 port 8081\n\ttable web\n}\n";
        PfeState before = state(WWW + r1);
        int id = before.relays.get(0).config.id();
        before.relays.get(0).statistics = new RelayStatistics(1, id, 150, 0, 2, 150, 150, 1, 0, 0);
        EarlyStatistics early = new EarlyStatistics();
        RelayStatistics fresh = new RelayStatistics(2, id, 150, 0, 0, 150, 150, 0, 0, 0);
        early.offer(before, fresh);
        PfeState after = PfeState.build(2, PfeFixtures.config(WWW + r1), before);
        early.applied(after);
        assertEquals(fresh, after.relays.get(0).statistics);
        RelayStatistics stale = new RelayStatistics(1, id, 151, 0, 1, 151, 151, 0, 0, 0);
        early.offer(after, stale);
        assertEquals(fresh, after.relays.get(0).statistics);
    }

    private static List<String> view(PfeState st, SummaryRequest.View view) {
        return PfeStateTest.rows(st.summary(7, view, false, false)).map(PfeStateTest::describe).toList();
    }

    /**
     * A table that no service or relay uses is a warning, not an error as in the original, and
     * hce checks it unless it is disabled: it is listed last, else a table that the
     * configuration parks ({@code disable}) and {@code table enable} put back was checked
     * while no {@code show} listed it.
     */
    @Test
    void summaryListsTheTablesNoServiceOrRelayUsesLast() {
        PfeState u = state(WWW_ALONE + """
                table parked {
                \treal port 8080
                \tcheck tcp
                \thost 10.21.2.31
                \tdisable
                }
                table orphan {
                \treal port 8080
                \tcheck tcp
                \thost 10.21.2.41
                }
                """);
        List<String> rows = PfeStateTest.rows(u.summary(7, SummaryRequest.View.SUMMARY, false, false)).map(PfeStateTest::describe).toList();
        assertEquals(List.of(
                "service www down",
                "table web empty", "host 10.21.2.12 unknown", "host 10.21.2.11 unknown",
                "table spare empty", "host 10.21.2.21 unknown",
                "table orphan empty", "host 10.21.2.41 unknown",
                "table parked disabled",
                "end"), rows);
        assertNull(ControlCommands.run(u, MessageType.CTL_TABLE_ENABLE, CtlId.parse("parked")).failure());
        report(u, host(u, "parked", "10.21.2.31"), HostState.UP);
        assertEquals(List.of("table orphan empty", "host 10.21.2.41 unknown",
                "table parked active (1 hosts up)", "host 10.21.2.31 up", "end"),
                rows(u).subList(6, 11));
    }

    private static List<String> rows(PfeState st) {
        return PfeStateTest.rows(st.summary(7, SummaryRequest.View.SUMMARY, false, false)).map(PfeStateTest::describe).toList();
    }

    /** While a previous run's rules serve, show summary says so rather than "down". */
    @Test
    void summarySaysWhenThePreviousRunsRulesAreKept() {
        s.services.get(1).disabled = true;
        List<String> rows = PfeStateTest.rows(s.summary(7, SummaryRequest.View.SUMMARY, true, false)).map(PfeStateTest::describe)
                .filter(r -> r.startsWith("service")).toList();
        assertEquals(List.of("service other disabled", "service www kept (previous run's rules)"), rows);
    }

    /**
     * While the backend cannot write the kernel (nft missing or failing), show summary says so:
     * it said "active" for rules the kernel did not have, disabled services included.
     */
    @Test
    void summarySaysWhenTheKernelRulesCannotBeWritten() {
        s.services.get(1).disabled = true;
        List<String> rows = PfeStateTest.rows(s.summary(7, SummaryRequest.View.SUMMARY, true, true)).map(PfeStateTest::describe)
                .filter(r -> r.startsWith("service")).toList();
        assertEquals(List.of("service other rules not in the kernel (l3 backend failing)",
                "service www rules not in the kernel (l3 backend failing)"), rows);
    }

    @Test
    void reloadKeepsTheStateOfHostsThatStay() {
        report(s, a, HostState.UP);
        PfeState next = PfeState.build(2, PfeFixtures.config(WWW.replace("\thost 10.21.2.12\n", "")), s);
        HostEntry kept = host(next, "web", "10.21.2.11");
        assertEquals(HostState.UP, kept.state);
        assertEquals(1, kept.table.upCount);
    }

    /**
     * A reload that moves a table to another port, or gives it another check, starts its hosts
     * unknown: the new rules redirected to port 9090 at once, and show hosts said up, before
     * any check of port 9090 ran (review CD). What the operator disabled stays disabled.
     */
    @Test
    void aReloadThatChangesWhatIsCheckedStartsTheHostsAfresh() {
        report(s, a, HostState.UP);
        ControlCommands.run(s, MessageType.CTL_HOST_DISABLE, CtlId.parse("10.21.2.12"));
        PfeState moved = PfeState.build(2, PfeFixtures.config(WWW.replace("real port 8080", "real port 9090")), s);
        L3Backend.Redirect www = moved.redirects().stream().filter(r -> r.service().equals("www")).findFirst().orElseThrow();
        assertEquals(9090, www.realPort());
        assertEquals(List.of(), www.hosts(), "port 9090 was never checked");
        assertEquals(HostState.UNKNOWN, host(moved, "web", "10.21.2.11").state);
        assertTrue(host(moved, "web", "10.21.2.12").disabled);
        PfeState http = PfeState.build(2, PfeFixtures.config(WWW.replaceFirst("check tcp",
                "check http \"/health\" code 200")), s);
        assertEquals(HostState.UNKNOWN, host(http, "web", "10.21.2.11").state, "/health was never asked");
        String pinged = WWW.replaceFirst("check tcp", "check icmp");
        PfeState icmp = PfeState.build(2, PfeFixtures.config(pinged), s);
        report(icmp, host(icmp, "web", "10.21.2.11"), HostState.UP);
        PfeState icmpMoved = PfeState.build(3, PfeFixtures.config(pinged.replace("real port 8080", "real port 9090")), icmp);
        assertEquals(HostState.UP, host(icmpMoved, "web", "10.21.2.11").state, "a ping does not ask the port");
    }

    /** A reload for another change does not put what hoststatectl disabled back into service. */
    @Test
    void reloadKeepsWhatTheOperatorDisabledAndAppliesTheConfigurationsDisableAfresh() {
        report(s, a, HostState.UP);
        report(s, b, HostState.UP);
        ControlCommands.run(s, MessageType.CTL_HOST_DISABLE, CtlId.parse("10.21.2.11"));
        ControlCommands.run(s, MessageType.CTL_TABLE_DISABLE, CtlId.parse("spare"));
        PfeState next = PfeState.build(2, PfeFixtures.config(WWW.replace("port 80\n\ttable web\n}",
                "port 81\n\ttable web\n}")), s);
        assertTrue(host(next, "web", "10.21.2.11").disabled);
        assertFalse(host(next, "web", "10.21.2.12").disabled);
        assertEquals(1, host(next, "web", "10.21.2.12").table.upCount, "the disabled host is not counted");
        assertTrue(host(next, "spare", "10.21.2.21").table.disabled);

        // A service disabled at run time stays so too, and so does the table it took along (the
        // last service on it: while www used it, disabling other alone left it enabled).
        ControlCommands.run(next, MessageType.CTL_SERVICE_DISABLE, CtlId.parse("www"));
        ControlCommands.run(next, MessageType.CTL_SERVICE_DISABLE, CtlId.parse("other"));
        PfeState third = PfeState.build(3, PfeFixtures.config(WWW), next);
        assertTrue(third.services.get(1).disabled);
        assertTrue(host(third, "web", "10.21.2.12").table.disabled);

        // Enabled again by the operator: the next reload leaves it enabled.
        ControlCommands.run(next, MessageType.CTL_HOST_ENABLE, CtlId.parse("10.21.2.11"));
        PfeState after = PfeState.build(4, PfeFixtures.config(WWW), next);
        assertFalse(host(after, "web", "10.21.2.11").disabled);
    }

    /**
     * A table may list an address twice (a double share); the operator drains one of the two
     * by id, and a reload, or a restarted pfe, keeps just that one disabled. Keyed by address
     * alone, both came back disabled, and a table of such copies went down (probe E).
     */
    @Test
    void aReloadKeepsTheDisableOfOneOfTwoHostsOfAnAddress() {
        String twice = WWW.replace("\thost 10.21.2.12\n", "\thost 10.21.2.12\n\thost 10.21.2.12\n");
        PfeState one = PfeState.build(1, PfeFixtures.config(twice), null);
        List<HostEntry> copies = copiesOf(one, "10.21.2.12");
        assertEquals(2, copies.size());
        assertNull(ControlCommands.run(one, MessageType.CTL_HOST_DISABLE,
                CtlId.parse(String.valueOf(copies.get(1).config.id()))).failure());

        List<HostEntry> reloaded = copiesOf(PfeState.build(2, PfeFixtures.config(twice), one), "10.21.2.12");
        assertFalse(reloaded.get(0).disabled, "the copy the operator left alone");
        assertTrue(reloaded.get(1).disabled);

        PfeState restarted = PfeState.build(1, PfeFixtures.config(twice), null);
        restarted.restore(one.disabledSet(), restarted.generation, new java.util.ArrayList<>());
        List<HostEntry> restored = copiesOf(restarted, "10.21.2.12");
        assertFalse(restored.get(0).disabled);
        assertTrue(restored.get(1).disabled);
        assertEquals(one.disabledSet(), restarted.disabledSet());
    }

    /** The hosts of table web with {@code address}, in the table's order. */
    private static List<HostEntry> copiesOf(PfeState state, String address) {
        return state.hosts.values().stream()
                .filter(h -> h.table.config.name().equals("web") && h.config.name().equals(address))
                .sorted(java.util.Comparator.comparingInt(h -> h.config.id())).toList();
    }

    /**
     * A table that went with the last service on it follows that service's disable into the
     * next configuration, by the rule of {@code service disable}: a relay or an enabled service
     * that now uses it keeps it enabled (and checked), and when they go it goes again with
     * the service. Kept by name, it left a new relay on it without a host and a new service
     * on it down. A table the operator disabled by name stays disabled.
     */
    @Test
    void aTableThatWentWithItsServiceFollowsTheNewUsersOfItAtAReload() {
        String alone = WWW_ALONE.replace("\tbackup table spare\n", "");
        PfeState one = PfeState.build(1, PfeFixtures.config(alone), null);
        assertNull(ControlCommands.run(one, MessageType.CTL_SERVICE_DISABLE, CtlId.parse("www")).failure());
        assertTrue(host(one, "web", "10.21.2.11").table.disabled, "the last service took its table along");

        String relay = "relay r {\n\tlisten on 127.0.0.1 port 8081\n\ttable web\n}\n";
        PfeState withRelay = PfeState.build(2, PfeFixtures.config(alone + relay), one);
        assertTrue(withRelay.services.get(0).disabled, "the service stays disabled");
        TableEntry web = host(withRelay, "web", "10.21.2.11").table;
        assertFalse(web.disabled, "relay r uses the table now");
        assertEquals("unknown", host(withRelay, "web", "10.21.2.11").row().status());

        PfeState gone = PfeState.build(3, PfeFixtures.config(alone), withRelay);
        assertTrue(host(gone, "web", "10.21.2.11").table.disabled, "the relay went: the table goes with the service");

        String other = "service other {\n\tvirtual host 10.21.9.101 port 80\n\ttable web\n}\n";
        PfeState withService = PfeState.build(4, PfeFixtures.config(alone + other), gone);
        HostEntry h = host(withService, "web", "10.21.2.11");
        assertFalse(h.table.disabled, "an enabled service uses the table now");
        report(withService, h, HostState.UP);
        L3Backend.Redirect r = withService.redirects().stream().filter(x -> x.service().equals("other"))
                .findFirst().orElseThrow();
        assertEquals(List.of(addr("10.21.2.11")), r.hosts(), "the new service's rules have the table's host");
        assertEquals("active", withService.services.get(1).status().toString());

        assertNull(ControlCommands.run(withService, MessageType.CTL_TABLE_DISABLE, CtlId.parse("web")).failure());
        PfeState named = PfeState.build(5, PfeFixtures.config(alone + other + relay), withService);
        assertTrue(host(named, "web", "10.21.2.11").table.disabled, "disabled by name: it stays so");

        // Enabled by name while its service is disabled: a reload leaves it enabled.
        assertNull(ControlCommands.run(named, MessageType.CTL_TABLE_ENABLE, CtlId.parse("web")).failure());
        PfeState enabled = PfeState.build(6, PfeFixtures.config(alone), named);
        assertTrue(enabled.services.get(0).disabled);
        assertFalse(host(enabled, "web", "10.21.2.11").table.disabled, "enabled by name: it stays so");
    }

    /**
     * A service that the configuration starts disabled takes its main table along by the rule
     * of {@code service disable}: it was left enabled, and checked by hce, where the same
     * service disabled at run time took it along (unless a relay or another enabled service
     * uses it), and {@code service enable} then enabled nothing more.
     */
    @Test
    void theDisableKeywordOfAServiceTakesItsTableAlongLikeServiceDisable() {
        String alone = WWW_ALONE.replace("\tbackup table spare\n", "\tbackup table spare\n\tdisable\n");
        PfeState start = state(alone);
        TableEntry web = host(start, "web", "10.21.2.11").table;
        assertTrue(web.disabled, "the last service on table web took it along");
        assertFalse(host(start, "spare", "10.21.2.21").table.disabled, "a backup table stays, as at run time");
        assertEquals("", start.disabledSet(), "the configuration's own disable, not the operator's");

        ControlCommands.Outcome on = ControlCommands.run(start, MessageType.CTL_SERVICE_ENABLE, CtlId.parse("www"));
        assertNull(on.failure());
        assertFalse(web.disabled);
        assertTrue(on.also().contains("with table web"), on.also());

        String relay = "relay r {\n\tlisten on 127.0.0.1 port 8081\n\ttable web\n}\n";
        assertFalse(host(state(alone + relay), "web", "10.21.2.11").table.disabled, "relay r uses table web");
        String other = "service other {\n\tvirtual host 10.21.9.101 port 80\n\ttable web\n}\n";
        assertFalse(host(state(alone + other), "web", "10.21.2.11").table.disabled, "service other uses it");
        PfeState both = state(alone + other.replace("}\n", "\tdisable\n}\n"));
        assertTrue(host(both, "web", "10.21.2.11").table.disabled, "both services on it are disabled");
    }

    /**
     * A pfe restarted after a crash started from the configuration: a host disabled at run
     * time showed as unknown and could not be enabled ("already enabled") while hce, which
     * outlived pfe, kept it disabled. The parent keeps what pfe last reported and gives it back.
     */
    @Test
    void aRestartedPfeTakesBackWhatTheOperatorDisabled() {
        report(s, a, HostState.UP);
        report(s, b, HostState.UP);
        assertNull(ControlCommands.run(s, MessageType.CTL_HOST_DISABLE, CtlId.parse("10.21.2.11")).failure());
        assertNull(ControlCommands.run(s, MessageType.CTL_TABLE_DISABLE, CtlId.parse("spare")).failure());
        assertNull(ControlCommands.run(s, MessageType.CTL_SERVICE_DISABLE, CtlId.parse("other")).failure());
        String set = s.disabledSet();

        PfeState restarted = state(WWW);
        List<ControlCommands.Notice> notices = new java.util.ArrayList<>();
        restarted.restore(set, restarted.generation, notices);
        assertTrue(host(restarted, "web", "10.21.2.11").disabled);
        assertEquals("disabled", host(restarted, "web", "10.21.2.11").row().status());
        assertTrue(host(restarted, "spare", "10.21.2.21").table.disabled);
        assertTrue(restarted.services.get(1).disabled, "service other");
        assertFalse(host(restarted, "web", "10.21.2.12").table.disabled, "service www still uses table web");
        assertEquals(set, restarted.disabledSet());
        assertEquals(List.of(MessageType.SERVICE_DISABLE, MessageType.TABLE_DISABLE, MessageType.HOST_DISABLE),
                notices.stream().map(ControlCommands.Notice::type).sorted().toList());

        List<ControlCommands.Notice> again = new java.util.ArrayList<>();
        restarted.restore(set, restarted.generation, again);
        assertEquals(List.of(), again, "what is disabled already stays as it is");
    }

    /**
     * A restarted pfe took back only what the operator had disabled: a service or a table that
     * the configuration starts disabled and the operator enabled was disabled again, with its
     * rules and its relays' clients. Within the generation it is enabled again; a set of an
     * earlier one (pfe restarted during a reload) enables nothing, since a reload applies the
     * configuration's own disable keywords afresh.
     */
    @Test
    void aRestartedPfeTakesBackWhatTheOperatorEnabledOfThisConfiguration() {
        String config = WWW_ALONE.replace("\tbackup table spare\n", "\tbackup table spare\n\tdisable\n")
                + "table quiet {\n\treal port 80\n\tcheck tcp\n\thost 10.21.2.31\n\tdisable\n}\n"
                + "relay r {\n\tlisten on 127.0.0.1 port 8081\n\ttable quiet\n}\n"
                + "table shared {\n\treal port 80\n\tcheck tcp\n\thost 10.21.2.41\n}\n"
                + "service idle {\n\tvirtual host 10.21.9.102 port 80\n\ttable shared\n\tdisable\n}\n";
        PfeState live = state(config);
        assertTrue(host(live, "shared", "10.21.2.41").table.disabled, "taken along by service idle");
        assertNull(ControlCommands.run(live, MessageType.CTL_SERVICE_ENABLE, CtlId.parse("www")).failure());
        assertNull(ControlCommands.run(live, MessageType.CTL_TABLE_ENABLE, CtlId.parse("quiet")).failure());
        assertNull(ControlCommands.run(live, MessageType.CTL_TABLE_ENABLE, CtlId.parse("shared")).failure());
        String set = live.disabledSet();

        PfeState restarted = state(config);
        List<ControlCommands.Notice> notices = new java.util.ArrayList<>();
        restarted.restore(set, restarted.generation, notices);
        assertFalse(restarted.services.get(0).disabled, "service www");
        assertFalse(host(restarted, "web", "10.21.2.11").table.disabled, "with its table");
        assertFalse(host(restarted, "quiet", "10.21.2.31").table.disabled, "enabled by name");
        assertFalse(host(restarted, "shared", "10.21.2.41").table.disabled, "enabled by name, its service disabled");
        assertTrue(restarted.services.get(1).disabled, "service idle stays disabled");
        assertEquals(set, restarted.disabledSet());

        PfeState reloaded = state(config);
        List<ControlCommands.Notice> none = new java.util.ArrayList<>();
        reloaded.restore(set, reloaded.generation + 1, none);
        assertEquals(List.of(), none, "a set of another configuration enables nothing");
        assertTrue(reloaded.services.get(0).disabled);
    }

    private L3Backend.Redirect redirect(String service) {
        return s.redirects().stream().filter(r -> r.service().equals(service)).findFirst().orElseThrow();
    }

    static InetAddress addr(String a) {
        try {
            return InetAddress.getByName(a);
        } catch (java.net.UnknownHostException e) {
            throw new AssertionError(e);
        }
    }

    private static String describe(Imsg m) {
        if (m.type() == MessageType.CTL_END) {
            return "end";
        }
        Object p = m.payload(Object.class);
        if (p instanceof CtlService v) {
            return "service " + v.name() + " " + v.status();
        }
        if (p instanceof CtlTable t) {
            return "table " + t.name() + " " + t.status();
        }
        if (p instanceof CtlRelay r) {
            return "relay " + r.name();
        }
        CtlHost h = (CtlHost) p;
        return "host " + h.name() + " " + h.status();
    }

    @Test
    void aHostGoingDownCutsAllTheFlowsOfServicesWithKillStatesOnly() throws Exception {
        PfeState k = state(WWW.replace("\ttable web\n\tbackup table spare\n", "\ttable web\n\tbackup table spare\n\tkill states\n"));
        HostEntry b2 = host(k, "web", "10.21.2.12");
        List<L3Backend.StateKill> kills = StateKills.down(k, b2);
        assertEquals(List.of(false, true), kills.stream().map(L3Backend.StateKill::closedOnly).toList(),
                "service other has no kill states: only its flows without a live connection are cut");
        assertEquals("other", kills.get(1).service());
        L3Backend.StateKill kill = kills.get(0);
        assertEquals("www", kill.service());
        assertEquals(List.of(InetAddress.getByName("10.21.2.12")), kill.hosts());
        assertEquals(8080, kill.realPort());
        assertEquals("10.21.9.100", kill.virtuals().get(0).address().getHostAddress());
        assertTrue(StateKills.down(s, b).stream().allMatch(L3Backend.StateKill::closedOnly),
                "without the option, only what carries no live connection is cut");
    }

    @Test
    void aKillIsDroppedWhenItsHostIsATargetAgainAndDuplicatesGo() throws Exception {
        List<L3Backend.Virtual> vip = List.of(new L3Backend.Virtual(InetAddress.getByName("10.21.9.100"), IpProtocol.TCP, 80, null));
        List<L3Backend.Virtual> otherVip = List.of(new L3Backend.Virtual(InetAddress.getByName("10.21.9.101"), IpProtocol.TCP, 80, null));
        L3Backend.StateKill kill = new L3Backend.StateKill("www", vip, InetAddress.getByName("10.21.2.12"), 8080, "down");
        List<L3Backend.Redirect> upAgain = List.of(new L3Backend.Redirect("www", vip,
                List.of(InetAddress.getByName("10.21.2.12")), 8080, false, null));
        List<L3Backend.Redirect> other = List.of(new L3Backend.Redirect("other", otherVip,
                List.of(InetAddress.getByName("10.21.2.12")), 8080, false, null));
        assertEquals(List.of(), StateKills.stillGone(List.of(kill), upAgain));
        assertEquals(List.of(kill), StateKills.stillGone(List.of(kill, kill), other));
    }

    @Test
    void aReloadThatRemovesAnUpHostCutsItsFlows() {
        String killing = WWW.replace("\ttable web\n\tbackup table spare\n", "\ttable web\n\tbackup table spare\n\tkill states\n");
        PfeState before = state(killing);
        report(before, host(before, "web", "10.21.2.11"), HostState.UP);
        report(before, host(before, "web", "10.21.2.12"), HostState.UP);
        PfeState after = PfeState.build(2, PfeFixtures.config(killing.replace("\thost 10.21.2.12\n", "")), before);
        List<L3Backend.StateKill> kills = StateKills.removed(before, after);
        assertEquals(1, kills.size(), kills.toString());
        assertEquals("host 10.21.2.12 removed", kills.get(0).what());
        assertEquals(List.of(), StateKills.removed(before, PfeState.build(2, PfeFixtures.config(killing), before)),
                "a reload that keeps the host cuts nothing");
        assertEquals(List.of(), StateKills.removed(before,
                PfeState.build(2, PfeFixtures.config(WWW.replace("\thost 10.21.2.12\n", "")), before)),
                "nor one of a service without the option");
    }

    /** The rows of a summary, as a stream. */
    static java.util.stream.Stream<org.hoststated.core.msg.Imsg> rows(java.util.Iterator<org.hoststated.core.msg.Imsg> it) {
        return java.util.stream.StreamSupport.stream(java.util.Spliterators.spliteratorUnknownSize(it, 0), false);
    }
}
