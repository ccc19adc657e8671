package org.hoststated.relay.lb;

import java.net.InetSocketAddress;
import org.hoststated.core.hash.Hash32;

/**
 * {@code hash}: like {@link LoadBalance} without the client's address, so every session of a
 * relay goes to the same host while it is up. An HTTP relay's {@code hash} actions feed header,
 * query or cookie values into the session's key first ({@link HostSelector#select(
 * InetSocketAddress, InetSocketAddress, int)}), so equal values go to the same host.
 */
public final class Hash implements Scheduler {
    @Override
    public int start(int n, InetSocketAddress client, InetSocketAddress listen, int hashKey) {
        return Integer.remainderUnsigned(Hash32.mix(hash(listen, hashKey)), n);
    }

    @Override
    public boolean spreads() {
        return true;
    }

    @Override
    public int spreadHash(InetSocketAddress client, InetSocketAddress listen, int hashKey) {
        return Hash32.mix(Hash32.mix(hash(listen, hashKey)));
    }

    private static int hash(InetSocketAddress listen, int hashKey) {
        return Hash32.port(listen.getPort(), Hash32.address(listen.getAddress(), hashKey));
    }
}
