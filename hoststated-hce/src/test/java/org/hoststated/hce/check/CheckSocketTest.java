package org.hoststated.hce.check;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.net.ConnectException;
import java.net.NoRouteToHostException;
import org.hoststated.core.msg.HostError;
import org.junit.jupiter.api.Test;

/** What a failed connect tells {@code show hosts}, from the errno or Netty's exception. */
class CheckSocketTest {
    @Test
    void eachFailedConnectIsNamedAsFarAsItCanBeTold() {
        assertEquals(HostError.TCP_CONNECT_REFUSED, CheckSocket.connectFailure(CheckSocket.ECONNREFUSED));
        assertEquals(HostError.TCP_CONNECT_NET_UNREACHABLE, CheckSocket.connectFailure(CheckSocket.ENETUNREACH));
        assertEquals(HostError.TCP_CONNECT_HOST_UNREACHABLE, CheckSocket.connectFailure(CheckSocket.EHOSTUNREACH));
        assertEquals(HostError.TCP_CONNECT_FAIL, CheckSocket.connectFailure(0));
        // Netty gives a missing route (ENETUNREACH) and EHOSTUNREACH as one exception without
        // a text: neither is claimed (probe Q saw "no route to host" for a network unreachable).
        assertEquals(HostError.TCP_CONNECT_UNREACHABLE,
                CheckSocket.connectFailure(CheckSocket.errno(new NoRouteToHostException())));
        assertEquals(HostError.TCP_CONNECT_REFUSED, CheckSocket.connectFailure(
                CheckSocket.errno(new ConnectException("connect(..) failed: Connection refused"))));
        assertEquals(HostError.TCP_CONNECT_BLACKHOLE, CheckSocket.connectFailure(CheckSocket.EINVAL));
        assertEquals(HostError.TCP_CONNECT_BLACKHOLE, CheckSocket.connectFailure(
                CheckSocket.errno(new ConnectException("connect(..) failed: Invalid argument"))));
        assertEquals(HostError.TCP_CONNECT_PROHIBITED, CheckSocket.connectFailure(
                CheckSocket.errno(new ConnectException("connect(..) failed: Permission denied"))));
        assertEquals(HostError.TCP_CONNECT_PROHIBITED, CheckSocket.connectFailure(
                CheckSocket.errno(new ConnectException("connect(..) failed: Operation not permitted"))));
        // An echo's send, the same routes.
        assertEquals(HostError.ICMP_WRITE_BLACKHOLE, IcmpPinger.writeFailure(CheckSocket.EINVAL));
        assertEquals(HostError.ICMP_WRITE_PROHIBITED, IcmpPinger.writeFailure(CheckSocket.EACCES));
        assertEquals(HostError.ICMP_WRITE_NET_UNREACHABLE, IcmpPinger.writeFailure(CheckSocket.ENETUNREACH));
        assertEquals(HostError.ICMP_WRITE_HOST_UNREACHABLE, IcmpPinger.writeFailure(CheckSocket.EHOSTUNREACH));
        assertEquals(HostError.ICMP_WRITE_FAIL, IcmpPinger.writeFailure(0));
    }
}
