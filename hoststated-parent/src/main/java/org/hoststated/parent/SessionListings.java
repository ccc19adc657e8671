package org.hoststated.parent;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.hoststated.core.imsg.ImsgChannel;
import org.hoststated.core.msg.Empty;
import org.hoststated.core.msg.Imsg;
import org.hoststated.core.msg.MessageType;
import org.hoststated.core.msg.Messages;
import org.hoststated.core.msg.Text;

/**
 * {@code show sessions} for every control client that asks, with at most one listing under way
 * in the relay engine: the clients that ask while one is being sent wait for the next, and
 * each listing goes to every client waiting for it, encoded once: the clients share its bytes
 * (250 clients with a copy each filled the parent's memory). The relay engine builds a listing on its
 * own loop (thousands of rows); one listing per client let a burst of 50 clients with 5,000
 * sessions hold that loop for more than the supervisor's 10 s, which then killed the relay
 * engine and every session with it. Runs on the parent's loop.
 */
final class SessionListings {
    /** Receive the listing under way. */
    private Set<ControlClient> receiving = new LinkedHashSet<>();
    /** Asked after the listing under way began: they get the next one. */
    private Set<ControlClient> next = new LinkedHashSet<>();
    /** The peer id of the listing under way, 0 when none is; the relay engine echoes it. */
    private int underWay;
    /** The frames of the listing under way received so far, as the clients get them. */
    private ByteBuf frames;
    private int lastListing;

    /** Queues {@code c} for a listing, and asks the relay engine for one unless one is under way. */
    void ask(ControlClient c, ImsgChannel relay) {
        next.add(c);
        if (underWay == 0) {
            begin(relay);
        }
    }

    private void begin(ImsgChannel relay) {
        Set<ControlClient> was = receiving;
        receiving = next;
        next = was;
        lastListing = lastListing == Integer.MAX_VALUE ? 1 : lastListing + 1;
        underWay = lastListing;
        // Direct, as the socket writes it: a heap buffer is copied to a direct one per client.
        frames = Unpooled.directBuffer();
        relay.send(new Imsg(MessageType.CTL_SHOW_SESSIONS, underWay, 0, Empty.INSTANCE));
    }

    /**
     * A row or the end of the listing under way, from the relay engine. At the end the listing
     * goes to every client that receives it, and the clients that asked meanwhile get the next.
     */
    void answer(Imsg m, ImsgChannel relay) {
        if (m.peerId() != underWay || underWay == 0) {
            return;
        }
        Messages.encode(new Imsg(m.type(), 0, m.pid(), m.payload()), frames);
        if (m.type() != MessageType.CTL_END) {
            return;
        }
        for (ControlClient c : receiving) {
            c.sendAnswer(frames.retainedDuplicate());
        }
        frames.release();
        frames = null;
        receiving.clear();
        underWay = 0;
        if (!next.isEmpty()) {
            begin(relay);
        }
    }

    void forget(ControlClient c) {
        receiving.remove(c);
        next.remove(c);
    }

    /** The relay engine died: no listing is coming, so every waiting client is told so. */
    void engineLost(String why) {
        Imsg fail = Imsg.of(MessageType.CTL_FAIL, new Text(why));
        for (Set<ControlClient> clients : List.of(receiving, next)) {
            clients.forEach(c -> c.send(fail));
            clients.clear();
        }
        if (frames != null) {
            frames.release();
            frames = null;
        }
        underWay = 0;
    }
}
