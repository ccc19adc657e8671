package org.hoststated.relay.lb;

import java.net.InetSocketAddress;

/**
 * {@code hash}: like {@link LoadBalance} without the client's address, so every session of a
 * relay goes to the same host while it is up. (Protocol {@code hash} actions, which feed
 * header values into the key, need a late connect and belong to the HTTP relay.)
 */
public final class Hash implements Scheduler {
    private final int relayKey;

    public Hash(int relayKey) {
        this.relayKey = relayKey;
    }

    @Override
    public int start(int n, InetSocketAddress client, InetSocketAddress listen) {
        int h = Hash32.address(listen.getAddress(), relayKey);
        h = Hash32.port(listen.getPort(), h);
        return Integer.remainderUnsigned(h, n);
    }
}
