package org.hoststated.relay;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.netty.channel.uring.IoUring;
import org.junit.jupiter.api.BeforeAll;

/** The same relay tests on io_uring, where this kernel allows it. */
class IoUringTcpRelayTest extends TcpRelayTest {
    @BeforeAll
    static void needsIoUring() {
        assumeTrue(IoUring.isAvailable(), "io_uring not available here");
    }

    @Override
    RelayTransport transport() {
        return RelayTransport.ioUring();
    }
}
