package org.hoststated.relay.handler;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.util.ReferenceCountUtil;
import org.junit.jupiter.api.Test;

/** The record boundaries the watch follows, however the client's bytes are cut into reads. */
class ClientAlertWatchTest {
    /** A handshake record of 6 bytes, then a clear fatal unknown_ca alert. */
    private static final byte[] HELLO_THEN_ALERT = {
        0x16, 0x03, 0x01, 0x00, 0x06, 0x15, 0x03, 0x03, 0x00, 0x02, 0x02,
        0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 48};

    private static String reasonAfter(byte[] bytes, int... cuts) {
        EmbeddedChannel ch = new EmbeddedChannel(new ClientAlertWatch());
        int from = 0;
        for (int cut : cuts) {
            ReferenceCountUtil.release(feed(ch, bytes, from, cut));
            from = cut;
        }
        ReferenceCountUtil.release(feed(ch, bytes, from, bytes.length));
        ch.finishAndReleaseAll();
        return RelaySession.reason(ch);
    }

    private static Object feed(EmbeddedChannel ch, byte[] bytes, int from, int to) {
        ch.writeInbound(Unpooled.wrappedBuffer(bytes, from, to - from));
        return ch.readInbound();
    }

    /** The handshake record's body looks like an alert header: it is passed over, not read as one. */
    @Test
    void anAlertIsNamedWhereverTheReadsAreCut() {
        String expected = "TLS handshake: the client's alert unknown_ca (48): it refused the relay's certificate";
        assertEquals(expected, reasonAfter(HELLO_THEN_ALERT));
        for (int cut = 1; cut < HELLO_THEN_ALERT.length; cut++) {
            assertEquals(expected, reasonAfter(HELLO_THEN_ALERT, cut), "cut at " + cut);
        }
        assertEquals(expected, reasonAfter(HELLO_THEN_ALERT, 3, 9, 16));
    }

    @Test
    void aWarningAlertIsNoReason() {
        byte[] warning = {0x15, 0x03, 0x03, 0x00, 0x02, 0x01, 112};
        assertEquals("done", reasonAfter(warning));
    }

    @Test
    void theDescriptionOfAnUnlistedAlertKeepsItsNumber() {
        assertEquals("unknown (200)", ClientAlertWatch.describe(200));
        assertEquals("protocol_version (70)", ClientAlertWatch.describe(70));
    }
}
