package org.hoststated.core.imsg;

import io.netty.channel.ChannelHandlerContext;
import org.hoststated.core.msg.MalformedMessageException;
import org.hoststated.core.msg.ProcId;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a channel does with a protocol violation: log it once, naming the peer, and close; or,
 * for a channel that answers its peer ({@link Answer}, the control socket's), hand it over
 * once and drop what the peer sends after it. Shared by the frame decoder and the payload
 * decoder of one channel.
 */
public final class ImsgErrors {
    private static final Logger log = LoggerFactory.getLogger(ImsgErrors.class);

    /** Answers a peer's first malformed message, then closes its channel in its own time. */
    public interface Answer {
        void malformed(ChannelHandlerContext ctx, MalformedMessageException e);
    }

    private final ProcId local;
    private final ProcId remote;
    private final Answer answer;
    private boolean reported;

    public ImsgErrors(ProcId local, ProcId remote) {
        this(local, remote, null);
    }

    public ImsgErrors(ProcId local, ProcId remote, Answer answer) {
        this.local = local;
        this.remote = remote;
        this.answer = answer;
    }

    /** Whether a malformed message was answered: the decoders drop what follows it. */
    boolean answered() {
        return reported && answer != null;
    }

    void malformed(ChannelHandlerContext ctx, MalformedMessageException e) {
        if (answer != null) {
            if (!reported) {
                reported = true;
                answer.malformed(ctx, e);
            }
            return;
        }
        if (!reported) {
            reported = true;
            log.error("bad message from {}: {}; closing the channel", remote.title(), e.getMessage());
        }
        ctx.close();
    }
}
