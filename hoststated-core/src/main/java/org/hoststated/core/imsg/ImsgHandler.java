package org.hoststated.core.imsg;

import org.hoststated.core.msg.Imsg;

/**
 * Receives the messages of one peer. Runs on the channel's event loop, which owns the engine's
 * state, so an implementation needs no locks.
 */
public interface ImsgHandler {
    /** Whether a message was understood; an unexpected type closes the channel. */
    enum Result { HANDLED, NOT_HANDLED }

    Result dispatch(ImsgChannel from, Imsg msg);

    /** The peer's channel closed (EOF, error, or a protocol violation). */
    default void closed(ImsgChannel from) {
    }
}
