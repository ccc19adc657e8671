package org.hoststated.relay;

import io.netty.channel.Channel;
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.channel.socket.DuplexChannel;
import io.netty.channel.unix.Socket;
import java.io.IOException;

/**
 * The FIN after a connection's last bytes, without the exception Netty's
 * {@code shutdownOutput} makes at every call: it builds a {@code ChannelOutputShutdownException},
 * stack trace and all, to fail the writes still queued, of which there are none once the last
 * bytes are out. Every session of the HTTP relay that ends with its answer (a {@code Connection:
 * close} request, an error page) half-closes so: the stack trace was 2.7 % of the relay engine's
 * CPU in the benchmark's {@code Connection: close} case. The relay's own channel classes
 * ({@link Quiet}) reach their socket and shut its output themselves when nothing is queued;
 * Netty's state follows the socket's ({@code isOutputShutdown}), and its queue, empty, stays
 * open, so a write after the FIN fails in the kernel (EPIPE) rather than in Netty.
 */
public final class HalfClose {
    private HalfClose() {
    }

    /** A channel that can shut its output without Netty's exception. */
    public interface Quiet {
        /**
         * Shuts the output if nothing is queued for it and it is open, on the channel's loop;
         * false when it did not (queued bytes, another thread, a socket the kernel refused).
         */
        boolean shutdownOutputIfIdle();
    }

    /** Sends FIN on {@code ch} (see the class comment); its loop, its last bytes written. */
    public static void shutdownOutput(DuplexChannel ch) {
        if (!(ch instanceof Quiet q && q.shutdownOutputIfIdle())) {
            ch.shutdownOutput();
        }
    }

    /**
     * {@link Quiet#shutdownOutputIfIdle} of channel {@code ch} with socket {@code s}. Nothing
     * flushed and not yet written means no send in flight either, on io_uring too: a send stays
     * in the queue until its completion (Netty's own shutdown keeps the buffers of sends in
     * flight alive for the kernel; here there are none). The queue's byte count cannot tell:
     * called from the last write's promise, it still holds that entry's overhead (io_uring).
     */
    public static boolean shutdownIfIdle(Channel ch, Socket s) {
        ChannelOutboundBuffer queue = ch.unsafe().outboundBuffer();
        if (!ch.eventLoop().inEventLoop() || queue == null || !queue.isEmpty() || !ch.isActive()
                || s.isOutputShutdown()) {
            return false;
        }
        try {
            s.shutdown(false, true);
            return true;
        } catch (IOException | RuntimeException e) {
            // A peer gone already: ENOTCONN is Netty's unchecked NotYetConnectedException, and
            // thrown out of the caller's write listener it skipped the rest of the close and
            // was logged with the listener's class name (probe AA). Netty's own shutdown meets
            // the same error and fails its promise with it.
            return false;
        }
    }
}
