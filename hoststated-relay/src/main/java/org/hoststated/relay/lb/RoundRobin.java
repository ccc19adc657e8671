package org.hoststated.relay.lb;

import java.net.InetSocketAddress;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * {@code roundrobin}: one counter per relay, shared by its worker loops; the counter moves
 * past the host actually chosen, as in relay.c. A counter per worker would send the first
 * {@code prefork} connections all to the first host, since new connections are dealt to the
 * workers in turn. Concurrent updates may repeat a host now and then; the order stays fair.
 */
public final class RoundRobin implements Scheduler {
    private final AtomicInteger next = new AtomicInteger();

    @Override
    public int start(int n, InetSocketAddress client, InetSocketAddress listen, int hashKey) {
        int i = next.get();
        return i >= n || i < 0 ? 0 : i;
    }

    @Override
    public void chosen(int index) {
        next.lazySet(index + 1);
    }
}
