package org.hoststated.relay.lb;

import io.netty.channel.ChannelFuture;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Predicate;

/**
 * The backend connects of one relay still in progress, with the host each goes to, so that
 * those to a host that went down are abandoned at once instead of waiting out the connect
 * timeout (up to 30 s against a host that drops packets): the session then fails over to the
 * next host like after any failed connect. Connects are added from the worker loops and
 * abandoned from the relay engine's loop; cancelling a connect is Netty's own way to give it
 * up (the channel closes on its loop and the connect listener sees the cancellation).
 */
final class PendingConnects {
    private final Map<ChannelFuture, TargetHost> pending = new ConcurrentHashMap<>();

    void add(ChannelFuture connect, TargetHost host) {
        pending.put(connect, host);
        connect.addListener(f -> pending.remove(connect));
    }

    /** Cancels the connects to hosts that {@code accepted} no longer takes. */
    void abandonUnless(Predicate<TargetHost> accepted) {
        pending.forEach((connect, host) -> {
            if (!accepted.test(host)) {
                connect.cancel(false);
            }
        });
    }

    int size() {
        return pending.size();
    }
}
