package org.hoststated.relay.udp;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import org.junit.jupiter.api.Test;

class SameEndpointTest {
    static InetSocketAddress at(String a, int port) throws Exception {
        return new InetSocketAddress(InetAddress.getByName(a), port);
    }

    @Test
    void same_address_and_port() throws Exception {
        assertTrue(SameEndpoint.test(at("127.24.0.2", 53), at("127.24.0.2", 53)));
        assertTrue(SameEndpoint.test(at("2001:db8::1", 53), at("2001:db8:0::1", 53)));
    }

    @Test
    void an_ipv4_mapped_sender_is_its_ipv4_address() throws Exception {
        byte[] mapped = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, (byte) 0xff, (byte) 0xff, 127, 24, 0, 2};
        InetSocketAddress v6 = new InetSocketAddress(Inet6Address.getByAddress(null, mapped, -1), 53);
        assertTrue(SameEndpoint.test(v6, at("127.24.0.2", 53)));
    }

    @Test
    void another_port_or_address_is_not() throws Exception {
        assertFalse(SameEndpoint.test(at("127.24.0.2", 53), at("127.24.0.2", 54)));
        assertFalse(SameEndpoint.test(at("127.24.0.3", 53), at("127.24.0.2", 53)));
        assertFalse(SameEndpoint.test(null, at("127.24.0.2", 53)));
    }
}
