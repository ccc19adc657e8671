package org.hoststated.pfe;

import io.netty.channel.ChannelFuture;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import org.hoststated.core.imsg.ImsgChannel;
import org.hoststated.core.msg.Imsg;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends {@code show summary} answers to the parent, each as fast as its own control client
 * reads it: an answer's rows go only against the credit the parent grants for it
 * (CTL_ANSWER_CREDIT, by client number), and the answers that have credit take turns, one
 * credit's rows per turn, the next turn once those rows are in the socket. Sent one answer
 * after the other, a client reading at 200 kB/s held every other {@code show} behind its
 * 23 MB answer until hoststatectl gave up on them (30 s); queued whole, an answer of 500,000
 * rows took pfe's heap (probe T). Rows are made as they are sent (a table at a time, by the
 * answer's iterator). Owned by pfe's event loop.
 */
final class SummaryStream {
    private static final Logger log = LoggerFactory.getLogger(SummaryStream.class);

    /** One client's answer: the rows not sent yet, and how many of them pfe may send. */
    private static final class Answer {
        final int client;
        final Iterator<Imsg> rows;
        int credit;

        Answer(int client, Iterator<Imsg> rows) {
            this.client = client;
            this.rows = rows;
        }
    }

    private final ImsgChannel parent;
    /** The answers not sent whole, by client number. */
    private final Map<Integer, Answer> answers = new HashMap<>();
    /** The answers with credit, in turn. */
    private final ArrayDeque<Answer> ready = new ArrayDeque<>();
    /** A turn's rows are on their way to the socket: the next turn waits for them. */
    private boolean writing;

    SummaryStream(ImsgChannel parent) {
        this.parent = parent;
    }

    /** Holds {@code rows}, the answer to {@code client}, until the parent grants credit for it. */
    void add(int client, Iterator<Imsg> rows) {
        Answer old = answers.put(client, new Answer(client, rows));
        if (old != null) {
            // A client asks once at a time: its previous answer is one the parent no longer wants.
            ready.remove(old);
        }
    }

    /** The parent lets {@code client}'s answer have {@code rows} more; ignored for an answer not held. */
    void credit(int client, int rows) {
        Answer a = answers.get(client);
        if (a == null) {
            log.debug("credit for control client {}, whose answer is not under way", client);
            return;
        }
        boolean had = a.credit > 0;
        a.credit = (int) Math.min(Integer.MAX_VALUE, (long) a.credit + rows);
        if (!had) {
            ready.add(a);
        }
        if (!writing) {
            pump();
        }
    }

    /** {@code client} has gone: the rest of its answer is not made. */
    void drop(int client) {
        Answer a = answers.remove(client);
        if (a != null) {
            ready.remove(a);
        }
    }

    /** How many answers are not sent whole yet. */
    int pending() {
        return answers.size();
    }

    /** Sends the next answer's turn, then waits for its rows to reach the socket. */
    private void pump() {
        writing = false;
        Answer a = ready.poll();
        if (a == null) {
            return;
        }
        if (!parent.isOpen()) {
            answers.clear(); // the parent is gone, and this engine with it
            ready.clear();
            return;
        }
        ChannelFuture sent = null;
        while (a.credit > 0 && a.rows.hasNext()) {
            Imsg row = a.rows.next();
            a.credit--;
            if (a.credit > 0 && a.rows.hasNext()) {
                parent.queue(row); // the turn goes in one write, with its last row
            } else {
                sent = parent.sendTracked(row);
            }
        }
        if (!a.rows.hasNext()) {
            answers.remove(a.client);
        } else if (a.credit > 0) {
            ready.add(a);
        }
        writing = true;
        if (sent == null) {
            parent.eventLoop().execute(this::pump); // an answer without rows: nothing to wait for
        } else {
            // Not from the listener itself: a write done at once calls it at once.
            sent.addListener(f -> parent.eventLoop().execute(this::pump));
        }
    }
}
