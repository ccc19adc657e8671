package org.hoststated.pfe;

import static org.hoststated.pfe.PfeFixtures.host;
import static org.hoststated.pfe.PfeFixtures.report;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.hoststated.core.msg.HostState;
import org.hoststated.pfe.backend.CommandRunner;
import org.hoststated.pfe.backend.ConntrackProbe;
import org.hoststated.pfe.backend.L3Backend;
import org.hoststated.pfe.backend.L3Backends;
import org.hoststated.pfe.backend.NftBackend;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A reload's {@code kill states} against the real kernel: pfe's state before and after a
 * reload ({@link StateKills}), the nftables backend and connection tracking, in a network
 * namespace of its own (root, nft and nf_conntrack_netlink needed; skipped otherwise). One
 * namespace holds everything: UDP echo hosts on 10.21.2.11 and .12 (on lo), and clients on
 * 10.21.1.2 that send to virtual addresses routed out of a veth, which the backend's nat output
 * chain DNATs to a host. A client keeps its source port, so its flow is one conntrack entry for
 * as long as it sends. The reload removes service gone (kill states), moves service moved's
 * (kill states) virtual host .101 to .103 and keeps its .102, and removes service keeping
 * (without the option, the control case).
 */
class ReloadKillsNetnsTest {
    @RegisterExtension
    static final L3Namespace L3 = new L3Namespace("reload", "rk");
    private static final String NS = L3.name;
    private static final String TABLE = """
            l3 backend none
            table dns {
            \treal port 5353
            \tcheck tcp
            \thost 10.21.2.11
            \thost 10.21.2.12
            }
            """;
    private static final String BEFORE = TABLE + """
            service gone {
            \tvirtual host 10.21.9.100 udp port 53
            \ttable dns
            \tkill states
            }
            service moved {
            \tvirtual host 10.21.9.101 udp port 53
            \tvirtual host 10.21.9.102 udp port 53
            \ttable dns
            \tkill states
            }
            service keeping {
            \tvirtual host 10.21.9.104 udp port 53
            \ttable dns
            }
            """;
    private static final String AFTER = TABLE + """
            service moved {
            \tvirtual host 10.21.9.103 udp port 53
            \tvirtual host 10.21.9.102 udp port 53
            \ttable dns
            \tkill states
            }
            """;
    private static final List<String> VIPS = List.of("10.21.9.100", "10.21.9.101", "10.21.9.102", "10.21.9.104");
    /** The last services: one with kill states, one without (the control case). */
    private static final String LAST = TABLE + """
            service last {
            \tvirtual host 10.21.9.110 udp port 53
            \ttable dns
            \tkill states
            }
            service plain {
            \tvirtual host 10.21.9.111 udp port 53
            \ttable dns
            }
            """;
    /** Relays only: pfe replaces its backend with none. */
    private static final String RELAYS_ONLY = """
            l3 backend none
            relay r {
            \tlisten on 127.0.0.1 port 5300
            \tforward to 127.0.0.1 port 80
            }
            """;
    private static final List<String> LAST_VIPS = List.of("10.21.9.110", "10.21.9.111");

    /** Generation 1 of {@code text}, both hosts of table dns up. */
    private static PfeState bothUp(String text) {
        PfeState s = PfeState.build(1, PfeFixtures.config(text), null);
        report(s, host(s, "dns", "10.21.2.11"), HostState.UP);
        report(s, host(s, "dns", "10.21.2.12"), HostState.UP);
        return s;
    }

    private static CommandRunner.Result sh(String command) throws Exception {
        return Netns.sh(command);
    }

    @Test
    void aReloadCutsTheUdpFlowsOfARemovedServiceAndOfAMovedVirtualHostOnly() throws Exception {
        PfeState before = bothUp(BEFORE);
        List<DatagramSocket> open = new ArrayList<>();
        NftBackend backend = echoesAndBackend("hskreload", false, open);
        try {
            backend.apply(before.redirects(), List.of(), System.nanoTime());
            assertTrue(backend.awaitApplied(10_000));
            Map<String, DatagramSocket> clients = new LinkedHashMap<>();
            Map<String, String> answered = connectAndAsk(VIPS, clients, open);
            Map<String, String> entries = flowsTo(VIPS);
            assertEquals(VIPS.stream().map(v -> v + ":53").toList(), List.copyOf(entries.keySet()), entries.toString());

            PfeState after = PfeState.build(2, PfeFixtures.config(AFTER), before);
            List<L3Backend.Redirect> redirects = after.redirects();
            List<L3Backend.StateKill> kills = StateKills.stillGone(StateKills.removed(before, after), redirects);
            assertEquals(List.of("gone: virtual host 10.21.9.100:53/udp removed with its service",
                    "moved: virtual host 10.21.9.101:53/udp removed"),
                    kills.stream().map(k -> k.service() + ": " + k.what()).toList());
            backend.apply(redirects, kills, System.nanoTime());
            assertTrue(backend.awaitApplied(10_000));

            Map<String, String> left = flowsTo(VIPS);
            assertEquals(List.of("10.21.9.102:53", "10.21.9.104:53"), List.copyOf(left.keySet()),
                    "the flows of the removed service and of the moved virtual host are cut: " + left);
            assertEquals(entries.get("10.21.9.102:53"), left.get("10.21.9.102:53"), "the kept virtual host's flow is untouched");
            assertEquals(entries.get("10.21.9.104:53"), left.get("10.21.9.104:53"), "so is the one without kill states");

            assertNull(ask(clients.get("10.21.9.100")), "no rule redirects the removed service's client any more");
            assertNull(ask(clients.get("10.21.9.101")), "nor the moved virtual host's");
            assertEquals(answered.get("10.21.9.102"), ask(clients.get("10.21.9.102")), "same host as before");
            assertEquals(answered.get("10.21.9.104"), ask(clients.get("10.21.9.104")),
                    "without kill states the flow outlives its rule on the same host");
            System.out.printf("reload kill states: %d redirected UDP flows, %d cut, %d kept with the same conntrack entry%n",
                    entries.size(), entries.size() - left.size(), left.size());
        } finally {
            L3.netns().run(() -> {
                backend.close();
                return null;
            });
            open.forEach(DatagramSocket::close);
        }
    }

    /** One service with kill states and one without, for {@link #aNewPfeCutsWhatAPreviousRunLeftOnAFailedHost}. */
    private static final String RESTART = TABLE + """
            service cut {
            \tvirtual host 10.21.9.120 udp port 53
            \ttable dns
            \tkill states
            }
            service plain {
            \tvirtual host 10.21.9.121 udp port 53
            \ttable dns
            }
            """;
    private static final List<String> RESTART_VIPS = List.of("10.21.9.120", "10.21.9.121");

    /**
     * The daemon stopped with {@code l3 keep rules} (or killed, or pfe restarted): a client's
     * flow stays on the host the previous run's rule chose. That host fails before the new
     * pfe's first write, which no transition of its own reports (it starts every host
     * unknown): the first write cuts the flow anyway, and the client's next datagram goes to
     * the host that is up (probe I of session 57, high: 120 of 120 answers came from the
     * failed host). Without kill states the flow stays, as the manual says.
     */
    @Test
    void aNewPfeCutsWhatAPreviousRunLeftOnAFailedHost() throws Exception {
        PfeState first = bothUp(RESTART);
        List<DatagramSocket> open = new ArrayList<>();
        NftBackend previous = echoesAndBackend("hskrestart", true, open);
        NftBackend next = null;
        try {
            previous.apply(first.redirects(), List.of(), System.nanoTime());
            assertTrue(previous.awaitApplied(10_000));
            Map<String, DatagramSocket> clients = new LinkedHashMap<>();
            Map<String, String> answered = connectAndAsk(RESTART_VIPS, clients, open);
            Map<String, String> entries = flowsTo(RESTART_VIPS);
            L3.netns().run(() -> {
                previous.close(); // l3 keep rules: the rules and the flows stay
                return null;
            });

            String failed = answered.get("10.21.9.120");
            PfeState started = PfeState.build(1, PfeFixtures.config(RESTART), null);
            for (String h : List.of("10.21.2.11", "10.21.2.12")) {
                report(started, host(started, "dns", h), h.equals(failed) ? HostState.DOWN : HostState.UP);
            }
            next = L3.netns().startNftBackend("hskrestart", false);
            List<L3Backend.Redirect> redirects = started.redirects();
            next.apply(redirects, StateKills.stillGone(StateKills.leftBehind(started), redirects), System.nanoTime());
            assertTrue(next.awaitApplied(10_000));

            Map<String, String> left = flowsTo(RESTART_VIPS);
            assertNull(left.get("10.21.9.120:53"), "the flow to the failed host is cut: " + left);
            String other = failed.equals("10.21.2.11") ? "10.21.2.12" : "10.21.2.11";
            assertEquals(other, ask(clients.get("10.21.9.120")), "the next datagram goes to the host up");
            if (answered.get("10.21.9.121").equals(failed)) {
                assertEquals(entries.get("10.21.9.121:53"), left.get("10.21.9.121:53"), "without kill states: stays");
            }
        } finally {
            NftBackend last = next;
            L3.netns().run(() -> {
                if (last != null) {
                    last.close();
                }
                return null;
            });
            open.forEach(DatagramSocket::close);
        }
    }

    @Test
    void removingTheLastServiceCutsItsUdpFlowsAsItsRulesGo() throws Exception {
        LastServiceRemoved r = removeTheLastService(false, "hsklast");
        assertEquals(List.of("10.21.9.111:53"), List.copyOf(r.left().keySet()),
                "the flow of the service with kill states is cut: " + r.left());
        assertEquals(r.entries().get("10.21.9.111:53"), r.left().get("10.21.9.111:53"), "the other's is untouched");
        assertTrue(!r.tableLeft(), "the rules are removed");
        assertNull(r.after().get("10.21.9.110"), "no rule redirects the cut client any more");
        assertEquals(r.before().get("10.21.9.111"), r.after().get("10.21.9.111"),
                "without kill states the flow outlives its rule on the same host");
        System.out.printf("last service removed: %d redirected UDP flows, %d cut, %d kept with the same conntrack entry%n",
                r.entries().size(), r.entries().size() - r.left().size(), r.left().size());
    }

    @Test
    void removingTheLastServiceWithTheRulesKeptKeepsItsFlows() throws Exception {
        LastServiceRemoved r = removeTheLastService(true, "hsklastkeep");
        try {
            assertTrue(r.tableLeft(), "l3 keep rules: the rules stay");
            for (String vip : LAST_VIPS) {
                assertEquals(r.entries().get(vip + ":53"), r.left().get(vip + ":53"), "the same entry for " + vip);
                assertEquals(r.before().get(vip), r.after().get(vip), "the same host for " + vip);
            }
        } finally {
            sh("ip netns exec " + NS + " nft delete table inet hsklastkeep");
        }
    }

    /**
     * What a reload from {@link #LAST} to {@link #RELAYS_ONLY} did to a client of each service:
     * each client's answer before and after (the host's address, or null), the conntrack
     * entries before and after, and whether the backend's nft table is still there.
     */
    private record LastServiceRemoved(Map<String, String> before, Map<String, String> entries,
            Map<String, String> left, Map<String, String> after, boolean tableLeft) {
    }

    /**
     * Runs {@link #LAST}'s rules in nft table {@code table}, a client on each service, then
     * what pfe does on a reload to {@link #RELAYS_ONLY} (with {@code l3 keep rules} when
     * {@code keep}): {@link StateKills#removed}, then {@link ReplacedBackend#close}.
     */
    private LastServiceRemoved removeTheLastService(boolean keep, String table) throws Exception {
        PfeState before = bothUp(LAST);
        List<DatagramSocket> open = new ArrayList<>();
        // The system's own NAT (a gateway's masquerade to its uplink), which keeps connection
        // tracking and NAT running in the namespace once the daemon's table is gone. Without a
        // rule that needs them, the kernel stops both, and every old flow dies with the table
        // whether cut or not (tried: the control flow is then not answered either).
        CommandRunner.Result system = sh("ip netns exec " + NS + " nft add table ip hsklsystem '{ chain post { "
                + "type nat hook postrouting priority 100; oifname \"uplink0\" masquerade; }; }'");
        assertTrue(system.ok(), system.why());
        try {
            NftBackend backend = echoesAndBackend(table, keep, open);
            backend.apply(before.redirects(), List.of(), System.nanoTime());
            assertTrue(backend.awaitApplied(10_000));
            Map<String, DatagramSocket> clients = new LinkedHashMap<>();
            Map<String, String> answered = connectAndAsk(LAST_VIPS, clients, open);
            Map<String, String> entries = flowsTo(LAST_VIPS);
            assertTrue(LAST_VIPS.stream().allMatch(v -> entries.containsKey(v + ":53")), entries.toString());

            var relaysOnly = PfeFixtures.config(keep ? RELAYS_ONLY + "l3 keep rules\n" : RELAYS_ONLY);
            assertEquals("none", L3Backends.nameFor(relaysOnly), "the reload replaces the backend with none");
            List<L3Backend.StateKill> kills = StateKills.removed(before, PfeState.build(2, relaysOnly, before));
            assertEquals(List.of("last: virtual host 10.21.9.110:53/udp removed with its service"),
                    kills.stream().map(k -> k.service() + ": " + k.what()).toList());
            // As pfe does it: on its (here the namespace's) thread, with the new configuration's setting.
            L3.netns().run(() -> {
                ReplacedBackend.close(backend, relaysOnly.globals().l3KeepRules(), kills);
                return null;
            });

            Map<String, String> left = flowsTo(LAST_VIPS);
            Map<String, String> after = new LinkedHashMap<>();
            clients.forEach((vip, c) -> after.put(vip, ask(c)));
            boolean tableLeft = sh("ip netns exec " + NS + " nft list table inet " + table).ok();
            return new LastServiceRemoved(answered, entries, left, after, tableLeft);
        } finally {
            open.forEach(DatagramSocket::close);
            sh("ip netns exec " + NS + " nft delete table ip hsklsystem");
        }
    }

    /**
     * The conntrack entries of the UDP flows to {@code vips} port 53 ({@link ConntrackProbe#udp}):
     * each test has virtual addresses of its own, and the entries of another test's flows
     * outlive it.
     */
    private static Map<String, String> flowsTo(List<String> vips) throws Exception {
        Map<String, String> all = L3.netns().run(ConntrackProbe::udp);
        all.keySet().removeIf(d -> vips.stream().noneMatch(v -> d.equals(v + ":53")));
        return all;
    }

    /** A UDP echo on {@code host}:5353 that answers with its address; on the namespace's thread. */
    private static DatagramSocket echo(String host) throws IOException {
        DatagramSocket s = new DatagramSocket(new InetSocketAddress(InetAddress.getByName(host), 5353));
        byte[] answer = host.getBytes(StandardCharsets.US_ASCII);
        Thread t = new Thread(() -> {
            byte[] buf = new byte[64];
            while (!s.isClosed()) {
                try {
                    DatagramPacket p = new DatagramPacket(buf, buf.length);
                    s.receive(p);
                    s.send(new DatagramPacket(answer, answer.length, p.getSocketAddress()));
                } catch (IOException e) {
                    // Closed at the end of the test, or one datagram lost: the client asks again.
                }
            }
        }, "echo-" + host);
        t.setDaemon(true);
        t.start();
        return s;
    }

    /** A client of {@code vip} port 53 that keeps one source port; on the namespace's thread. */
    private static DatagramSocket client(String vip) throws IOException {
        DatagramSocket s = new DatagramSocket(new InetSocketAddress(InetAddress.getByName("10.21.1.2"), 0));
        s.connect(new InetSocketAddress(InetAddress.getByName(vip), 53));
        s.setSoTimeout(500);
        return s;
    }

    /** One datagram and the answer (the host's address), or null when none came within 500 ms. */
    private static String ask(DatagramSocket s) {
        try {
            s.send(new DatagramPacket(new byte[] {'x'}, 1));
            byte[] buf = new byte[64];
            DatagramPacket p = new DatagramPacket(buf, buf.length);
            s.receive(p);
            return new String(buf, 0, p.getLength(), StandardCharsets.US_ASCII);
        } catch (SocketTimeoutException e) {
            return null;
        } catch (IOException e) {
            return null;
        }
    }

    /** The two echoing hosts and a started backend for {@code table}, all in the namespace; sockets go to {@code open}. */
    private static NftBackend echoesAndBackend(String table, boolean keep, List<DatagramSocket> open) throws Exception {
        L3.netns().run(() -> {
            for (String h : List.of("10.21.2.11", "10.21.2.12")) {
                open.add(echo(h));
            }
            return null;
        });
        return L3.netns().startNftBackend(table, keep);
    }

    /**
     * A client per virtual address into {@code clients} (and {@code open}), each of which must
     * get an answer from a host; the answers by virtual address.
     */
    private static Map<String, String> connectAndAsk(List<String> vips, Map<String, DatagramSocket> clients,
            List<DatagramSocket> open) throws Exception {
        for (String vip : vips) {
            DatagramSocket c = L3.netns().run(() -> client(vip));
            open.add(c);
            clients.put(vip, c);
        }
        Map<String, String> answered = new LinkedHashMap<>();
        clients.forEach((vip, c) -> answered.put(vip, ask(c)));
        assertTrue(answered.values().stream().allMatch(a -> a != null && a.startsWith("10.21.2.1")),
                "every client answered by a host before the reload: " + answered);
        return answered;
    }
}
