package org.hoststated.relay.lb;

import java.net.InetSocketAddress;
import org.hoststated.core.hash.Hash32;

/**
 * {@code loadbalance}: hash32 of the session's hash key (the relay key, plus the values of an
 * HTTP relay's {@code hash} actions), the client's address, the listen address
 * and the listen port, mixed ({@link Hash32#mix}), modulo the number of hosts. relayd hashed the
 * whole client {@code sockaddr}, port included, which spread one client over every host;
 * hashing only its address keeps a client on one host while that host is up. relayd took the
 * hash itself modulo the hosts: its low bits are a plain sum of the bytes, so with 2, 4 or 8
 * hosts two values that differ only in the case of their letters (32 apart) or in the order of
 * their bytes always went to the same host.
 *
 * <p>{@link #spreadHash} mixes once more: the ranks of the hosts for a session whose host is
 * down must not follow {@link #start}'s remainder.
 */
public final class LoadBalance implements Scheduler {
    @Override
    public int start(int n, InetSocketAddress client, InetSocketAddress listen, int hashKey) {
        return Integer.remainderUnsigned(Hash32.mix(hash(client, listen, hashKey)), n);
    }

    @Override
    public boolean spreads() {
        return true;
    }

    @Override
    public int spreadHash(InetSocketAddress client, InetSocketAddress listen, int hashKey) {
        return Hash32.mix(Hash32.mix(hash(client, listen, hashKey)));
    }

    private static int hash(InetSocketAddress client, InetSocketAddress listen, int hashKey) {
        int h = Hash32.address(client.getAddress(), hashKey);
        h = Hash32.address(listen.getAddress(), h);
        return Hash32.port(listen.getPort(), h);
    }
}
