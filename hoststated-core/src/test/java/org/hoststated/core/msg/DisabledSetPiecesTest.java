package org.hoststated.core.msg;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A disabled set of any size crosses a channel whole, in messages within their bound. */
class DisabledSetPiecesTest {
    private static String hosts(int n) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < n; i++) {
            b.append("host\ta_table_whose_name_is_as_long_as_the_grammar_allows_it_to_be_")
                    .append(i % 10).append("\t2001:db8::").append(Integer.toHexString(i)).append('\n');
        }
        return b.toString();
    }

    @Test
    void aSetThatFitsOneMessageIsOneDisabledSetAsBefore() {
        List<Imsg> m = DisabledSetPieces.of(new ConfChunk(3, "table\tweb\n"));
        assertEquals(1, m.size());
        assertEquals(MessageType.DISABLED_SET, m.get(0).type());
        assertEquals(new ConfChunk(3, "table\tweb\n"), m.get(0).payload());
        assertEquals(MessageType.DISABLED_SET, DisabledSetPieces.of(new ConfChunk(3, "")).get(0).type());
    }

    /** 5,000 hosts of long table names, about 420,000 characters: pfe kept the first 60 KiB. */
    @Test
    void aLongSetIsCutAtLinesAndJoinedWhole() throws Exception {
        String set = hosts(5000);
        List<Imsg> pieces = DisabledSetPieces.of(new ConfChunk(7, set));
        assertTrue(pieces.size() >= 7, pieces.size() + " pieces");
        DisabledSetPieces.Joiner joiner = new DisabledSetPieces.Joiner();
        for (int i = 0; i < pieces.size(); i++) {
            Imsg m = pieces.get(i);
            ConfChunk c = m.payload(ConfChunk.class);
            assertEquals(i == pieces.size() - 1 ? MessageType.DISABLED_SET : MessageType.DISABLED_SET_PART, m.type());
            assertTrue(c.text().endsWith("\n"), "piece " + i + " ends within a line");
            ByteBuf frame = Unpooled.buffer();
            Messages.encode(m, frame); // throws beyond the type's bound
            frame.release();
            ConfChunk whole = joiner.add(m);
            if (i < pieces.size() - 1) {
                assertNull(whole);
            } else {
                assertEquals(new ConfChunk(7, set), whole);
            }
        }
        // The next set starts afresh.
        assertEquals(new ConfChunk(8, "table\tweb\n"), joiner.add(DisabledSetPieces.of(new ConfChunk(8, "table\tweb\n")).get(0)));
    }

    /** A peer that sends pieces without end: the set is dropped at its end, not kept growing. */
    @Test
    void aSetBeyondTheBoundIsRefusedAndTheNextStartsAfresh() throws Exception {
        DisabledSetPieces.Joiner joiner = new DisabledSetPieces.Joiner();
        String piece = hosts(700);
        for (int sent = 0; sent <= DisabledSetPieces.MAX_SET; sent += piece.length()) {
            assertNull(joiner.add(Imsg.of(MessageType.DISABLED_SET_PART, new ConfChunk(9, piece))));
        }
        MalformedMessageException e = assertThrows(MalformedMessageException.class,
                () -> joiner.add(Imsg.of(MessageType.DISABLED_SET, new ConfChunk(9, "table\tweb\n"))));
        assertTrue(e.getMessage().contains("over"), e.getMessage());
        assertEquals(new ConfChunk(10, "table\tweb\n"), joiner.add(DisabledSetPieces.of(new ConfChunk(10, "table\tweb\n")).get(0)));
    }
}
