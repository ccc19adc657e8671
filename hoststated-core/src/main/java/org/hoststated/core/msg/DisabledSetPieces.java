package org.hoststated.core.msg;

import java.util.ArrayList;
import java.util.List;

/**
 * A disabled set (one line per object the operator disabled or enabled) as messages: cut at
 * lines into pieces of at most {@link ConfChunk#MAX_CHUNK} characters, every piece but the
 * last a {@link MessageType#DISABLED_SET_PART}, the last a {@link MessageType#DISABLED_SET}.
 * A set that fits one message is one DISABLED_SET, as before pieces existed. pfe cut a longer
 * set at its first 60 KiB: 900 disabled hosts of tables with long names came back as 780
 * after a restart of pfe.
 */
public final class DisabledSetPieces {
    private DisabledSetPieces() {
    }

    public static List<Imsg> of(ConfChunk set) {
        List<Imsg> out = new ArrayList<>();
        String text = set.text();
        int start = 0;
        while (text.length() - start > ConfChunk.MAX_CHUNK) {
            int end = text.lastIndexOf('\n', start + ConfChunk.MAX_CHUNK - 1) + 1;
            if (end <= start) {
                // No line end within a piece (never from pfe, whose lines are names and addresses).
                end = ConfChunk.pieceEnd(text, start + ConfChunk.MAX_CHUNK);
            }
            out.add(Imsg.of(MessageType.DISABLED_SET_PART, new ConfChunk(set.generation(), text.substring(start, end))));
            start = end;
        }
        out.add(Imsg.of(MessageType.DISABLED_SET, new ConfChunk(set.generation(), text.substring(start))));
        return out;
    }

    /**
     * Most characters a joined set may have: about 45,000 objects with the longest names (a
     * peer that sends pieces without end must not fill the receiver's heap; the parent has 64 MiB).
     */
    public static final int MAX_SET = 64 * ConfChunk.MAX_CHUNK;

    /** Joins the pieces of one channel as they arrive; one per channel, a new one for a new channel. */
    public static final class Joiner {
        private final StringBuilder pieces = new StringBuilder();
        private boolean over;

        /**
         * The whole set when {@code m} is its last piece, else null.
         *
         * @throws MalformedMessageException when the set grows beyond {@link #MAX_SET} (once, at
         *     its last piece; the pieces are dropped and the next set starts afresh)
         */
        public ConfChunk add(Imsg m) throws MalformedMessageException {
            ConfChunk c = m.payload(ConfChunk.class);
            over |= pieces.length() + c.text().length() > MAX_SET;
            if (!over) {
                pieces.append(c.text());
            }
            if (m.type() == MessageType.DISABLED_SET_PART) {
                return null;
            }
            if (over) {
                pieces.setLength(0);
                over = false;
                throw new MalformedMessageException("disabled set of generation " + c.generation() + " over "
                        + MAX_SET + " characters, dropped");
            }
            ConfChunk whole = new ConfChunk(c.generation(), pieces.toString());
            pieces.setLength(0);
            return whole;
        }
    }
}
