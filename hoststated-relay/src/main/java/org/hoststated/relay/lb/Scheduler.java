package org.hoststated.relay.lb;

import java.net.InetSocketAddress;
import org.hoststated.core.hash.Hash32;

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
     * Whether a session whose host at {@link #start} cannot take it goes to the host that
     * {@link #spreadHash} ranks first among those that can (the modes that hash), rather than
     * to the next host that can after start, as relay.c did for every mode (the default:
     * roundrobin, a fixed target).
     */
    default boolean spreads() {
        return false;
    }

    /**
     * For a mode that {@link #spreads}: the session's hash, from which each host gets its rank
     * for the session ({@link HostSelector}). It must not follow {@link #start}'s: with 4
     * hosts and 2 up, ranks that did would send every moved session to the same one.
     */
    default int spreadHash(InetSocketAddress client, InetSocketAddress listen, int hashKey) {
        return 0;
    }

    /** The host at {@code index} was chosen. */
    default void chosen(int index) {
    }
}
