package org.hoststated.core.msg;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A configuration's text crosses the channel whole, whatever characters fall at a cut. */
class ConfChunkTest {
    /**
     * An emoji (a surrogate pair) astride the 60 KiB cut: each half became "?" in UTF-8, and
     * every engine parsed another text than the parent's (review S).
     */
    @Test
    void aCharacterBeyondTheBmpAtACutIsKeptWhole() throws Exception {
        for (int at : new int[] {ConfChunk.MAX_CHUNK - 2, ConfChunk.MAX_CHUNK - 1, ConfChunk.MAX_CHUNK,
                2 * ConfChunk.MAX_CHUNK - 1}) {
            String text = "#".repeat(at) + "\uD83D\uDE80 {\n" + "#".repeat(ConfChunk.MAX_CHUNK);
            List<String> pieces = ConfChunk.pieces(text);
            StringBuilder joined = new StringBuilder();
            for (String p : pieces) {
                ByteBuf b = Unpooled.buffer();
                ConfChunk.CODEC.encode(new ConfChunk(1, p), b);
                joined.append(ConfChunk.CODEC.decode(b).text());
                b.release();
            }
            assertTrue(text.equals(joined.toString()), "the pair at " + at + " came back changed");
        }
    }

    @Test
    void piecesStayWithinTheBound() {
        String text = "\uD83D\uDE80".repeat(ConfChunk.MAX_CHUNK);
        List<String> pieces = ConfChunk.pieces(text);
        for (String p : pieces) {
            assertTrue(p.length() <= ConfChunk.MAX_CHUNK && p.length() > 0, p.length() + " characters");
        }
        assertEquals(text, String.join("", pieces));
        assertEquals(List.of(), ConfChunk.pieces(""));
    }
}
