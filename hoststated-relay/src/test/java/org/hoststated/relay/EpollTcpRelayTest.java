package org.hoststated.relay;

class EpollTcpRelayTest extends TcpRelayTest {
    @Override
    RelayTransport transport() {
        return RelayTransport.epoll();
    }
}
