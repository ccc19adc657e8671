package org.hoststated.relay.lb;

import io.netty.util.concurrent.FastThreadLocal;
import java.net.InetSocketAddress;

/**
 * {@code roundrobin}: a counter per worker loop (relayd had one per relay process), so no
 * worker ever waits for another; the counter moves past the host actually chosen, as in
 * relay.c.
 */
public final class RoundRobin implements Scheduler {
    private final FastThreadLocal<int[]> next = new FastThreadLocal<>() {
        @Override
        protected int[] initialValue() {
            return new int[1];
        }
    };

    @Override
    public int start(int n, InetSocketAddress client, InetSocketAddress listen) {
        int i = next.get()[0];
        return i >= n || i < 0 ? 0 : i;
    }

    @Override
    public void chosen(int index) {
        next.get()[0] = index + 1;
    }
}
