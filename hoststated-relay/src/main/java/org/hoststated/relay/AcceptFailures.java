package org.hoststated.relay;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import java.util.concurrent.TimeUnit;
import org.hoststated.core.log.ThrottledCount;
import org.hoststated.core.posix.SystemError;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The first handler of a relay's listener: a failed accept (the engine out of descriptors,
 * "Too many open files") pauses accepting for {@link #PAUSE_MS} and is logged in one line at
 * most once a minute, with the count of failures since the last. Clients wait in the listen
 * queue meanwhile. Netty's own acceptor pauses so too, but logged each failure as an exception
 * that "reached at the tail of the pipeline": once a second on epoll; on io_uring, where a
 * multishot accept ended by an error is armed again whatever the channel wants (Netty 4.2.18),
 * 37,000 a second from a busy worker loop (120 MB of log in 20 s). The engine runs with
 * multishot accepts off for that reason (EngineSpec): one accept per submission honours the
 * pause. One instance per listener, on its loop.
 */
final class AcceptFailures extends ChannelInboundHandlerAdapter {
    private static final Logger log = LoggerFactory.getLogger(AcceptFailures.class);
    static final long PAUSE_MS = 1000;

    private final String relayName;
    private final ThrottledCount unwarned = new ThrottledCount();
    /** Failures since this listener started. */
    private long failures;
    /** The latest failure's text, named by the warning; on the loop. */
    private String latest;
    private boolean paused;

    AcceptFailures(String relayName) {
        this.relayName = relayName;
    }

    /** How many accepts failed on this listener (tests); on its loop. */
    long failures() {
        return failures;
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        failures++;
        latest = SystemError.text(cause);
        unwarned.add(ctx.channel().eventLoop(), count -> log.warn("relay {}: cannot accept a client: {} ({} since the "
                + "last warning); clients wait, accepting again every {} ms", relayName, latest, count, PAUSE_MS));
        pause(ctx.channel());
    }

    private void pause(Channel listener) {
        if (paused || !listener.isOpen()) {
            return;
        }
        paused = true;
        listener.config().setAutoRead(false);
        listener.eventLoop().schedule(() -> {
            paused = false;
            if (listener.isOpen()) {
                listener.config().setAutoRead(true);
            }
        }, PAUSE_MS, TimeUnit.MILLISECONDS);
    }
}
