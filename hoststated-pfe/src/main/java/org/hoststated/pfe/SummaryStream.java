package org.hoststated.pfe;

import java.util.ArrayDeque;
import java.util.Iterator;
import org.hoststated.core.imsg.ImsgChannel;
import org.hoststated.core.msg.Imsg;

/**
 * Sends {@code show summary} answers to the parent as fast as it reads them, one answer after
 * the other: {@value #BATCH} rows, then the next batch once the last of them is in the socket.
 * Queued whole, an answer of 500 relays on a table of 1,000 hosts (500,000 rows, about 75 MB
 * encoded) took pfe's heap, and pfe died and restarted at each {@code show} (probe T). Owned by
 * pfe's event loop.
 */
final class SummaryStream {
    /** Rows written before pfe waits for the parent to take them. */
    static final int BATCH = 512;

    private final ImsgChannel parent;
    private final ArrayDeque<Iterator<Imsg>> answers = new ArrayDeque<>();
    private boolean waiting;

    SummaryStream(ImsgChannel parent) {
        this.parent = parent;
    }

    /** Sends {@code rows} after the answers before it. */
    void add(Iterator<Imsg> rows) {
        answers.add(rows);
        if (!waiting) {
            pump();
        }
    }

    /** How many answers are not sent whole yet. */
    int pending() {
        return answers.size();
    }

    private void pump() {
        waiting = false;
        while (!answers.isEmpty()) {
            if (!parent.isOpen()) {
                answers.clear(); // the parent is gone, and this engine with it
                return;
            }
            Iterator<Imsg> rows = answers.peek();
            for (int i = 0; i < BATCH && rows.hasNext(); i++) {
                Imsg row = rows.next();
                if (i < BATCH - 1 && rows.hasNext()) {
                    parent.queue(row); // the batch goes in one write, with its last row
                    continue;
                }
                io.netty.channel.ChannelFuture sent = parent.sendTracked(row);
                if (rows.hasNext()) {
                    waiting = true;
                    // Not from the listener itself: a write done at once calls it at once.
                    sent.addListener(f -> parent.eventLoop().execute(this::pump));
                    return;
                }
            }
            answers.poll();
        }
    }
}
