package org.hoststated.pfe.backend;

import static org.hoststated.pfe.backend.Redirects.ip;
import static org.hoststated.pfe.backend.Redirects.tcp;
import static org.hoststated.pfe.backend.Redirects.udp;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Test;

/** Which connection tracking entries belong to a service's flows towards a host. */
class ConntrackStatesTest {
    /**
     * Service www: 10.21.9.100 port 80, 10.21.9.102 port 81 and 10.21.9.103 udp port 81, host
     * 10.21.2.12 port 8080 down.
     */
    private static final L3Backend.StateKill KILL = new L3Backend.StateKill("www",
            List.of(tcp("10.21.9.100", 80, null), tcp("10.21.9.102", 81, "em0"), udp("10.21.9.103", 81, null)),
            ip("10.21.2.12"), 8080, "down");

    private static ConntrackEntry entry(int proto, String vip, int vport, String host, int hport) {
        return entry(proto, vip, vport, host, hport, proto == 6 ? 3 : -1);
    }

    private static ConntrackEntry entry(int proto, String vip, int vport, String host, int hport, int tcpState) {
        return new ConntrackEntry(new ConntrackEntry.Tuple(ip("10.21.1.2"), ip(vip), proto, 40000, vport),
                new ConntrackEntry.Tuple(ip(host), ip("10.21.1.2"), proto, hport, 40000), 1, 0, tcpState);
    }

    /**
     * Without {@code kill states}, a host that goes down loses the entries of its TCP
     * connections that carry nothing any more, by the kernel's TCP state (enum tcp_conntrack):
     * a client reconnecting from the same port met such an entry and was sent to the failed
     * host (probe D). Live ones, and UDP flows, stay.
     */
    @ParameterizedTest(name = "state {0}: {1}")
    @org.junit.jupiter.params.provider.CsvSource({"1,true", "2,true", "3,false", "4,false", "5,false", "6,false",
        "7,true", "8,true", "9,true"})
    void withoutKillStatesOnlyClosedOrUnansweredTcpEntriesGo(int state, boolean cut) {
        L3Backend.StateKill closed = L3Backend.StateKill.closedTo("www", KILL.virtuals(), ip("10.21.2.12"), 8080);
        assertEquals(cut, ConntrackStates.belongs(entry(6, "10.21.9.100", 80, "10.21.2.12", 8080, state), closed));
        assertEquals(false, ConntrackStates.belongs(entry(6, "10.21.9.100", 80, "10.21.2.11", 8080, state), closed),
                "another host's");
        assertEquals(false, ConntrackStates.belongs(entry(17, "10.21.9.103", 81, "10.21.2.12", 8080), closed), "UDP");
        assertEquals(true, ConntrackStates.belongs(entry(6, "10.21.9.100", 80, "10.21.2.12", 8080, state), KILL),
                "with kill states, every state");
    }

    /**
     * A first write's kill of what a previous run's rules left: every redirected flow through
     * the virtual host but those its rule sends on to the hosts kept; never one the virtual
     * address answered itself (not redirected).
     */
    @Test
    void strayFlowsAreThoseRedirectedToAnyOtherHostOrPort() {
        L3Backend.StateKill strays = L3Backend.StateKill.strays("www", tcp("10.21.9.100", 80, null),
                List.of(ip("10.21.2.11")), 8080, false);
        assertEquals(true, ConntrackStates.belongs(entry(6, "10.21.9.100", 80, "10.21.2.12", 8080), strays), "other host");
        assertEquals(true, ConntrackStates.belongs(entry(6, "10.21.9.100", 80, "10.21.2.11", 8081), strays), "other port");
        assertEquals(false, ConntrackStates.belongs(entry(6, "10.21.9.100", 80, "10.21.2.11", 8080), strays), "kept");
        assertEquals(false, ConntrackStates.belongs(entry(6, "10.21.9.100", 80, "10.21.9.100", 80), strays),
                "not redirected");
        assertEquals(false, ConntrackStates.belongs(entry(6, "10.21.9.101", 80, "10.21.2.12", 8080), strays),
                "another virtual host");
    }

    static Stream<Arguments> entries() {
        return Stream.of(
                Arguments.of("redirected by www to the host", entry(6, "10.21.9.100", 80, "10.21.2.12", 8080), true),
                Arguments.of("www's second virtual host", entry(6, "10.21.9.102", 81, "10.21.2.12", 8080), true),
                Arguments.of("to another host of www", entry(6, "10.21.9.100", 80, "10.21.2.11", 8080), false),
                Arguments.of("another service's address", entry(6, "10.21.9.101", 80, "10.21.2.12", 8080), false),
                Arguments.of("another port of the virtual address", entry(6, "10.21.9.100", 81, "10.21.2.12", 8080), false),
                Arguments.of("another port of the host", entry(6, "10.21.9.100", 80, "10.21.2.12", 9090), false),
                Arguments.of("UDP to a tcp virtual host", entry(17, "10.21.9.100", 80, "10.21.2.12", 8080), false),
                Arguments.of("UDP to www's udp virtual host", entry(17, "10.21.9.103", 81, "10.21.2.12", 8080), true),
                Arguments.of("TCP to a udp virtual host", entry(6, "10.21.9.103", 81, "10.21.2.12", 8080), false),
                Arguments.of("UDP to another host of www", entry(17, "10.21.9.103", 81, "10.21.2.11", 8080), false),
                Arguments.of("the relay's or a check's own connection", entry(6, "10.21.2.12", 8080, "10.21.2.12", 8080),
                        false));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("entries")
    void belongs(String what, ConntrackEntry e, boolean expected) {
        assertEquals(expected, ConntrackStates.belongs(e, KILL), what);
    }

    @Test
    void oneListingServesEveryKillAndOnlyMatchesAreDeleted() throws Exception {
        List<List<ConntrackEntry>> deleted = new ArrayList<>();
        int[] lists = {0};
        Conntrack fake = new Conntrack() {
            @Override
            List<ConntrackEntry> list(java.util.function.Predicate<ConntrackEntry> keep,
                    java.util.function.BooleanSupplier stopping) {
                lists[0]++;
                return entries().map(a -> (ConntrackEntry) a.get()[1]).filter(keep).toList();
            }

            @Override
            int delete(List<ConntrackEntry> entries, java.util.function.BooleanSupplier stopping) {
                deleted.add(entries);
                return entries.size();
            }
        };
        L3Backend.StateKill other = new L3Backend.StateKill("www", KILL.virtuals(), ip("10.21.2.13"), 8080, "removed");
        int[] killed = new ConntrackStates(fake).kill(List.of(KILL, other), () -> false);
        assertArrayEquals(new int[] {3, 0}, killed);
        assertEquals(1, lists[0]);
        assertEquals(1, deleted.size(), "nothing to delete asks nothing of the kernel");
    }
}
