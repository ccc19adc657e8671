package org.hoststated.relay.lb;

import java.net.InetSocketAddress;

/**
 * A scheduling mode of a relay table (SPEC 1.6, relay.c {@code relay_from_table}): where the
 * search for a host starts. One implementation per mode; called on the worker loop that
 * accepted the session.
 */
public interface Scheduler {
    /**
     * The index, in [0, n), where the search for a host for this session starts.
     *
     * @param n number of hosts, at least 1
     * @param hashKey the session's hash key: the relay key ({@link Hash32#relayKey}), into
     *     which an HTTP session's {@code hash} actions may have fed values; ignored by
     *     {@code roundrobin}
     */
    int start(int n, InetSocketAddress client, InetSocketAddress listen, int hashKey);

    /**
     * For a mode that hashes, where a session goes when the host at its {@link #start} cannot
     * take it: its place, in [0, k), among the {@code k} hosts that can, taken from its hash so
     * that the sessions of a host that is down spread over all the others and each keeps its
     * host while that one stays up. -1 (the default: roundrobin, a fixed target) scans forward
     * from start to the next host that can, as relay.c did for every mode.
     */
    default int instead(int k, InetSocketAddress client, InetSocketAddress listen, int hashKey) {
        return -1;
    }

    /** The host at {@code index} was chosen. */
    default void chosen(int index) {
    }
}
