package org.hoststated.core.imsg;

import io.netty.channel.ChannelHandlerContext;
import org.hoststated.core.msg.MalformedMessageException;
import org.hoststated.core.msg.ProcId;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a channel does with a protocol violation: log it once, naming the peer, and close.
 * Shared by the frame decoder and the payload decoder of one channel.
 */
public final class ImsgErrors {
    private static final Logger log = LoggerFactory.getLogger(ImsgErrors.class);

    private final ProcId local;
    private final ProcId remote;
    private boolean reported;

    public ImsgErrors(ProcId local, ProcId remote) {
        this.local = local;
        this.remote = remote;
    }

    void malformed(ChannelHandlerContext ctx, MalformedMessageException e) {
        if (!reported) {
            reported = true;
            log.error("bad message from {}: {}; closing the channel", remote.title(), e.getMessage());
        }
        ctx.close();
    }
}
