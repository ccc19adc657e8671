package org.hoststated.relay.udp;

import io.netty.util.concurrent.Future;
import java.net.InetSocketAddress;
import org.hoststated.relay.handler.SessionInfo;
import org.hoststated.relay.lb.TargetHost;

/**
 * One forwarded query waiting for its answer (the original's DNS session): whom to answer, with
 * which id, and the host and question whose answer alone is accepted. Written on the relay's loop; the
 * engine's loop reads {@link #target} for {@code show sessions}.
 */
final class PendingQuery {
    final int session;
    final InetSocketAddress client;
    /** The client's query id, put back into the answer. */
    final int clientId;
    /** The query's question ({@link DnsQuestion#of}): only an answer to it is taken. */
    final byte[] question;
    final long startNanos;
    /** Changes when a failed send is retried on the next host. */
    volatile TargetHost target;
    Future<?> timeout;

    PendingQuery(int session, InetSocketAddress client, int clientId, byte[] question, TargetHost target,
            long startNanos) {
        this.session = session;
        this.client = client;
        this.clientId = clientId;
        this.question = question;
        this.target = target;
        this.startNanos = startNanos;
    }

    /**
     * The query's close line: relay, session, time taken, the client (as a TCP session's line
     * names it, so that an operator can tell whose query timed out) and how it ended.
     */
    String closeLine(String relayName, long nowNanos, String why) {
        return "relay " + relayName + ", session " + session + " (" + (nowNanos - startNanos) / 1000 + " µs), "
                + SessionInfo.address(client) + ": " + why;
    }
}
