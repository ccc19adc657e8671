package org.hoststated.relay.handler;

import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.socket.DuplexChannel;
import io.netty.util.AttributeKey;

/**
 * Small helpers the relay session handlers share: the reason a session ended (kept on the
 * client channel, first writer wins, printed in the session's close line) and the two
 * flush-then-act steps of a relay, {@code closeOnFlush} and {@code shutdownOutputOnFlush}.
 * Called on the session's worker loop.
 */
public final class RelaySession {
    static final AttributeKey<String> REASON = AttributeKey.valueOf("hoststated.relay.reason");

    private RelaySession() {
    }

    /** Records why the session ends, unless a reason was recorded already. */
    public static void setReason(Channel client, String reason) {
        client.attr(REASON).setIfAbsent(reason);
    }

    public static String reason(Channel client) {
        String r = client.attr(REASON).get();
        return r != null ? r : "done";
    }

    /** Closes {@code ch} once everything queued on it before has been written. */
    public static void closeOnFlush(Channel ch) {
        if (ch.isActive()) {
            ch.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
        } else {
            ch.close();
        }
    }

    /**
     * Sends FIN on {@code ch} once everything queued before has been written: the peer's half
     * of a half-closed TCP session.
     */
    public static void shutdownOutputOnFlush(Channel ch) {
        if (!ch.isActive()) {
            return;
        }
        ch.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener((ChannelFutureListener) f -> {
            if (f.isSuccess() && ch instanceof DuplexChannel d) {
                d.shutdownOutput();
            } else {
                ch.close();
            }
        });
    }
}
