package org.hoststated.relay.udp;

import io.netty.util.concurrent.Future;
import java.net.InetSocketAddress;
import org.hoststated.relay.lb.TargetHost;

/**
 * One forwarded query waiting for its answer (the original's DNS session): whom to answer, with
 * which id, and the host whose answer alone is accepted. Written on the relay's loop; the
 * engine's loop reads {@link #target} for {@code show sessions}.
 */
final class PendingQuery {
    final int session;
    final InetSocketAddress client;
    /** The client's query id, put back into the answer. */
    final int clientId;
    final long startNanos;
    /** Changes when a failed send is retried on the next host. */
    volatile TargetHost target;
    Future<?> timeout;

    PendingQuery(int session, InetSocketAddress client, int clientId, TargetHost target, long startNanos) {
        this.session = session;
        this.client = client;
        this.clientId = clientId;
        this.target = target;
        this.startNanos = startNanos;
    }
}
