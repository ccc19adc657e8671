package org.hoststated.relay.handler;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.net.Inet6Address;
import java.net.InetSocketAddress;
import org.hoststated.core.config.RelayConfig;
import org.hoststated.relay.RelayCounters;
import org.hoststated.relay.lb.HostSelector;

/**
 * What every session of one relay shares: the relay's configuration, its host selector, its
 * counters, and template {@link Bootstrap}s for backend connections over IPv4 and IPv6 (channel
 * type and socket options; each session clones one onto its own event loop). Immutable apart from the
 * selector's snapshot and the counters, both safe to use from any worker loop.
 *
 * @param sessions the client channels of open sessions (closed at shutdown; listed by tests)
 * @param logSessions log each closed session at info rather than debug ({@code log updates} or {@code log all})
 * @param lingering server sides that outlive their session while they take what was queued
 *     for them ({@link RelaySession#closeOnFlushWithin}): a stop waits for them, and resets
 *     those left at its end
 */
public record RelayContext(RelayConfig config, HostSelector selector, RelayCounters counters,
        Bootstrap backend4, Bootstrap backend6, ChannelGroup sessions, boolean logSessions, ChannelGroup lingering) {

    public RelayContext(RelayConfig config, HostSelector selector, RelayCounters counters, Bootstrap backend4,
            Bootstrap backend6, ChannelGroup sessions, boolean logSessions) {
        this(config, selector, counters, backend4, backend6, sessions, logSessions,
                new DefaultChannelGroup("lingering", GlobalEventExecutor.INSTANCE));
    }

    /** The backend template for connections to {@code to}. */
    public Bootstrap backend(InetSocketAddress to) {
        return to.getAddress() instanceof Inet6Address ? backend6 : backend4;
    }

    public String name() {
        return config.name();
    }
}
