package org.hoststated.relay.lb;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.hoststated.core.hash.Hash32;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class SchedulerTest {
    static InetSocketAddress addr(String ip, int port) throws Exception {
        return new InetSocketAddress(InetAddress.getByName(ip), port);
    }

    static List<TargetHost> hosts(int n) throws Exception {
        List<TargetHost> l = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            l.add(new TargetHost(i + 1, "h" + (i + 1), addr("10.0.0." + (i + 1), 80), 0));
        }
        return l;
    }

    @ParameterizedTest
    @CsvSource({"'', 5381", "a, 177670", "ab, 5863208"})
    void hash32IsDjb2From5381(String s, long expected) {
        assertEquals((int) expected, Hash32.str(s, Hash32.INIT));
    }

    @Test
    void hash32WrapsAsUnsigned32() {
        int h = Hash32.str("a fairly long relay and table name to overflow", Hash32.INIT);
        long ref = 5381;
        for (byte b : "a fairly long relay and table name to overflow".getBytes()) {
            ref = (ref * 33 + (b & 0xff)) & 0xffffffffL;
        }
        assertEquals((int) ref, h);
    }

    @Test
    void roundRobinMovesPastTheChosenHostAndSkipsDownOnes() throws Exception {
        List<TargetHost> h = hosts(4);
        HostSelector sel = new HostSelector(new RoundRobin(), false, RelayHosts.of(h, t -> t.id() != 2));
        InetSocketAddress c = addr("192.0.2.1", 1000);
        InetSocketAddress l = addr("192.0.2.100", 80);
        List<Integer> got = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            got.add(sel.select(c, l).id());
        }
        assertEquals(List.of(1, 3, 4, 1, 3, 4), got);
    }

    @Test
    void loadBalanceKeepsAClientOnOneHostAndSpreadsClients() throws Exception {
        List<TargetHost> h = hosts(4);
        HostSelector sel = new HostSelector(new LoadBalance(), false, Hash32.relayKey("www", "webhosts"),
                RelayHosts.allUsable(h));
        InetSocketAddress l = addr("192.0.2.100", 80);
        Set<Integer> used = new HashSet<>();
        for (int i = 1; i <= 50; i++) {
            InetSocketAddress c = addr("198.51.100." + i, 40000 + i);
            int first = sel.select(c, l).id();
            assertEquals(first, sel.select(addr("198.51.100." + i, 2000), l).id(), "client port must not matter");
            used.add(first);
        }
        assertEquals(4, used.size());
    }

    @Test
    void loadBalanceIndexIsTheMixedHashModuloHostCount() throws Exception {
        int key = Hash32.relayKey("www", "webhosts");
        InetSocketAddress c = addr("198.51.100.7", 5555);
        InetSocketAddress l = addr("192.0.2.100", 8080);
        long p = key & 0xffffffffL;
        for (byte b : new byte[] {(byte) 198, 51, 100, 7, (byte) 192, 0, 2, 100, (byte) (8080 >> 8), (byte) (8080 & 0xff)}) {
            p = (p * 33 + (b & 0xff)) & 0xffffffffL;
        }
        assertEquals(Integer.remainderUnsigned(Hash32.mix((int) p), 5), new LoadBalance().start(5, c, l, key));
    }

    /**
     * The djb2 hash's low bits are the sum of the bytes: taken modulo 4 hosts as relay.c took
     * it, a value and its upper-case form (30 of 30 in a probe), or any two values of the same
     * bytes in another order, always went to the same host.
     */
    @Test
    void hashValuesThatDifferInCaseOrOrderSpread() throws Exception {
        int relayKey = Hash32.relayKey("r", "t");
        InetSocketAddress l = addr("192.0.2.100", 80);
        int same = 0;
        for (int i = 0; i < 200; i++) {
            String v = "sess" + Integer.toHexString(i * 7919 + 4242) + "abc";
            int lower = new Hash().start(4, null, l, Hash32.str(v, relayKey));
            int upper = new Hash().start(4, null, l, Hash32.str(v.toUpperCase(java.util.Locale.ROOT), relayKey));
            int reversed = new Hash().start(4, null, l,
                    Hash32.str(new StringBuilder(v).reverse().toString(), relayKey));
            same += (lower == upper ? 1 : 0) + (lower == reversed ? 1 : 0);
        }
        // About a quarter of 400 pairs by chance; all 400 before.
        assertTrue(same > 50 && same < 150, same + " of 400 pairs on the same host");
    }

    @Test
    void hashIgnoresTheClient() throws Exception {
        HostSelector sel = new HostSelector(new Hash(), false, Hash32.relayKey("r", "t"), RelayHosts.allUsable(hosts(5)));
        InetSocketAddress l = addr("192.0.2.100", 80);
        int first = sel.select(addr("198.51.100.1", 1), l).id();
        for (int i = 2; i < 30; i++) {
            assertEquals(first, sel.select(addr("198.51.100." + i, i), l).id());
        }
    }

    @Test
    void hashActionValuesChooseTheHost() throws Exception {
        int relayKey = Hash32.relayKey("r", "t");
        HostSelector sel = new HostSelector(new Hash(), false, relayKey, RelayHosts.allUsable(hosts(5)));
        assertEquals(relayKey, sel.hashKey());
        InetSocketAddress l = addr("192.0.2.100", 80);
        Set<Integer> used = new HashSet<>();
        for (int i = 0; i < 40; i++) {
            int key = Hash32.str("session-" + i, sel.hashKey());
            int first = sel.select(addr("198.51.100.1", 1), l, key).id();
            assertEquals(first, sel.select(addr("198.51.100.2", 2), l, key).id(), "same value, same host");
            used.add(first);
        }
        assertEquals(5, used.size(), "different values spread");
        assertEquals(sel.select(addr("198.51.100.1", 1), l).id(),
                sel.select(addr("198.51.100.1", 1), l, relayKey).id());
    }

    @Test
    void downChoiceScansForwardThenFromTheStart() throws Exception {
        List<TargetHost> h = hosts(4);
        Scheduler fixedAt2 = (n, c, l, k) -> 2;
        InetSocketAddress a = addr("192.0.2.1", 1);
        assertEquals(4, new HostSelector(fixedAt2, false, RelayHosts.of(h, t -> t.id() != 3)).select(a, a).id());
        assertEquals(1, new HostSelector(fixedAt2, false, RelayHosts.of(h, t -> t.id() <= 2 && t.id() != 2))
                .select(a, a).id());
        assertNull(new HostSelector(fixedAt2, false, RelayHosts.of(h, t -> false)).select(a, a));
        assertEquals(3, new HostSelector(fixedAt2, true, RelayHosts.of(h, t -> false)).select(a, a).id());
    }

    /**
     * When a host goes down, only its clients move, and they spread over the hosts still up:
     * relay.c's forward scan gave them all to the next host (with 4 hosts, that one then
     * carried twice its share). They come back when it is up again.
     */
    @Test
    void loadBalanceSpreadsTheClientsOfAHostThatIsDown() throws Exception {
        List<TargetHost> h = hosts(4);
        int key = Hash32.relayKey("www", "webhosts");
        InetSocketAddress l = addr("192.0.2.100", 80);
        HostSelector all = new HostSelector(new LoadBalance(), false, key, RelayHosts.allUsable(h));
        HostSelector threeUp = new HostSelector(new LoadBalance(), false, key, RelayHosts.of(h, t -> t.id() != 2));
        int[] movedTo = new int[5];
        int moved = 0;
        for (int i = 0; i < 1000; i++) {
            InetSocketAddress c = addr("10." + (i >> 8) + "." + (i & 0xff) + ".7", 1000);
            int before = all.select(c, l).id();
            int after = threeUp.select(c, l).id();
            if (before != 2) {
                assertEquals(before, after, "a client of a host still up stays");
            } else {
                moved++;
                movedTo[after]++;
            }
        }
        assertTrue(moved > 150, "moved " + moved);
        for (int id : new int[] {1, 3, 4}) {
            assertTrue(movedTo[id] > moved / 5, "host " + id + " took " + movedTo[id] + " of " + moved);
        }
    }

    @Test
    void hashSpreadsTheValuesOfAHostThatIsDown() throws Exception {
        List<TargetHost> h = hosts(4);
        InetSocketAddress a = addr("192.0.2.1", 1);
        HostSelector all = new HostSelector(new Hash(), false, RelayHosts.allUsable(h));
        HostSelector twoUp = new HostSelector(new Hash(), false, RelayHosts.of(h, t -> t.id() == 1 || t.id() == 4));
        Set<Integer> movedTo = new HashSet<>();
        for (int i = 0; i < 400; i++) {
            int key = Hash32.str("user-" + i, Hash32.INIT);
            int before = all.select(a, a, key).id();
            int after = twoUp.select(a, a, key).id();
            assertTrue(after == 1 || after == 4);
            if (before == 1 || before == 4) {
                assertEquals(before, after);
            } else {
                movedTo.add(after);
            }
        }
        assertEquals(Set.of(1, 4), movedTo, "the values of both hosts down spread over both up");
    }

    /**
     * A value whose host is down keeps the host it moved to while that one is up, whatever
     * the others do: its place among the hosts up, by their count, moved 45 of 112 values of a
     * down host between two hosts that stayed up when a third went down, and back when it
     * came up (probe B). With the same up hosts, the same choice.
     */
    @ParameterizedTest
    @CsvSource({"hash", "loadbalance"})
    void aMovedValueStaysWhereItWentWhileThatHostIsUp(String mode) throws Exception {
        List<TargetHost> h = hosts(4);
        InetSocketAddress l = addr("192.0.2.100", 80);
        Scheduler s = mode.equals("hash") ? new Hash() : new LoadBalance();
        HostSelector all = new HostSelector(s, false, RelayHosts.allUsable(h));
        HostSelector threeDown = new HostSelector(s, false, RelayHosts.of(h, t -> t.id() != 3));
        HostSelector fourDownToo = new HostSelector(s, false, RelayHosts.of(h, t -> t.id() <= 2));
        int stayed = 0;
        for (int i = 0; i < 2000; i++) {
            InetSocketAddress c = addr("10." + (i >> 8) + "." + (i & 0xff) + ".7", 1000);
            int key = Hash32.str("user-" + i, Hash32.INIT);
            if (all.select(c, l, key).id() != 3) {
                continue;
            }
            int first = threeDown.select(c, l, key).id();
            int then = fourDownToo.select(c, l, key).id();
            if (first != 4) {
                assertEquals(first, then, "a value of host 3 on host " + first + " moved when host 4 went down");
                stayed++;
            }
            assertEquals(first, threeDown.select(c, l, key).id(), "host 4 back up");
        }
        assertTrue(stayed > 100, "stayed " + stayed);
    }

    /** {@code no check} ignores the checks, not hoststatectl's host or table disable. */
    @Test
    void noCheckSkipsAHostTheOperatorDisabled() throws Exception {
        List<TargetHost> h = hosts(3);
        Scheduler fixedAt1 = (n, c, l, k) -> 1;
        InetSocketAddress a = addr("192.0.2.1", 1);
        HostSelector sel = new HostSelector(fixedAt1, true, RelayHosts.of(h, t -> false, t -> false, t -> t.id() == 2));
        assertEquals(3, sel.select(a, a).id());
        assertFalse(sel.accepts(h.get(1)));
        assertTrue(sel.accepts(h.get(0)), "a host down but enabled still takes sessions");
        assertEquals(1, sel.connectRetries(h.get(0)), "only the other enabled host");
        assertNull(new HostSelector(fixedAt1, true, RelayHosts.of(h, t -> false, t -> false, t -> true)).select(a, a));
    }

    @Test
    void aSessionThatFailsOverTriesEachOtherUpHostOnce() throws Exception {
        List<TargetHost> h = hosts(5);
        HostSelector sel = new HostSelector(new RoundRobin(), false, RelayHosts.of(h, t -> t.id() != 3));
        for (int session = 0; session < 6; session++) {
            Failover way = sel.failover(h.get(1));
            Set<Integer> tried = new HashSet<>();
            for (TargetHost next = way.next(); next != null; next = way.next()) {
                assertTrue(tried.add(next.id()), "host " + next.id() + " tried twice");
            }
            assertEquals(Set.of(1, 4, 5), tried, "each other host up, once");
        }
    }

    /**
     * relay.c went on from the failed host, so the host after it took all of its sessions
     * until the checks said it was down: twice its share (probe D).
     */
    @Test
    void theSessionsOfAFailedHostSpreadOverTheOthers() throws Exception {
        List<TargetHost> h = hosts(4);
        HostSelector sel = new HostSelector(new RoundRobin(), false, RelayHosts.allUsable(h));
        Map<Integer, Integer> firstHop = new HashMap<>();
        for (int session = 0; session < 300; session++) {
            firstHop.merge(sel.failover(h.get(1)).next().id(), 1, Integer::sum);
        }
        assertEquals(Map.of(1, 100, 3, 100, 4, 100), firstHop);
    }

    @Test
    void aSingleHostIsRetriedItselfAsItsRetrySays() throws Exception {
        TargetHost only = new TargetHost(1, "h1", addr("10.0.0.1", 80), 2);
        Failover way = HostSelector.fixed(only).failover(only);
        assertEquals(only, way.next());
        assertEquals(only, way.next());
        assertNull(way.next());
        HostSelector down = new HostSelector(new RoundRobin(), false, RelayHosts.of(List.of(only), t -> false));
        assertNull(down.failover(only).next(), "no host may take the session");
    }

    /** A try on the same host waits 250 ms, doubled each time up to 1 s; one on another host none. */
    @Test
    void aTryOnTheSameHostWaitsAndOneOnAnotherDoesNot() throws Exception {
        TargetHost only = new TargetHost(1, "h1", addr("10.0.0.1", 80), 5);
        TargetHost other = new TargetHost(2, "h2", addr("10.0.0.2", 80), 0);
        Failover way = HostSelector.fixed(only).failover(only);
        assertEquals(0, way.waitMillis(other, only));
        assertEquals(250, way.waitMillis(only, only));
        assertEquals(500, way.waitMillis(only, only));
        assertEquals(1000, way.waitMillis(only, only));
        assertEquals(1000, way.waitMillis(only, only));
    }

    @Test
    void aFailedConnectInATableIsTriedOnEachOtherUsableHostUpToThree() throws Exception {
        List<TargetHost> h = hosts(6);
        HostSelector twoUp = new HostSelector(new RoundRobin(), false, RelayHosts.of(h, t -> t.id() <= 2));
        assertEquals(1, twoUp.connectRetries(h.get(0)));
        assertEquals(2, twoUp.connectRetries(h.get(3)), "the failed host was not up: both up hosts");
        HostSelector allUp = new HostSelector(new RoundRobin(), false, RelayHosts.allUsable(h));
        assertEquals(HostSelector.FAILOVER_TRIES, allUp.connectRetries(h.get(0)));
        TargetHost patient = new TargetHost(1, "h1", h.get(0).address(), 5);
        assertEquals(5, allUp.connectRetries(patient), "the host's own retry when it says more");
        TargetHost fixed = new TargetHost(-1, "f", h.get(0).address(), 0);
        assertEquals(0, HostSelector.fixed(fixed).connectRetries(fixed));
    }

    @Test
    void emptyTableHasNoHost() throws Exception {
        HostSelector sel = new HostSelector(new RoundRobin(), true, RelayHosts.allUsable(List.of()));
        InetSocketAddress a = addr("192.0.2.1", 1);
        assertNull(sel.select(a, a));
    }
}
