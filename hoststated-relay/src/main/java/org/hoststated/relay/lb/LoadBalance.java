package org.hoststated.relay.lb;

import java.net.InetSocketAddress;

/**
 * {@code loadbalance}: hash32 of the session's hash key (the relay key, plus the values of an
 * HTTP relay's {@code hash} actions), the client's address, the listen address
 * and the listen port, modulo the number of hosts. relayd hashed the whole client
 * {@code sockaddr}, port included, which spread one client over every host; hashing only its
 * address keeps a client on one host while that host is up.
 */
public final class LoadBalance implements Scheduler {
    @Override
    public int start(int n, InetSocketAddress client, InetSocketAddress listen, int hashKey) {
        return Integer.remainderUnsigned(hash(client, listen, hashKey), n);
    }

    @Override
    public int instead(int k, InetSocketAddress client, InetSocketAddress listen, int hashKey) {
        return Integer.remainderUnsigned(Hash32.mix(hash(client, listen, hashKey)), k);
    }

    private static int hash(InetSocketAddress client, InetSocketAddress listen, int hashKey) {
        int h = Hash32.address(client.getAddress(), hashKey);
        h = Hash32.address(listen.getAddress(), h);
        return Hash32.port(listen.getPort(), h);
    }
}
