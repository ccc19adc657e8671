package org.hoststated.core.posix;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.netty.channel.epoll.Epoll;
import io.netty.channel.unix.Errors;
import java.io.IOException;
import org.junit.jupiter.api.Test;

class SystemErrorTest {
    /**
     * An error as log lines give it: the parent's line when an engine is killed under it reads
     * "channel to relay: Connection reset by peer", without Netty's "recvAddress(..) failed
     * with error(-104): "; an error without a message is its class.
     */
    @Test
    void aChannelErrorIsLoggedAsTheErrorAlone() {
        Epoll.ensureAvailability(); // loads the native library Errors needs
        assertEquals("Connection reset by peer", SystemError.text(Errors.newIOException("recvAddress", -104)));
        assertEquals("Broken pipe", SystemError.text(Errors.newIOException("writevAddresses", -32)));
        assertEquals("IOException", SystemError.text(new IOException()));
        assertEquals("frame too long", SystemError.text(new IllegalStateException("frame too long")));
        assertEquals("closed", SystemError.text(
                io.netty.channel.StacklessClosedChannelException.newInstance(SystemErrorTest.class, "write")));
    }
}
