package org.hoststated.parent;

import io.netty.channel.Channel;
import org.hoststated.core.msg.Imsg;

/**
 * One connection on the control socket. Its id travels as the peer id of the requests the
 * parent forwards to pfe, so that pfe's answers find their way back. Owned by the parent's
 * event loop.
 */
final class ControlClient {
    final int id;
    final Channel channel;
    /** Set by {@code hoststatectl monitor}: the client receives every event from now on. */
    boolean monitor;

    ControlClient(int id, Channel channel) {
        this.id = id;
        this.channel = channel;
    }

    void send(Imsg m) {
        channel.writeAndFlush(m, channel.voidPromise());
    }

    void close() {
        channel.close();
    }
}
