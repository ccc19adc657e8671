package org.hoststated.core.proc;

import java.util.HashMap;
import java.util.Map;

/**
 * The relays' listening sockets that the parent passed and the kernel dropped (the engine had
 * no descriptor free when they came), asked for again: each is asked up to {@link #MAX_ASKS}
 * times, {@link #FIRST_DELAY_MS} after it was lost and twice as long after each further loss,
 * so that descriptors sessions free meanwhile let it through. Exiting instead, so that the
 * parent starts the engine again with every descriptor, cut every live session. An ask the
 * parent leaves unanswered for {@link #ANSWER_MS} counts as lost (the parent could not pass
 * it). Only listeners of the engine's current generation are asked for; a newer generation's
 * listener makes the older ones moot. On the engine's loop, so without locks.
 */
final class LostListeners {
    static final int MAX_ASKS = 5;
    static final long FIRST_DELAY_MS = 100;
    static final long ANSWER_MS = 5000;

    /** Asks made so far, by listener. */
    private final Map<FdTag, Integer> asks = new HashMap<>();

    /**
     * {@code tag}'s listener was lost: the delay before asking for it again (ms), or -1 when
     * it was asked for {@link #MAX_ASKS} times already (the engine exits).
     */
    long lost(FdTag tag) {
        int made = asks.getOrDefault(tag, 0);
        if (made >= MAX_ASKS) {
            asks.remove(tag);
            return -1;
        }
        asks.put(tag, made + 1);
        return FIRST_DELAY_MS << made;
    }

    /** How many times {@code tag}'s listener was asked for (0 when it is not missing). */
    int asked(FdTag tag) {
        return asks.getOrDefault(tag, 0);
    }

    /**
     * A listener arrived: it is no longer missing, and neither are listeners of older
     * generations (a reload replaced them).
     */
    void received(FdTag tag) {
        asks.remove(tag);
        asks.keySet().removeIf(t -> t.generation() < tag.generation());
    }
}
