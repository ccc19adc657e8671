package org.hoststated.pfe;

import static org.hoststated.pfe.PfeFixtures.host;
import static org.hoststated.pfe.PfeFixtures.report;
import static org.hoststated.pfe.PfeFixtures.state;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.List;
import org.hoststated.core.config.IpProtocol;
import org.hoststated.core.msg.HostState;
import org.hoststated.pfe.backend.L3Backend;
import org.junit.jupiter.api.Test;

/**
 * What a reload cuts with {@code kill states} beyond the hosts it removes: the flows of a
 * service it removes or renames, and of a virtual host a service loses (address, port or
 * protocol changed, or dropped), decided by the setting the service had before the reload;
 * never the flows the new rules still send to the same host through the same virtual host.
 */
class StateKillsTest {
    /** Service dns on tcp and udp 10.21.9.53 port 53, hosts .11 and .12 up, .13 down. */
    private static final String DNS = """
            l3 backend none
            table dns {
            \treal port 5353
            \tcheck tcp
            \thost 10.21.2.11
            \thost 10.21.2.12
            \thost 10.21.2.13
            }
            table spare {
            \treal port 5353
            \tcheck tcp
            \thost 10.21.2.21
            }
            service dns {
            \tvirtual host 10.21.9.53 port 53
            \tvirtual host 10.21.9.53 udp port 53
            \ttable dns
            \tkill states
            }
            """;
    private static final String UP = "[/10.21.2.11, /10.21.2.12]";
    /** DNS without service dns: a configuration needs a service. */
    private static final String WITHOUT = DNS.substring(0, DNS.indexOf("service dns")) + """
            service other {
            \tvirtual host 10.21.9.99 port 80
            \ttable spare
            }
            """;

    private static PfeState before(String text) {
        PfeState s = state(text);
        report(s, host(s, "dns", "10.21.2.11"), HostState.UP);
        report(s, host(s, "dns", "10.21.2.12"), HostState.UP);
        report(s, host(s, "dns", "10.21.2.13"), HostState.DOWN);
        return s;
    }

    private static List<L3Backend.StateKill> reload(String from, String to) {
        PfeState before = before(from);
        return StateKills.removed(before, PfeState.build(2, PfeFixtures.config(to), before));
    }

    /** "what: hosts port" per kill, for one comparison that shows everything on failure. */
    private static List<String> lines(List<L3Backend.StateKill> kills) {
        return kills.stream().map(k -> k.service() + " " + k.what() + ": " + k.hosts() + " " + k.realPort()).toList();
    }

    @Test
    void aServiceRemovedLosesTheFlowsOfEachVirtualHostToItsUpHosts() {
        assertEquals(List.of("dns virtual host 10.21.9.53:53/tcp removed with its service: " + UP + " 5353",
                "dns virtual host 10.21.9.53:53/udp removed with its service: " + UP + " 5353"),
                lines(reload(DNS, WITHOUT)));
        assertEquals(List.of(), reload(DNS.replace("\tkill states\n", ""), WITHOUT), "without the option, nothing");
    }

    @Test
    void aRenamedServiceKeepsTheFlowsItsNewNameStillSendsToTheSameHosts() {
        assertEquals(List.of(), reload(DNS, DNS.replace("service dns", "service resolver")),
                "same virtual hosts, same table: the flows are where the new rules would send them");
        // Renamed and moved to another table: none of its old hosts is a target any more.
        String moved = DNS.replace("service dns", "service resolver").replace("\ttable dns\n\tkill", "\ttable spare\n\tkill");
        assertEquals(List.of("dns virtual host 10.21.9.53:53/tcp removed with its service: " + UP + " 5353",
                "dns virtual host 10.21.9.53:53/udp removed with its service: " + UP + " 5353"),
                lines(reload(DNS, moved)));
    }

    @Test
    void aVirtualHostChangedOrDroppedLosesItsFlowsAndTheOthersKeepTheirs() {
        assertEquals(List.of("dns virtual host 10.21.9.53:53/udp removed: " + UP + " 5353"),
                lines(reload(DNS, DNS.replace("10.21.9.53 udp port 53", "10.21.9.54 udp port 53"))), "address");
        assertEquals(List.of("dns virtual host 10.21.9.53:53/udp removed: " + UP + " 5353"),
                lines(reload(DNS, DNS.replace("10.21.9.53 udp port 53", "10.21.9.53 udp port 5300"))), "port");
        assertEquals(List.of("dns virtual host 10.21.9.53:53/tcp removed: " + UP + " 5353"),
                lines(reload(DNS, DNS.replace("\tvirtual host 10.21.9.53 port 53\n", ""))), "one of two dropped");
        String udpOnly = DNS.replace("\tvirtual host 10.21.9.53 port 53\n", "");
        assertEquals(List.of("dns virtual host 10.21.9.53:53/udp removed: " + UP + " 5353"),
                lines(reload(udpOnly, udpOnly.replace(" udp port 53", " port 53"))), "udp to tcp");
        assertEquals(List.of(), reload(DNS, DNS.replace("10.21.9.53 udp port 53", "10.21.9.53 udp port 53 interface lo")),
                "another interface: the same flows are still redirected");
    }

    @Test
    void theSettingBeforeTheReloadDecidesForALostVirtualHost() {
        String moved = DNS.replace("10.21.9.53 udp port 53", "10.21.9.54 udp port 53");
        assertEquals(List.of("dns virtual host 10.21.9.53:53/udp removed: " + UP + " 5353"),
                lines(reload(DNS, moved.replace("\tkill states\n", ""))), "had it, loses it in the same reload");
        assertEquals(List.of(), reload(DNS.replace("\tkill states\n", ""), moved),
                "gets it in the reload: its old flows were made without it");
    }

    @Test
    void aVirtualHostTakenOverByAnotherServiceKeepsTheFlowsToItsHosts() {
        String split = DNS.replace("\tvirtual host 10.21.9.53 udp port 53\n", "") + """
                service udp {
                \tvirtual host 10.21.9.53 udp port 53
                \ttable dns
                }
                """;
        assertEquals(List.of(), reload(DNS, split), "same hosts: nothing to cut");
        assertEquals(List.of("dns virtual host 10.21.9.53:53/udp removed: " + UP + " 5353"),
                lines(reload(DNS, split.replace("\tvirtual host 10.21.9.53 udp port 53\n\ttable dns",
                        "\tvirtual host 10.21.9.53 udp port 53\n\ttable spare"))), "other hosts: cut");
    }

    @Test
    void aHostRemovedWithAVirtualHostIsCutOnce() {
        String both = DNS.replace("\tvirtual host 10.21.9.53 port 53\n", "").replace("\thost 10.21.2.12\n", "");
        assertEquals(List.of("dns host 10.21.2.12 removed: [/10.21.2.12] 5353",
                "dns virtual host 10.21.9.53:53/tcp removed: [/10.21.2.11] 5353"), lines(reload(DNS, both)));
    }

    @Test
    void aDisabledServiceOrHostDrainsThroughAReload() {
        PfeState before = before(DNS);
        before.services.get(0).disabled = true;
        assertEquals(List.of(), StateKills.removed(before, PfeState.build(2, PfeFixtures.config(WITHOUT), before)));
        before = before(DNS);
        host(before, "dns", "10.21.2.12").disabled = true;
        assertEquals(List.of("dns virtual host 10.21.9.53:53/tcp removed with its service: [/10.21.2.11] 5353",
                "dns virtual host 10.21.9.53:53/udp removed with its service: [/10.21.2.11] 5353"),
                lines(StateKills.removed(before, PfeState.build(2, PfeFixtures.config(WITHOUT), before))));
    }

    /**
     * Removal cuts a host drained first (host disable, then a reload without it), and a real
     * port changed by a reload cuts the flows to the old port (probe I of session 57, 5 and 7).
     */
    @Test
    void aDrainedHostRemovedAndARealPortChangedAreCut() {
        PfeState before = before(DNS);
        host(before, "dns", "10.21.2.12").disabled = true;
        assertEquals(List.of("dns host 10.21.2.12 removed: [/10.21.2.12] 5353"), lines(StateKills.removed(before,
                PfeState.build(2, PfeFixtures.config(DNS.replace("\thost 10.21.2.12\n", "")), before))));
        assertEquals(List.of("dns host 10.21.2.11 port 5353 replaced by 5300: [/10.21.2.11] 5353",
                "dns host 10.21.2.12 port 5353 replaced by 5300: [/10.21.2.12] 5353",
                "dns host 10.21.2.13 port 5353 replaced by 5300: [/10.21.2.13] 5353"),
                lines(reload(DNS, DNS.replace("real port 5353\n\tcheck tcp\n\thost 10.21.2.11",
                        "real port 5300\n\tcheck tcp\n\thost 10.21.2.11"))));
    }

    /**
     * At its first write a pfe cuts what rules it never saw sent to hosts its own leave out:
     * every flow through each virtual host but those to the up hosts (added as the rules are
     * written), the disabled ones and the ones not checked yet (probe I of session 57, 1: a
     * host that failed while the daemon restarted kept its flows for ever).
     */
    @Test
    void theFirstWriteCutsAPreviousRunsFlowsToHostsTheRulesLeaveOut() throws UnknownHostException {
        PfeState s = state(DNS);
        report(s, host(s, "dns", "10.21.2.11"), HostState.UP);
        report(s, host(s, "dns", "10.21.2.12"), HostState.DOWN);
        host(s, "dns", "10.21.2.13").disabled = true;
        List<L3Backend.StateKill> kills = StateKills.stillGone(StateKills.leftBehind(s), s.redirects());
        assertEquals(List.of("dns virtual host 10.21.9.53:53/tcp: flows of a previous run to hosts its rule leaves out:"
                        + " [/10.21.2.13, /10.21.2.11] 5353",
                "dns virtual host 10.21.9.53:53/udp: flows of a previous run to hosts its rule leaves out:"
                        + " [/10.21.2.13, /10.21.2.11] 5353"), lines(kills));
        L3Backend.StateKill k = kills.get(0);
        assertTrue(k.takes(ip("10.21.2.12"), 5353), "down");
        assertTrue(k.takes(ip("10.21.2.99"), 5353), "not in this configuration");
        assertTrue(k.takes(ip("10.21.2.11"), 53), "another port");
        assertFalse(k.takes(ip("10.21.2.11"), 5353), "up, in the rule");
        assertFalse(k.takes(ip("10.21.2.13"), 5353), "disabled: drains");
        assertFalse(k.closedOnly());
        assertTrue(StateKills.leftBehind(state(DNS.replace("\tkill states\n", ""))).stream()
                .allMatch(L3Backend.StateKill::closedOnly), "without the option, what carries no live connection");
    }

    /** A backup table's flows go back with kill states when the main table is up again (probe I, 6). */
    @Test
    void aBackupTableHandsItsFlowsBack() {
        PfeState s = state(DNS.replace("\ttable dns\n", "\ttable dns\n\tbackup table spare\n"));
        assertEquals(List.of("dns host 10.21.2.21 of backup table spare, main table up again: [/10.21.2.21] 5353"),
                lines(StateKills.handedBack(s.services.get(0), false)));
        assertEquals(List.of(), StateKills.handedBack(s.services.get(0), true), "no IPv6 host");
        assertEquals(List.of(), StateKills.handedBack(state(DNS).services.get(0), false), "no backup table");
    }

    @Test
    void aKillLeavesOutTheFlowsTheWrittenRulesStillSendTheSameWay() throws UnknownHostException {
        L3Backend.Virtual udp = new L3Backend.Virtual(ip("10.21.9.53"), IpProtocol.UDP, 53, null);
        L3Backend.Virtual tcp = new L3Backend.Virtual(ip("10.21.9.53"), IpProtocol.TCP, 53, null);
        L3Backend.StateKill lost = L3Backend.StateKill.ofVirtual("dns", udp, List.of(ip("10.21.2.11"), ip("10.21.2.12")),
                5353, "removed");
        L3Backend.Redirect takesOver = new L3Backend.Redirect("other", List.of(udp), List.of(ip("10.21.2.12")),
                5353, false, null);
        L3Backend.StateKill left = lost.outside(List.of(takesOver));
        assertEquals(List.of(ip("10.21.2.11")), left.hosts(), "the host the other service sends it to stays");
        assertEquals("virtual host 10.21.9.53:53/udp removed", left.what());
        assertSame(lost, lost.outside(List.of(new L3Backend.Redirect("other", List.of(udp),
                List.of(ip("10.21.2.12")), 53, false, null))), "to another port: not the same flows");
        L3Backend.StateKill down = new L3Backend.StateKill("dns", List.of(tcp, udp), ip("10.21.2.12"), 5353, "down");
        assertEquals(List.of(tcp), down.outside(List.of(takesOver)).virtuals());
        assertNull(lost.outside(List.of(new L3Backend.Redirect("dns", List.of(tcp, udp),
                List.of(ip("10.21.2.11"), ip("10.21.2.12")), 5353, false, null))));
        // IPv6 in its short form, as the configuration and the relay's log lines write it.
        assertEquals("virtual host [fd21::9:53]:53/udp removed", L3Backend.StateKill.ofVirtual("dns",
                new L3Backend.Virtual(ip("fd21::9:53"), IpProtocol.UDP, 53, null), List.of(), 5353, "removed").what());
        assertEquals("host fd21::12 down", new L3Backend.StateKill("dns", List.of(udp), ip("fd21:0::12"), 5353,
                "down").what());
        assertThrows(IllegalArgumentException.class, () -> new L3Backend.StateKill("dns", List.of(tcp, udp),
                List.of(ip("10.21.2.11"), ip("10.21.2.12")), 5353, "both"));
    }

    private static InetAddress ip(String a) throws UnknownHostException {
        return InetAddress.getByName(a);
    }
}
