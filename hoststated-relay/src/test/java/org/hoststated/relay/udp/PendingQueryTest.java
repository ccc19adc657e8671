package org.hoststated.relay.udp;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.net.InetSocketAddress;
import org.hoststated.relay.lb.TargetHost;
import org.junit.jupiter.api.Test;

/**
 * A DNS query's close line has a TCP session's form (client -> host, how it ended), so one
 * pattern reads both, with the time it took in milliseconds.
 */
class PendingQueryTest {
    @Test
    void theCloseLineNamesClientAndHostAsATcpSessionsDoes() {
        TargetHost host = new TargetHost(1, "10.0.0.53", new InetSocketAddress("10.0.0.53", 53), 0);
        PendingQuery v4 = new PendingQuery(7, new InetSocketAddress("192.0.2.7", 40123), 1, new byte[0], host, 1_000, 40);
        assertEquals("relay dns, session 7 (2 active), 192.0.2.7:40123 -> 10.0.0.53:53, timeout waiting for the answer"
                + " (2500.0 ms)", v4.closeLine("dns", 2, 2_500_001_000L, "timeout waiting for the answer"));
        PendingQuery v6 = new PendingQuery(8, new InetSocketAddress("::1", 5353), 1, new byte[0], host, 0, 40);
        assertEquals("relay dns, session 8 (0 active), [::1]:5353 -> 10.0.0.53:53, answered (1.6 ms)",
                v6.closeLine("dns", 0, 1_650_000, "answered"));
    }

    /** A query re-sent to another host says which one it left and why, as a TCP session's line does. */
    @Test
    void theCloseLineNamesTheHostsAQueryMovedOff() {
        TargetHost a = new TargetHost(1, "10.0.0.53", new InetSocketAddress("10.0.0.53", 53), 0);
        TargetHost b = new TargetHost(2, "10.0.0.54", new InetSocketAddress("10.0.0.54", 53), 0);
        PendingQuery q = new PendingQuery(7, new InetSocketAddress("192.0.2.7", 40123), 1, new byte[0], a, 0, 40);
        q.movedOff(q.target + ": No route to host");
        q.target = b;
        assertEquals("relay dns, session 7 (0 active), 192.0.2.7:40123 -> 10.0.0.54:53, answered (1.6 ms)"
                + " [moved off: 10.0.0.53:53: No route to host]", q.closeLine("dns", 0, 1_650_000, "answered"));
    }

    @Test
    void aQueryWithoutAHostNamesNone() {
        PendingQuery q = new PendingQuery(9, new InetSocketAddress("192.0.2.7", 40123), 1, new byte[0], null, 0, 40);
        assertEquals("relay dns, session 9 (0 active), 192.0.2.7:40123 -> -, relay stopped (0.0 ms)",
                q.closeLine("dns", 0, 0, "relay stopped"));
    }
}
