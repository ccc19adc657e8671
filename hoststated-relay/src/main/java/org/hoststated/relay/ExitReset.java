package org.hoststated.relay;

import io.netty.channel.unix.Socket;
import java.io.IOException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A relay engine that ends without closing its sessions (killed, crashed, stopped by the
 * watchdog) resets them, where the kernel's close of a dead process's sockets would send each
 * peer a FIN after what it had queued: a client of a TCP relay would take a download cut short
 * for a whole one, a server an upload. So every relay socket lives with {@code SO_LINGER} 0,
 * which makes any close a reset. Accepted ones inherit it from their listening socket, which
 * the parent arms when it binds it (a connection queued before an engine adopts the socket is
 * made then) and the engine again when it adopts it; backend ones are armed when they are
 * made. The relay's own close of a session disarms the socket first (one {@code setsockopt}),
 * so what it queued still goes out before a FIN, unless that close is a reset the relay chose
 * ({@link Armed#resetAtClose}). Done by the relay's own channel classes in their close, the
 * one path every close takes; a handler in the pipeline would take the epoll channels off
 * {@code EpollDirectSend}.
 */
public final class ExitReset {
    private static final Logger log = LoggerFactory.getLogger(ExitReset.class);

    private ExitReset() {
    }

    /** A channel whose socket is armed and disarmed at its close as above. */
    public interface Armed {
        /** Makes the channel's coming close a reset: its socket stays armed. Its loop. */
        void resetAtClose();
    }

    /**
     * Arms {@code s}: a close of it, or of a socket it accepts, is a reset from now on. A
     * refusal (never seen) leaves it as it was: a FIN if the engine dies.
     */
    public static void arm(Socket s) {
        try {
            s.setSoLinger(0);
        } catch (IOException e) {
            log.warn("SO_LINGER 0 refused on a relay socket; its peers get a FIN if the engine dies: {}", e.toString());
        }
    }

    /**
     * Disarms {@code s} before an orderly close, unless {@code reset}. A socket whose kernel
     * refuses it (reset already) has nothing left to send.
     */
    public static void disarm(Socket s, boolean reset) {
        if (reset || !s.isOpen()) {
            return;
        }
        try {
            s.setSoLinger(-1);
        } catch (IOException e) {
            // Nothing left to send on it.
        }
    }
}
