package org.hoststated.core.proc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.hoststated.core.msg.Empty;
import org.hoststated.core.msg.Flag;
import org.hoststated.core.msg.Imsg;
import org.hoststated.core.msg.MessageType;
import org.junit.jupiter.api.Test;

/** The parent's messages held while a configuration is prepared come out in their order. */
class HeldMessagesTest {
    private final HeldMessages held = new HeldMessages();
    private final List<MessageType> handled = new ArrayList<>();

    @Test
    void heldMessagesAreHandledInTheirOrderOnRelease() {
        assertFalse(held.holding());
        held.hold();
        held.add(Imsg.of(MessageType.PING, Empty.INSTANCE));
        held.add(Imsg.of(MessageType.LOG_VERBOSE, new Flag(true)));
        held.release(m -> handled.add(m.type()));
        assertEquals(List.of(MessageType.PING, MessageType.LOG_VERBOSE), handled);
        assertFalse(held.holding());
    }

    /**
     * A held message that begins preparing the next configuration (its stream's end) holds
     * those behind it again, in their order, for that configuration.
     */
    @Test
    void aMessageThatHoldsAgainKeepsTheRestForTheNextRelease() {
        held.hold();
        held.add(Imsg.of(MessageType.PING, Empty.INSTANCE));
        held.add(Imsg.of(MessageType.LOG_VERBOSE, new Flag(true)));
        held.add(Imsg.of(MessageType.LOG_VERBOSE, new Flag(false)));
        held.release(m -> {
            handled.add(m.type());
            held.hold();
        });
        assertEquals(List.of(MessageType.PING), handled);
        assertTrue(held.holding());
        handled.clear();
        held.release(m -> handled.add(m.type()));
        assertEquals(List.of(MessageType.LOG_VERBOSE, MessageType.LOG_VERBOSE), handled);
        assertFalse(held.holding());
    }
}
