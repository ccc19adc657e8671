package org.hoststated.relay.udp;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.net.InetSocketAddress;
import org.junit.jupiter.api.Test;

/** A DNS query's close line names its client, as a TCP session's does. */
class PendingQueryTest {
    @Test
    void theCloseLineNamesTheClient() {
        PendingQuery v4 = new PendingQuery(7, new InetSocketAddress("192.0.2.7", 40123), 1, new byte[0], null, 1_000);
        assertEquals("relay dns, session 7 (2500 µs), 192.0.2.7:40123: timed out",
                v4.closeLine("dns", 2_501_000, "timed out"));
        PendingQuery v6 = new PendingQuery(8, new InetSocketAddress("::1", 5353), 1, new byte[0], null, 0);
        assertEquals("relay dns, session 8 (0 µs), [::1]:5353: answered by x", v6.closeLine("dns", 0, "answered by x"));
    }
}
