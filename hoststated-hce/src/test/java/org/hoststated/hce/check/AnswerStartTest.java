package org.hoststated.hce.check;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class AnswerStartTest {
    @Test
    void aShortAnswerIsShownWholeWithItsControlsAndQuotesEscaped() {
        byte[] b = "220 \"ok\"\r\n\u001b[2J".getBytes(StandardCharsets.UTF_8);
        assertEquals("answered \"220 \\\"ok\\\"\\r\\n\\x1b[2J\"", AnswerStart.quoted(b, b.length, b.length));
    }

    @Test
    void aLongAnswerIsCutAtACharacterAndSaysSo() {
        byte[] b = ("x".repeat(63) + "€ and more").getBytes(StandardCharsets.UTF_8);
        byte[] first = java.util.Arrays.copyOf(b, AnswerStart.BYTES);
        assertEquals("answered \"" + "x".repeat(63) + "\"...", AnswerStart.quoted(first, first.length, b.length));
    }

    /** Bytes that are no UTF-8 are shown as such, not each as the same U+FFFD. */
    @Test
    void bytesThatAreNoUtf8AreShownAsHex() {
        byte[] b = {'o', 'k', (byte) 0xff, (byte) 0xc3, '!', (byte) 0xc3, (byte) 0xa9, '"'};
        assertEquals("answered \"ok\\xff\\xc3!\u00e9\\\"\"", AnswerStart.quoted(b, b.length, b.length));
        byte[] whole = {'a', (byte) 0xe2, (byte) 0x82};
        assertEquals("answered \"a\\xe2\\x82\"", AnswerStart.quoted(whole, whole.length, whole.length),
                "not cut: a character that never ended");
    }

    /** A backslash of the host's is doubled: its text "\xff" is not its byte 0xff (probe AQ). */
    @Test
    void aBackslashIsTold() {
        byte[] b = {'\\', 'x', 'f', 'f', (byte) 0xff};
        assertEquals("answered \"\\\\xff\\xff\"", AnswerStart.quoted(b, b.length, b.length));
    }

    @Test
    void anAnswerOfExactlyTheBoundIsWhole() {
        byte[] b = "y".repeat(AnswerStart.BYTES).getBytes(StandardCharsets.UTF_8);
        assertEquals("answered \"" + "y".repeat(64) + "\"", AnswerStart.quoted(b, b.length, b.length));
    }
}
