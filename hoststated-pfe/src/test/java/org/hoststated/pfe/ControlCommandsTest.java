package org.hoststated.pfe;

import static org.hoststated.pfe.PfeFixtures.WWW;
import static org.hoststated.pfe.PfeFixtures.WWW_ALONE;
import static org.hoststated.pfe.PfeFixtures.host;
import static org.hoststated.pfe.PfeFixtures.report;
import static org.hoststated.pfe.PfeFixtures.state;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.hoststated.core.msg.CtlId;
import org.hoststated.core.msg.HostState;
import org.hoststated.core.msg.MessageType;
import org.hoststated.core.msg.ProcId;
import org.hoststated.core.msg.SummaryRequest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** SPEC 2.1's enable and disable semantics, by id and by name. */
class ControlCommandsTest {
    private final PfeState s = state(WWW);
    private final HostEntry a = host(s, "web", "10.21.2.11");
    private final HostEntry spare = host(s, "spare", "10.21.2.21");

    private ControlCommands.Outcome run(MessageType type, String arg) {
        return ControlCommands.run(s, type, CtlId.parse(arg));
    }

    private static List<MessageType> types(ControlCommands.Outcome o) {
        assertNull(o.failure());
        return o.notices().stream().map(ControlCommands.Notice::type).toList();
    }

    @ParameterizedTest
    @ValueSource(strings = {"www", "0"})
    void serviceDisableDisablesItsMainTableAndPullsTheRules(String arg) {
        PfeState alone = state(WWW_ALONE);
        HostEntry h = host(alone, "web", "10.21.2.11");
        report(alone, h, HostState.UP);
        ControlCommands.Outcome o = ControlCommands.run(alone, MessageType.CTL_SERVICE_DISABLE, CtlId.parse(arg));
        assertEquals(List.of(MessageType.SERVICE_DISABLE, MessageType.TABLE_DISABLE), types(o));
        assertEquals("service www (id 0) disabled, with table web (id 0)", o.done() + o.also());
        ServiceEntry www = alone.services.get(0);
        assertEquals("disabled", www.status().toString());
        assertTrue(www.main.disabled);
        assertEquals(0, www.main.upCount);
        assertEquals(HostState.UNKNOWN, h.state);
        assertTrue(alone.redirects().get(0).hosts().isEmpty(), "a disabled service has no rule");
        List<MessageType> rows = PfeStateTest.rows(alone.summary(0, SummaryRequest.View.SUMMARY, false, false)).map(m -> m.type()).toList();
        assertEquals(List.of(MessageType.CTL_SERVICE, MessageType.CTL_END), rows,
                "a disabled service lists no tables");
    }

    @Test
    void serviceEnableEnablesMainAndBackupTables() {
        PfeState alone = state(WWW_ALONE);
        ControlCommands.run(alone, MessageType.CTL_TABLE_DISABLE, CtlId.parse("spare"));
        ControlCommands.run(alone, MessageType.CTL_SERVICE_DISABLE, CtlId.parse("www"));
        ControlCommands.Outcome o = ControlCommands.run(alone, MessageType.CTL_SERVICE_ENABLE, CtlId.parse("www"));
        assertEquals(List.of(MessageType.SERVICE_ENABLE, MessageType.TABLE_ENABLE, MessageType.TABLE_ENABLE),
                types(o));
        assertEquals("service www (id 0) enabled, with table web (id 0) and table spare (id 1)", o.done() + o.also());
        assertEquals("down", alone.services.get(0).status().toString());
    }

    /**
     * Disabling one service leaves its table to the other services on it: relayd changed only
     * pfe's flag, so hce went on checking and the other service's pf table kept its hosts.
     */
    @Test
    void serviceDisableLeavesATableAnotherServiceUses() {
        report(s, a, HostState.UP);
        ControlCommands.Outcome o = run(MessageType.CTL_SERVICE_DISABLE, "www");
        assertEquals(List.of(MessageType.SERVICE_DISABLE), types(o));
        assertEquals("service www (id 0) disabled; table web (id 0) stays enabled for service other",
                o.done() + o.also());
        assertTrue(!a.table.disabled && a.state == HostState.UP && a.table.upCount == 1);
        assertTrue(s.redirects().get(0).hosts().isEmpty(), "the disabled service has no rule");
        assertEquals(List.of(a.config.address()), s.redirects().get(1).hosts(), "the other one keeps its host");
        assertEquals("active", s.services.get(1).status().toString());
        List<MessageType> rows = PfeStateTest.rows(s.summary(0, SummaryRequest.View.SUMMARY, false, false)).map(m -> m.type()).toList();
        assertEquals(List.of(MessageType.CTL_SERVICE, MessageType.CTL_TABLE, MessageType.CTL_HOST, MessageType.CTL_HOST,
                MessageType.CTL_SERVICE, MessageType.CTL_END), rows);
        // The last service on the table takes it along; enabling either brings it back.
        assertEquals(List.of(MessageType.SERVICE_DISABLE, MessageType.TABLE_DISABLE),
                types(run(MessageType.CTL_SERVICE_DISABLE, "other")));
        assertEquals(List.of(MessageType.SERVICE_ENABLE, MessageType.TABLE_ENABLE),
                types(run(MessageType.CTL_SERVICE_ENABLE, "www")));
        assertEquals(List.of(MessageType.SERVICE_ENABLE), types(run(MessageType.CTL_SERVICE_ENABLE, "other")));
    }

    /** relayd left a relay on the table of a disabled service serving: only pfe's copy changed. */
    @Test
    void serviceDisableLeavesATableARelayForwardsTo() {
        PfeState relayed = state(WWW + "relay r {\n\tlisten on 10.21.1.1 port 8081\n\ttable web\n}\n");
        HostEntry h = host(relayed, "web", "10.21.2.11");
        report(relayed, h, HostState.UP);
        ControlCommands.Outcome o = ControlCommands.run(relayed, MessageType.CTL_SERVICE_DISABLE, CtlId.parse("www"));
        assertEquals(List.of(MessageType.SERVICE_DISABLE), types(o));
        assertEquals("disabled", relayed.services.get(0).status().toString());
        assertTrue(!h.table.disabled && h.state == HostState.UP && h.table.upCount == 1);
        assertTrue(relayed.redirects().get(0).hosts().isEmpty(), "the disabled service has no rule");
        assertEquals(List.of(MessageType.SERVICE_ENABLE),
                types(ControlCommands.run(relayed, MessageType.CTL_SERVICE_ENABLE, CtlId.parse("www"))),
                "neither table was disabled");
        assertEquals("active", relayed.services.get(0).status().toString());
    }

    @ParameterizedTest
    @ValueSource(strings = {"spare", "1"})
    void tableDisableMakesItsHostsUnknown(String arg) {
        report(s, spare, HostState.UP);
        ControlCommands.Outcome o = run(MessageType.CTL_TABLE_DISABLE, arg);
        assertEquals(List.of(MessageType.TABLE_DISABLE), types(o));
        assertEquals("table spare (id 1) disabled", o.done() + o.also());
        assertEquals(HostState.UNKNOWN, spare.state);
        assertEquals("disabled", spare.table.row().status());
        assertEquals(List.of(MessageType.TABLE_ENABLE), types(run(MessageType.CTL_TABLE_ENABLE, arg)));
        assertEquals("empty", spare.table.row().status());
    }

    @Test
    void hostDisableClearsItsCountersAndLeavesTheTable() {
        report(s, a, HostState.UP);
        report(s, a, HostState.UP);
        String id = Integer.toString(a.config.id());
        ControlCommands.Outcome o = run(MessageType.CTL_HOST_DISABLE, id);
        assertEquals(List.of(MessageType.HOST_DISABLE), types(o));
        assertEquals("host 10.21.2.11 (id " + id + ", table web) disabled", o.done() + o.also());
        assertEquals(HostState.UNKNOWN, a.state);
        assertEquals(0, a.checkCount);
        assertEquals(0, a.table.upCount);
        assertEquals("disabled", a.row().status());
        assertTrue(s.redirects().get(0).hosts().isEmpty());
        assertEquals(List.of(MessageType.HOST_ENABLE), types(run(MessageType.CTL_HOST_ENABLE, id)));
        assertEquals("unknown", a.row().status());
    }

    /** Disabling the last enabled host of a table in use warns of what is left without (probe BA). */
    @Test
    void disablingTheLastHostOfATableInUseWarns() {
        PfeState relayed = state(WWW + "relay r {\n\tlisten on 10.21.1.1 port 8081\n\ttable web\n}\n");
        assertNull(ControlCommands.run(relayed, MessageType.CTL_HOST_DISABLE, CtlId.parse("10.21.2.12")).warning(),
                "web has another host");
        ControlCommands.Outcome o = ControlCommands.run(relayed, MessageType.CTL_HOST_DISABLE, CtlId.parse("10.21.2.11"));
        assertEquals(List.of(MessageType.HOST_DISABLE), types(o));
        assertTrue(o.warning().startsWith("table web has no enabled host left: relay r, service www"), o.warning());
        assertTrue(o.warning().endsWith(" get no host"), o.warning());
        assertNull(ControlCommands.run(relayed, MessageType.CTL_HOST_ENABLE, CtlId.parse("10.21.2.11")).warning());
        o = ControlCommands.run(relayed, MessageType.CTL_TABLE_DISABLE, CtlId.parse("web"));
        assertTrue(o.warning().startsWith("relay r, service www"), o.warning());
    }

    @Test
    void hostByName() {
        assertEquals(List.of(MessageType.HOST_DISABLE), types(run(MessageType.CTL_HOST_DISABLE, "10.21.2.21")));
        assertTrue(spare.disabled);
    }

    @Test
    void refusesUnknownRepeatedAndAmbiguousRequests() {
        assertNotNull(run(MessageType.CTL_SERVICE_DISABLE, "nosuch").failure());
        assertNotNull(run(MessageType.CTL_TABLE_ENABLE, "99").failure());
        assertNotNull(run(MessageType.CTL_SERVICE_ENABLE, "www").failure(), "already enabled");
        PfeState twice = state(WWW.replace("host 10.21.2.21", "host 10.21.2.11"));
        assertNotNull(ControlCommands.run(twice, MessageType.CTL_HOST_DISABLE, CtlId.parse("10.21.2.11")).failure());
    }

    /** A template's name is not a table; the refusal names the copies that are. */
    @Test
    void aTemplatesNameIsRefusedWithItsCopies() {
        PfeState t = state("""
                l3 backend none
                table tpl {
                \tcheck tcp
                \thost 10.21.2.11
                }
                relay a {
                \tlisten on 10.21.1.1 port 8081
                \ttable tpl port 8081
                }
                relay b {
                \tlisten on 10.21.1.1 port 8082
                \ttable tpl port 80
                }
                """);
        assertEquals("no such table: tpl (a template; its copies: tpl:80, tpl:8081)",
                ControlCommands.run(t, MessageType.CTL_TABLE_DISABLE, CtlId.parse("tpl")).failure());
        assertEquals(List.of(MessageType.TABLE_DISABLE),
                types(ControlCommands.run(t, MessageType.CTL_TABLE_DISABLE, CtlId.parse("tpl:80"))));
    }

    /** pfe sends each notice to hce (when hce may receive it) and to the relay engine. */
    @Test
    void noticesTravelToHceAndRelay() {
        for (MessageType t : List.of(MessageType.TABLE_DISABLE, MessageType.TABLE_ENABLE,
                MessageType.HOST_DISABLE, MessageType.HOST_ENABLE)) {
            assertTrue(t.allowed(ProcId.PFE, ProcId.HCE), t + " to hce");
            assertTrue(t.allowed(ProcId.PFE, ProcId.RELAY), t + " to relay");
        }
        for (MessageType t : List.of(MessageType.SERVICE_DISABLE, MessageType.SERVICE_ENABLE)) {
            assertTrue(t.allowed(ProcId.PFE, ProcId.RELAY), t + " to relay");
        }
    }

    /**
     * A host name in two tables names each host's id and table: {@code show summary} lists
     * neither the hosts of a disabled table nor a table no service or relay uses, so the
     * operator told to "use its id" had no id to use.
     */
    @Test
    void anAmbiguousHostNameNamesTheIdsAndTablesToChooseFrom() {
        PfeState two = state("""
                table web {
                \treal port 80
                \tcheck tcp
                \thost 10.21.3.1
                }
                table spare {
                \treal port 80
                \tcheck tcp
                \tdisable
                \thost 10.21.3.1
                }
                service www {
                \tvirtual host 10.21.9.100 port 80
                \ttable web
                }
                """);
        ControlCommands.Outcome o = ControlCommands.run(two, MessageType.CTL_HOST_DISABLE, CtlId.parse("10.21.3.1"));
        assertEquals("host name 10.21.3.1 is ambiguous (id 0 in table web, id 1 in table spare); use its id",
                o.failure());
    }

    /** A host is named by its address in any spelling, as by its configuration's (probe G). */
    @Test
    void aHostIsNamedByItsAddressInAnySpelling() {
        PfeState s = state("""
                table web {
                \treal port 80
                \tcheck tcp
                \thost fd00::10
                \thost 10.21.3.2
                }
                service www {
                \tvirtual host 10.21.9.100 port 80
                \ttable web
                }
                """);
        assertEquals(null, ControlCommands.run(s, MessageType.CTL_HOST_DISABLE, CtlId.parse("FD00:0::10")).failure());
        assertEquals("host fd00::10 is already disabled",
                ControlCommands.run(s, MessageType.CTL_HOST_DISABLE, CtlId.parse("fd00::10")).failure());
        assertEquals("no such host: fd00::11",
                ControlCommands.run(s, MessageType.CTL_HOST_DISABLE, CtlId.parse("fd00::11")).failure());
        // A part with a leading zero is octal to inet_aton(3) and the BSD tools (010 is 8):
        // not taken as 10.21.3.2, nor is the same in an IPv6 address's IPv4 tail (probe N).
        for (String octal : new String[] {"010.21.3.2", "10.21.03.2", "::ffff:10.021.3.2"}) {
            assertEquals("no such host: " + octal,
                    ControlCommands.run(s, MessageType.CTL_HOST_DISABLE, CtlId.parse(octal)).failure());
        }
        // The IPv4-mapped spelling names the IPv4 host, as in the configuration; a zone names a
        // link no host has (probe AD).
        assertEquals(null, ControlCommands.run(s, MessageType.CTL_HOST_DISABLE, CtlId.parse("::FFFF:0A15:0302")).failure());
        assertEquals("host 10.21.3.2 is already disabled",
                ControlCommands.run(s, MessageType.CTL_HOST_DISABLE, CtlId.parse("::ffff:10.21.3.2")).failure());
        assertEquals("no such host: fd00::10%lo",
                ControlCommands.run(s, MessageType.CTL_HOST_ENABLE, CtlId.parse("fd00::10%lo")).failure());
    }
}
