package org.hoststated.core.imsg;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.netty.channel.epoll.Epoll;
import io.netty.channel.unix.Errors;
import java.io.IOException;
import org.junit.jupiter.api.Test;

class ImsgChannelTest {
    /**
     * The parent's line when an engine is killed under it reads "channel to relay: Connection
     * reset by peer", without Netty's "recvAddress(..) failed with error(-104): ".
     */
    @Test
    void aChannelErrorIsLoggedAsTheErrorAlone() {
        Epoll.ensureAvailability(); // loads the native library Errors needs
        assertEquals("Connection reset by peer", ImsgChannel.describe(Errors.newIOException("recvAddress", -104)));
        assertEquals("Broken pipe", ImsgChannel.describe(Errors.newIOException("writevAddresses", -32)));
        assertEquals("IOException", ImsgChannel.describe(new IOException()));
        assertEquals("frame too long", ImsgChannel.describe(new IllegalStateException("frame too long")));
    }
}
