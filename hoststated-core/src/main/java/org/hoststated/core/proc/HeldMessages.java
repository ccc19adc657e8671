package org.hoststated.core.proc;

import java.util.ArrayDeque;
import java.util.function.Consumer;
import org.hoststated.core.msg.Imsg;

/**
 * The parent's messages that come while a received configuration is prepared off the loop
 * ({@link Engine#prepareConfig}): held, and handled in their order once it has been applied,
 * so that nothing the parent sent after a configuration (the next one, a control request, a
 * ping) is handled before it. The engine stops reading the parent channel meanwhile, so what
 * is held is at most what one read had decoded. On the engine's loop.
 */
final class HeldMessages {
    /** Null while messages are handled as they come. */
    private ArrayDeque<Imsg> held;

    boolean holding() {
        return held != null;
    }

    /** Holds the messages that come from now on, until {@link #release}. */
    void hold() {
        if (held == null) {
            held = new ArrayDeque<>();
        }
    }

    void add(Imsg m) {
        held.add(m);
    }

    /**
     * Hands the held messages to {@code handle} in order. One of them may begin preparing the
     * next configuration ({@link #hold} again): those behind it are held for that one.
     */
    void release(Consumer<Imsg> handle) {
        ArrayDeque<Imsg> q = held;
        held = null;
        if (q == null) {
            return;
        }
        for (Imsg m = q.poll(); m != null; m = q.poll()) {
            if (held != null) {
                held.add(m);
            } else {
                handle.accept(m);
            }
        }
    }
}
