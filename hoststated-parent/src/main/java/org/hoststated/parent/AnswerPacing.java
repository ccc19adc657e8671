package org.hoststated.parent;

import io.netty.channel.ChannelFuture;
import io.netty.channel.EventLoop;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.hoststated.core.msg.AnswerCredit;
import org.hoststated.core.msg.Empty;
import org.hoststated.core.msg.Imsg;
import org.hoststated.core.msg.MessageType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Paces each {@code show summary} answer by the reading of its own control client: pfe sends
 * an answer's rows only against credit (CTL_ANSWER_CREDIT, {@value #BATCH} rows at a time),
 * and the parent grants the next batch once the last one has arrived and the client has at
 * most {@value #PACE_BYTES} bytes queued, or else once those bytes are in its socket. So the
 * rows wait in pfe, which makes them as they are granted, and not in the parent; and the
 * parent always reads pfe's channel. It stopped reading it instead while one client was
 * behind, and every other answer from pfe waited for that client: {@code show relays} beside
 * a summary read at 200 kB/s got no reply within hoststatectl's 30 s.
 *
 * <p>A client that takes nothing of its answer for {@link #maxStallMs} ms is closed, and pfe
 * told to drop the answer (CTL_ANSWER_DROP) whenever its client goes. Owned by the parent's
 * loop; {@link Parent} routes pfe's answers through {@link #forward}.
 */
final class AnswerPacing {
    /** Rows of an answer pfe may send before the parent grants more. */
    static final int BATCH = 512;
    /** Queued for a client, past which its answer's next batch waits for them to be sent. */
    static final int PACE_BYTES = 256 << 10;
    static final long MAX_STALL_MS = 5_000;
    /** How often a waiting answer's client is looked at for progress. */
    private static final long LOOK_MS = 250;
    private static final Set<MessageType> ANSWER_ENDS = EnumSet.of(MessageType.CTL_OK, MessageType.CTL_FAIL,
            MessageType.CTL_END);

    private static final Logger log = LoggerFactory.getLogger(AnswerPacing.class);

    /** One client's answer under way in pfe. */
    private static final class Paced {
        final ControlClient client;
        /** Rows granted and not arrived yet; the next batch is granted only at 0. */
        int due;
        /** Waiting for the client to take its queued rows before the next grant. */
        boolean waiting;
        /** The client's queued bytes at the last look, and for how long they have not fallen. */
        long pending;
        long stalledMs;
        /**
         * A {@link #look} is scheduled. One at a time: each wait started another, the waits
         * of a long answer piled them up, and each added its quarter second to the stall, so
         * a client reading 200 kB/s was closed as one that took nothing for 5 s (probe W).
         */
        boolean looking;
        /** pfe has sent this answer a row it was not granted (warned once per answer). */
        boolean overran;

        Paced(ControlClient client) {
            this.client = client;
        }
    }

    private final EventLoop loop;
    private final Consumer<Imsg> toPfe;
    private final long maxStallMs;
    /** By client number, as pfe's rows carry it. */
    private final Map<Integer, Paced> answers = new HashMap<>();

    /** {@code toPfe} sends to pfe, or drops the message while pfe has no channel. */
    AnswerPacing(EventLoop loop, Consumer<Imsg> toPfe) {
        this(loop, toPfe, MAX_STALL_MS);
    }

    AnswerPacing(EventLoop loop, Consumer<Imsg> toPfe, long maxStallMs) {
        this.loop = loop;
        this.toPfe = toPfe;
        this.maxStallMs = maxStallMs;
    }

    /** {@code c}'s CTL_SHOW_SUM has been passed to pfe: its answer gets its first batch. */
    void begin(ControlClient c) {
        Paced p = new Paced(c);
        answers.put(c.id, p);
        grant(p);
    }

    /** Passes {@code m}, an engine's reply to {@code c}, and grants its answer more when it is due. */
    void forward(ControlClient c, Imsg m) {
        Paced p = answers.get(c.id);
        if (p == null || p.client != c) {
            c.forward(m); // not a paced answer: a single reply
            return;
        }
        if (ANSWER_ENDS.contains(m.type())) {
            answers.remove(c.id);
            c.forward(m);
            return;
        }
        if (p.due == 0) {
            // pfe's to keep to its credit; the parent still queues at most what it sends.
            if (!p.overran) {
                p.overran = true;
                log.warn("pfe sent control client {} a row it was not granted (a fault of pfe; the "
                        + "answer goes on)", c.id);
            }
            c.forward(m);
            return;
        }
        if (--p.due > 0) {
            c.forward(m);
            return;
        }
        ChannelFuture sent = c.forwardTracked(m);
        if (c.pendingBytes() <= PACE_BYTES) {
            grant(p);
            return;
        }
        p.waiting = true;
        p.pending = c.pendingBytes();
        p.stalledMs = 0;
        // Not from the listener itself: a write done at once calls it at once.
        sent.addListener(f -> loop.execute(() -> taken(p)));
        if (!p.looking) {
            p.looking = true;
            loop.schedule(() -> look(p), LOOK_MS, TimeUnit.MILLISECONDS);
        }
    }

    /** {@code c} has gone: pfe stops making its answer. */
    void forget(ControlClient c) {
        Paced p = answers.get(c.id);
        if (p != null && p.client == c) {
            answers.remove(c.id);
            toPfe.accept(new Imsg(MessageType.CTL_ANSWER_DROP, c.id, 0, Empty.INSTANCE));
        }
    }

    /** pfe has stopped: no answer of it is coming (the parent fails them), nor is credit wanted. */
    void engineLost() {
        answers.clear();
    }

    /** How many answers are under way. */
    int underWay() {
        return answers.size();
    }

    /** The rows queued before the batch's last are in the client's socket. */
    private void taken(Paced p) {
        if (p.waiting && answers.get(p.client.id) == p && p.client.isOpen()) {
            grant(p);
        }
    }

    private void look(Paced p) {
        if (!p.waiting || answers.get(p.client.id) != p) {
            p.looking = false;
            return;
        }
        long now = p.client.pendingBytes();
        if (now < p.pending) {
            p.pending = now;
            p.stalledMs = 0;
        } else if ((p.stalledMs += LOOK_MS) >= maxStallMs) {
            log.warn("control client {}: has taken nothing of its answer for {} s; closing", p.client.id,
                    maxStallMs / 1000.0);
            p.looking = false;
            p.client.close(); // which forgets it
            return;
        }
        loop.schedule(() -> look(p), LOOK_MS, TimeUnit.MILLISECONDS);
    }

    private void grant(Paced p) {
        p.waiting = false;
        p.due += BATCH;
        toPfe.accept(new Imsg(MessageType.CTL_ANSWER_CREDIT, p.client.id, 0, new AnswerCredit(BATCH)));
    }
}
