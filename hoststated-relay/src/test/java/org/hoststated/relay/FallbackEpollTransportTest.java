package org.hoststated.relay;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;
import java.net.Socket;
import org.junit.jupiter.api.Test;

/**
 * Epoll with Netty's own channels, the relay's fallback when its adapters no longer fit Netty.
 * Those channels do not disarm their sockets at close ({@link ExitReset}), so what the armed
 * listening socket accepts is disarmed at once: every orderly end would otherwise reset the
 * client and drop what it had not read yet.
 */
class FallbackEpollTransportTest {
    @Test
    void anAcceptedSessionIsDisarmedAndItsOrderlyEndLosesNothing() throws Exception {
        long down = TcpRelayTest.DOWNLOAD_KEPT_BY_THE_KERNELS;
        try (TestBackend b = TestBackend.source("src", down);
                RelayFixture r = RelayFixture.serve(RelayTransport.nettyEpoll(), RelayFixture.forward(b),
                        TcpOptionsTest.protocol(TcpRelayTest.BUFFERS_TAKING_THE_DOWNLOAD), RelayFixture.listen());
                Socket c = r.connect()) {
            Channel client = TcpRelayTest.awaitSession(r);
            assertEquals(-1, TcpRelayTest.onLoop(client, () -> client.config().getOption(ChannelOption.SO_LINGER)));
            TcpRelayTest.endsBeforeTheClientReadsAndLosesNothing(client, c, down);
        }
    }
}
