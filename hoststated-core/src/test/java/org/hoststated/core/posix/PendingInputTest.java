package org.hoststated.core.posix;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** The peek the relay makes on a pooled backend connection before it writes a request on it. */
class PendingInputTest {
    @Test
    void tellsIdleBytesAndEofWithoutConsumingAnything() throws Exception {
        int[] pair = SocketPair.open();
        try {
            // A socket without O_NONBLOCK: the peek must not wait for bytes all the same.
            assertEquals(PendingInput.State.NONE, PendingInput.of(pair[0]));
            assertEquals(2, Native.LIBC.write(pair[1], new byte[] {'h', 'i'}, 2));
            assertEquals(PendingInput.State.BYTES, PendingInput.of(pair[0]));
            assertEquals(PendingInput.State.BYTES, PendingInput.of(pair[0]));
            byte[] got = new byte[4];
            assertEquals(2, Native.LIBC.read(pair[0], got, got.length));
            assertEquals("hi", new String(got, 0, 2, java.nio.charset.StandardCharsets.US_ASCII));
            assertEquals(PendingInput.State.NONE, PendingInput.of(pair[0]));
            SocketPair.close(pair[1]);
            pair[1] = -1;
            assertEquals(PendingInput.State.EOF, PendingInput.of(pair[0]));
        } finally {
            SocketPair.close(pair[0]);
            if (pair[1] >= 0) {
                SocketPair.close(pair[1]);
            }
        }
    }

    @Test
    void aDescriptorThatIsNoSocketIsAnError() {
        assertEquals(PendingInput.State.ERROR, PendingInput.of(-1));
        assertEquals(PendingInput.State.ERROR, PendingInput.of(Integer.MAX_VALUE));
    }
}
