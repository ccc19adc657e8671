package org.hoststated.parent;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelPromise;
import io.netty.channel.epoll.EpollDomainSocketChannel;
import io.netty.channel.unix.PeerCredentials;
import java.util.ArrayDeque;
import java.util.EnumSet;
import java.util.Set;
import org.hoststated.core.msg.Imsg;
import org.hoststated.core.msg.MessageType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One connection on the control socket. Its id travels as the peer id of the requests the
 * parent forwards to pfe, so that pfe's answers find their way back. Owned by the parent's
 * event loop.
 *
 * <p>Requests are handled one at a time, in the order they came: one sent before the answer
 * of the one before (CTL_OK, CTL_FAIL or CTL_END) waits, and the connection is not read
 * meanwhile, so a client that sends several at once gets their answers in turn and cannot make
 * the parent hold more than one read of them.
 */
final class ControlClient {
    private static final Logger log = LoggerFactory.getLogger(ControlClient.class);
    /** The replies that end the answer to a request. */
    private static final Set<MessageType> ANSWER_ENDS = EnumSet.of(MessageType.CTL_OK, MessageType.CTL_FAIL,
            MessageType.CTL_END);
    final int id;
    final Channel channel;
    private final ControlServer.Requests requests;
    /** Set by {@code hoststatectl monitor}: the client receives every event from now on. */
    boolean monitor;
    /** The client has sent a whole request (hoststatectl sends one as soon as it connects). */
    boolean spoke;
    /** A request is being handled: the ones that follow wait in {@link #held}. */
    private boolean answering;
    private final ArrayDeque<Imsg> held = new ArrayDeque<>();

    /** Whether {@link #introduce} has logged who the client is. */
    private boolean introduced;
    /** The peer's uid and pid as {@link #peer} says them, once read. */
    private String peer;

    ControlClient(int id, Channel channel, ControlServer.Requests requests) {
        this.id = id;
        this.channel = channel;
        this.requests = requests;
    }

    /**
     * Logs once who the client is, the uid and pid of its socket's peer, before the first
     * change it asks for: the changes are logged as "by control client N", which named nobody
     * once the client had gone, while root's whole group may use the socket (probe AN).
     */
    void introduce() {
        if (introduced) {
            return;
        }
        introduced = true;
        log.info("control client {} is {}", id, peer());
    }

    /** "uid U, pid P" of the socket's peer, read once. */
    private String peer() {
        if (peer == null) {
            try {
                PeerCredentials p = ((EpollDomainSocketChannel) channel).peerCredentials();
                peer = "uid " + p.uid() + ", pid " + p.pid();
            } catch (java.io.IOException | ClassCastException e) {
                peer = "uid and pid unknown (" + e.getMessage() + ")";
            }
        }
        return peer;
    }

    /**
     * Warns that the client does not read its replies and closes it, naming who it is: it
     * asked for no change, so it was never named (probe AQ).
     */
    void closeUnread(String howMuch) {
        log.warn("control client {} ({}): does not read its replies{}; closing", id, peer(), howMuch);
        channel.close();
    }

    /** A request from the client: handled now, or once the previous one has been answered. */
    void received(Imsg m) {
        if (answering) {
            held.add(m);
            channel.config().setAutoRead(false);
            return;
        }
        handle(m);
    }

    private void handle(Imsg m) {
        answering = true;
        requests.request(this, m);
        if (m.type() == MessageType.CTL_NOTIFY) {
            answered(); // a monitor is not answered: its events follow
        }
    }

    /** Whether a request of the client's is under way: it waits quietly for the answer. */
    boolean answering() {
        return answering;
    }

    /** The current request has been answered: the next one held, if any, is handled. */
    private void answered() {
        Imsg next = held.poll();
        if (next == null) {
            answering = false;
            channel.config().setAutoRead(true);
            return;
        }
        // Not from inside the code that sent the answer; the client stays answering till then.
        channel.eventLoop().execute(() -> {
            if (channel.isActive()) {
                handle(next);
            }
        });
    }

    /**
     * Queues {@code m} for the client. A client that lets more than
     * {@link ControlServer#MAX_QUEUED} bytes of replies pile up is closed instead.
     */
    void send(Imsg m) {
        if (!channel.isWritable()) {
            if (channel.isOpen()) {
                closeUnread("");
            }
            return;
        }
        write(m, channel.voidPromise());
    }

    /**
     * Queues {@code m}, a reply or a row of an engine's answer that {@link AnswerPacing} paces:
     * past the channel's mark too (the rows the engine was granted), within the server's cap
     * on what all clients have queued.
     */
    void forward(Imsg m) {
        if (channel.isOpen()) {
            write(m, channel.voidPromise());
        }
    }

    /**
     * {@link #forward}, and the future of the write: done once {@code m}, and all queued before
     * it, is in the client's socket; failed if the client closes first.
     */
    ChannelFuture forwardTracked(Imsg m) {
        ChannelPromise p = channel.newPromise();
        write(m, p);
        return p;
    }

    /** The bytes queued for the client and not yet in its socket. */
    long pendingBytes() {
        io.netty.channel.ChannelOutboundBuffer b = channel.unsafe().outboundBuffer();
        return b == null ? 0 : b.totalPendingWriteBytes();
    }

    boolean isOpen() {
        return channel.isOpen();
    }

    private void write(Imsg m, ChannelPromise p) {
        channel.writeAndFlush(m, p);
        if (answering && ANSWER_ENDS.contains(m.type())) {
            answered();
        }
    }

    /**
     * Queues {@code frames}, a whole answer already encoded (the last frame ends it), as
     * {@link #send} does; takes over the buffer.
     */
    void sendAnswer(ByteBuf frames) {
        if (sendEncoded(frames) && answering) {
            answered();
        }
    }

    /** Queues {@code frame}, an encoded event for a monitor; takes over the buffer. */
    void sendEvent(ByteBuf frame) {
        sendEncoded(frame);
    }

    private boolean sendEncoded(ByteBuf frames) {
        if (!channel.isWritable()) {
            frames.release();
            if (channel.isOpen()) {
                closeUnread("");
            }
            return false;
        }
        channel.writeAndFlush(frames, channel.voidPromise());
        return true;
    }

    void close() {
        channel.close();
    }
}
