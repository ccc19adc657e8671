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
    final long session;
    final InetSocketAddress client;
    /** The client's query id, put back into the answer. */
    final int clientId;
    /** The query's question ({@link DnsQuestion#of}): only an answer to it is taken. */
    final byte[] question;
    final long startNanos;
    /** The query's size, relayed to the host ({@code show sessions} lists it). */
    final int queryBytes;
    /** Changes when a failed send is retried on the next host. */
    volatile TargetHost target;
    Future<?> timeout;
    /**
     * A {@code [moved off: host: why]} pair per host the query could not be sent to, as a TCP
     * session's line has for a failed connect: the line names only the host it went to last.
     * Null while there is none; on the relay's loop.
     */
    private StringBuilder movedOff;

    PendingQuery(long session, InetSocketAddress client, int clientId, byte[] question, TargetHost target,
            long startNanos, int queryBytes) {
        this.session = session;
        this.client = client;
        this.clientId = clientId;
        this.question = question;
        this.target = target;
        this.startNanos = startNanos;
        this.queryBytes = queryBytes;
    }

    /**
     * The query's close line, in a TCP session's form up to the host, so that one pattern reads
     * that much of both (relayd closed its UDP sessions with the same line): relay, session, the
     * queries still waiting, client and host; then how it ended and the time it took, in
     * milliseconds to a tenth (a TCP session's line gives its duration and bytes before the
     * reason instead).
     *
     * @param waiting the relay's queries still waiting for an answer (of every generation), this
     *     one not counted
     */
    String closeLine(String relayName, long waiting, long nowNanos, String why) {
        long micros = (nowNanos - startNanos) / 1000;
        return "relay " + SessionInfo.logName(relayName) + ", session " + session + " (" + waiting + " active), "
                + SessionInfo.address(client) + " -> " + (target == null ? "-" : target) + ", " + why + " (" + micros / 1000 + "."
                + micros / 100 % 10 + " ms)" + (movedOff == null ? "" : movedOff);
    }

    /** The query could not be sent to its host ({@code what} names it and why) and goes to another. */
    void movedOff(String what) {
        if (movedOff == null) {
            movedOff = new StringBuilder();
        }
        movedOff.append(" [moved off: ").append(what).append(']');
    }
}
