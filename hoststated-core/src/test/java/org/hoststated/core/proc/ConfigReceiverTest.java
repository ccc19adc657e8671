package org.hoststated.core.proc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.charset.StandardCharsets;
import org.hoststated.core.msg.ConfChunk;
import org.hoststated.core.msg.Generation;
import org.hoststated.core.msg.Imsg;
import org.hoststated.core.msg.MessageType;
import org.hoststated.core.msg.TlsKeyPair;
import org.junit.jupiter.api.Test;

class ConfigReceiverTest {
    private static final byte[] KEY = "-----BEGIN PRIVATE KEY-----\nsecret\n-----END PRIVATE KEY-----\n"
            .getBytes(StandardCharsets.US_ASCII);

    /**
     * A generation takes its key pairs along, whether it parses or not: kept in the receiver,
     * every relay's key stayed in the engine's heap as long as the configuration ran (review CF).
     */
    @Test
    void aReceivedGenerationLeavesNoKeyBytesBehind() throws Exception {
        ConfigReceiver r = new ConfigReceiver();
        r.accept(Imsg.of(MessageType.RECONF_BEGIN, new Generation(1)));
        r.accept(Imsg.of(MessageType.RECONF_CONF, new ConfChunk(1,
                "relay tls {\n  listen on 192.0.2.9 port 443 ssl\n  forward to 192.0.2.10 port 80\n}\n")));
        r.accept(Imsg.of(MessageType.RECONF_KEYPAIR, new TlsKeyPair(1, 1, new byte[] {1}, KEY)));
        assertEquals(1, r.accept(Imsg.of(MessageType.RECONF_END, new Generation(1))).keyPairs().size());
        assertEquals(0, r.keyPairsHeld());

        r.accept(Imsg.of(MessageType.RECONF_BEGIN, new Generation(2)));
        r.accept(Imsg.of(MessageType.RECONF_CONF, new ConfChunk(2, "relay {\n")));
        r.accept(Imsg.of(MessageType.RECONF_KEYPAIR, new TlsKeyPair(2, 1, new byte[] {1}, KEY)));
        assertThrows(ConfigReceiver.ConfigRejectedException.class,
                () -> r.accept(Imsg.of(MessageType.RECONF_END, new Generation(2))));
        assertEquals(0, r.keyPairsHeld(), "nor a generation that did not parse");
    }
}
