package org.hoststated.relay;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.unix.Socket;
import org.junit.jupiter.api.Test;

/** {@link HalfClose#shutdownIfIdle} on a socket whose kernel refuses the shutdown, or with bytes queued. */
class HalfCloseTest {

    /**
     * A socket with no peer (a client gone already) refuses the shutdown with ENOTCONN, which
     * Netty throws as the unchecked NotYetConnectedException: the answer is "not done", for
     * Netty's own shutdown to handle, never an exception out of the caller's listener (probe AA).
     */
    @Test
    void aSocketWithoutPeerIsLeftToNetty() throws Exception {
        RelayTransport.epoll(); // loads the native library for Socket
        Socket s = Socket.newSocketStream();
        EmbeddedChannel ch = new EmbeddedChannel();
        try {
            assertFalse(HalfClose.shutdownIfIdle(ch, s));
        } finally {
            s.close();
            ch.finishAndReleaseAll();
        }
    }

    /** Bytes flushed and not yet written: the FIN would go before them, so Netty's shutdown decides. */
    @Test
    void aChannelWithBytesQueuedIsLeftToNetty() throws Exception {
        RelayTransport.epoll();
        Socket s = Socket.newSocketStream();
        EmbeddedChannel ch = new EmbeddedChannel();
        try {
            ch.unsafe().outboundBuffer().addMessage(Unpooled.wrappedBuffer(new byte[] {1}), 1, ch.newPromise());
            ch.unsafe().outboundBuffer().addFlush();
            assertFalse(HalfClose.shutdownIfIdle(ch, s));
            assertTrue(s.isOpen());
        } finally {
            s.close();
            ch.finishAndReleaseAll();
        }
    }
}
