package org.hoststated.pfe;

import static org.hoststated.pfe.PfeFixtures.host;
import static org.hoststated.pfe.PfeFixtures.report;
import static org.hoststated.pfe.PfeFixtures.state;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.hoststated.core.msg.HostState;
import org.hoststated.pfe.backend.L3Backend;
import org.junit.jupiter.api.Test;

/** A backup table hands its flows back when the main table serves again, however it got there. */
class ServingTablesTest {
    private static final String DNS = """
            l3 backend none
            table dns {
            \treal port 5353
            \tcheck tcp
            \thost 10.21.2.11
            }
            table spare {
            \treal port 5353
            \tcheck tcp
            \thost 10.21.2.21
            }
            service dns {
            \tvirtual host 10.21.9.53 udp port 53
            \ttable dns
            \tbackup table spare
            \tkill states
            }
            """;

    private static final List<String> HANDED_BACK = List.of("host 10.21.2.21 of backup table spare, main table up"
            + " again");

    private static List<String> what(List<L3Backend.StateKill> kills) {
        return kills.stream().map(L3Backend.StateKill::what).toList();
    }

    /** Service dns with its main table down and its backup serving, then disabled; {@code t} saw both. */
    private static PfeState backupServedThenDisabled(ServingTables t) {
        PfeState s = state(DNS);
        report(s, host(s, "spare", "10.21.2.21"), HostState.UP);
        report(s, host(s, "dns", "10.21.2.11"), HostState.DOWN);
        assertEquals(List.of(), t.handBacks(s), "the backup serves");
        s.services.get(0).disabled = true;
        assertEquals(List.of(), t.handBacks(s), "disabled");
        return s;
    }

    @Test
    void theMainTablesReturnTakesTheBackupsFlowsBack() {
        PfeState s = state(DNS);
        ServingTables t = new ServingTables();
        report(s, host(s, "spare", "10.21.2.21"), HostState.UP);
        report(s, host(s, "dns", "10.21.2.11"), HostState.UP);
        assertEquals(List.of(), t.handBacks(s), "the main table serves from the start");
        report(s, host(s, "dns", "10.21.2.11"), HostState.DOWN);
        assertEquals(List.of(), t.handBacks(s), "the backup serves");
        report(s, host(s, "dns", "10.21.2.11"), HostState.UP);
        assertEquals(HANDED_BACK, what(t.handBacks(s)));
        assertEquals(List.of(), t.handBacks(s), "once");
    }

    /** Disabled while the backup served, enabled after the main table came back (probe J of session 57). */
    @Test
    void aServiceDisabledMeanwhileStillTakesThemBack() {
        ServingTables t = new ServingTables();
        PfeState s = backupServedThenDisabled(t);
        report(s, host(s, "dns", "10.21.2.11"), HostState.UP);
        assertEquals(List.of(), t.handBacks(s), "disabled: no table serves");
        s.services.get(0).disabled = false;
        assertEquals(HANDED_BACK, what(t.handBacks(s)));
    }

    /** The backup table renamed by a reload meanwhile (probe K of session 57). */
    @Test
    void aBackupRenamedMeanwhileStillHandsBack() {
        ServingTables t = new ServingTables();
        PfeState s = backupServedThenDisabled(t);
        PfeState renamed = PfeState.build(2, PfeFixtures.config(DNS.replace("spare", "spare2")), s);
        renamed.services.get(0).disabled = false;
        report(renamed, host(renamed, "spare2", "10.21.2.21"), HostState.UP);
        report(renamed, host(renamed, "dns", "10.21.2.11"), HostState.UP);
        assertEquals(List.of("host 10.21.2.21 of backup table spare2, main table up again"),
                what(t.handBacks(renamed)));
    }

    /** Each family is handed back on its own, only the hosts of that family (dual stack). */
    @Test
    void eachFamilyIsHandedBackOnItsOwn() {
        PfeState s = state(PfeFixtures.DUAL);
        PfeFixtures.allUp(s);
        ServingTables t = new ServingTables();
        assertEquals(List.of(), t.handBacks(s));
        report(s, host(s, "mix", "10.21.2.11"), HostState.DOWN);
        assertEquals(List.of(), t.handBacks(s), "the backup serves IPv4, the main table IPv6");
        report(s, host(s, "mix", "fd21:2::11"), HostState.DOWN);
        assertEquals(List.of(), t.handBacks(s), "the backup serves both");
        report(s, host(s, "mix", "fd21:2::11"), HostState.UP);
        assertEquals(List.of("host fd21:2::21 of backup table sorry, main table up again"),
                what(t.handBacks(s)));
        report(s, host(s, "mix", "10.21.2.11"), HostState.UP);
        assertEquals(List.of("host 10.21.2.21 of backup table sorry, main table up again"), what(t.handBacks(s)));
    }
}
