package org.hoststated.relay;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;
import java.net.Socket;
import java.util.concurrent.TimeUnit;
import org.hoststated.core.config.TcpOptions;
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
        long down = 256 * 1024 + 5;
        TcpOptions big = new TcpOptions(10, null, null, 1024 * 1024, 0, 0);
        try (TestBackend b = TestBackend.source("src", down);
                RelayFixture r = RelayFixture.serve(RelayTransport.nettyEpoll(), RelayFixture.forward(b),
                        TcpOptionsTest.protocol(big), RelayFixture.listen());
                Socket c = r.connect()) {
            Channel client = TcpRelayTest.awaitSession(r);
            assertEquals(-1, TcpRelayTest.onLoop(client, () -> client.config().getOption(ChannelOption.SO_LINGER)));
            c.shutdownOutput();
            assertTrue(client.closeFuture().await(20, TimeUnit.SECONDS), "the session ended before the client read");
            TestBackend.Received got = Pattern.drain(c.getInputStream());
            assertEquals(down, got.bytes());
            assertArrayEquals(Pattern.digest(down), got.sha256());
        }
    }
}
