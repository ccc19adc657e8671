package org.hoststated.relay.handler;

import io.netty.channel.Channel;

/**
 * A relay session as the engine's {@link org.hoststated.relay.MemoryGuard} sees it: what the
 * relay holds queued for its two peers, and how to end it. Implemented by the frontend handler
 * of each kind of session (the last handler of the client's pipeline). Every method runs on
 * the session's worker loop.
 */
public interface HeldSession {
    /** Bytes queued for the client and for the server. */
    long heldBytes();

    /** Ends the session at once, dropping what is queued, with {@code reason} in its close line. */
    void shed(String reason);

    /**
     * Ends the session because the engine stops. A session under way is cut as by
     * {@link #shed}: a FIN, or a TLS close_notify, would tell each peer that its stream had
     * ended where the relay only cut it. One with nothing under way may close cleanly.
     */
    default void stop(String reason) {
        shed(reason);
    }

    /** Ends each of {@code sessions} (client channels) on its loop, by {@link #stop}, from any thread. */
    static void stopAll(Iterable<Channel> sessions, String reason) {
        for (Channel ch : sessions) {
            RelaySession.runOn(ch.eventLoop(), () -> {
                if (ch.pipeline().last() instanceof HeldSession s) {
                    s.stop(reason);
                } else {
                    // Else the close line would take it for the client's close.
                    RelaySession.setReason(ch, reason);
                    ch.close();
                }
            });
        }
    }
}
