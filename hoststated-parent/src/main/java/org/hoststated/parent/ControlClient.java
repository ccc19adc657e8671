package org.hoststated.parent;

import io.netty.channel.Channel;
import org.hoststated.core.msg.Imsg;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One connection on the control socket. Its id travels as the peer id of the requests the
 * parent forwards to pfe, so that pfe's answers find their way back. Owned by the parent's
 * event loop.
 */
final class ControlClient {
    private static final Logger log = LoggerFactory.getLogger(ControlClient.class);
    final int id;
    final Channel channel;
    /** Set by {@code hoststatectl monitor}: the client receives every event from now on. */
    boolean monitor;
    /** The client has sent a whole request (hoststatectl sends one as soon as it connects). */
    boolean spoke;

    ControlClient(int id, Channel channel) {
        this.id = id;
        this.channel = channel;
    }

    /**
     * Queues {@code m} for the client. A client that lets more than
     * {@link ControlServer#MAX_QUEUED} bytes of replies pile up is closed instead.
     */
    void send(Imsg m) {
        if (!channel.isWritable()) {
            if (channel.isOpen()) {
                log.warn("control client {}: does not read its replies; closing", id);
                channel.close();
            }
            return;
        }
        channel.writeAndFlush(m, channel.voidPromise());
    }

    void close() {
        channel.close();
    }
}
