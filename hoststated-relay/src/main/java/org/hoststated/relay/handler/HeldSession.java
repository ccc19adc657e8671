package org.hoststated.relay.handler;

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
}
