package org.hoststated.core.imsg;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.Comparator;
import org.hoststated.core.msg.Imsg;
import org.hoststated.core.msg.MessageType;
import org.hoststated.core.msg.Messages;
import org.hoststated.core.msg.ProcId;
import org.junit.jupiter.api.Test;

/**
 * The messages that cross the control socket, fingerprinted, so that a change to one of them
 * comes with a new {@link Messages#CONTROL_VERSION}: a hoststatectl and a daemon of different
 * builds then refuse each other in words instead of misreading each other's messages.
 */
class ControlProtocolTest {
    /** The fingerprint of version {@link Messages#CONTROL_VERSION}'s messages. */
    private static final String FINGERPRINT = "bef0800fd8b023a68aa8acda56c40f56fcbc477f73cabd6199a1aa90e0cc7e2d";

    @Test
    void theControlMessagesAreThoseOfTheirVersion() throws Exception {
        MessageDigest d = MessageDigest.getInstance("SHA-256");
        MessageType[] types = Arrays.stream(MessageType.values())
                .filter(t -> t.allowed(ProcId.CONTROL, ProcId.PARENT) || t.allowed(ProcId.PARENT, ProcId.CONTROL))
                .sorted(Comparator.comparingInt(MessageType::id)).toArray(MessageType[]::new);
        for (MessageType t : types) {
            ByteBuf b = Unpooled.buffer();
            b.writeInt(t.id()).writeInt(t.maxPayload());
            b.writeBoolean(t.allowed(ProcId.CONTROL, ProcId.PARENT)).writeBoolean(t.allowed(ProcId.PARENT, ProcId.CONTROL));
            Messages.encode(new Imsg(t, 0, 0, ImsgCodecTest.SAMPLES.get(t.codec().type())), b);
            d.update(ByteBufUtil.getBytes(b));
            b.release();
        }
        String now = ByteBufUtil.hexDump(d.digest());
        assertEquals(FINGERPRINT, now, "a message of the control protocol changed: raise Messages.CONTROL_VERSION"
                + " (now " + Messages.CONTROL_VERSION + ") and set FINGERPRINT to " + now);
    }
}
