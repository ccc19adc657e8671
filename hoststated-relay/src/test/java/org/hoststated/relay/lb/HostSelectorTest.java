package org.hoststated.relay.lb;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.channel.ChannelPromise;
import io.netty.channel.embedded.EmbeddedChannel;
import java.net.InetSocketAddress;
import java.util.List;
import org.junit.jupiter.api.Test;

class HostSelectorTest {
    /**
     * A connect to a host chosen from a snapshot that an update replaced before the connect was
     * registered is abandoned at once: that update's look at the connects did not see it, and
     * it waited out its timeout (probe AI: 15-21 s, then 504, with every host going down).
     */
    @Test
    void aConnectRegisteredAfterItsHostWentDownIsAbandonedAtOnce() {
        TargetHost down = host(1);
        TargetHost up = host(2);
        HostSelector sel = new HostSelector(new RoundRobin(), false, RelayHosts.allUsable(List.of(down, up)));
        sel.update(sel.hosts().with(h -> h.id() != 1));
        ChannelPromise late = new EmbeddedChannel().newPromise();
        sel.connecting(late, down);
        assertTrue(late.isCancelled());
        ChannelPromise fine = new EmbeddedChannel().newPromise();
        sel.connecting(fine, up);
        assertFalse(fine.isDone());
        assertEquals(1, sel.connectsInProgress());
    }

    private static TargetHost host(int id) {
        return new TargetHost(id, "h" + id, new InetSocketAddress("127.0.0.1", 1000 + id), 0);
    }
}
