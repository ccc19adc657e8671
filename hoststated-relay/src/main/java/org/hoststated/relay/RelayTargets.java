package org.hoststated.relay;

import java.net.InetSocketAddress;
import java.util.List;
import java.util.function.Predicate;
import org.hoststated.core.config.Config;
import org.hoststated.core.config.ForwardTarget;
import org.hoststated.core.config.HostConfig;
import org.hoststated.core.config.IpProtocol;
import org.hoststated.core.config.RelayConfig;
import org.hoststated.core.config.ServiceConfig;
import org.hoststated.core.config.ServiceTarget;
import org.hoststated.core.config.TableConfig;
import org.hoststated.core.config.TableTarget;
import org.hoststated.core.config.VirtualHost;
import org.hoststated.relay.lb.Hash;
import org.hoststated.core.hash.Hash32;
import org.hoststated.relay.lb.HostSelector;
import org.hoststated.relay.lb.LoadBalance;
import org.hoststated.relay.lb.RelayHosts;
import org.hoststated.relay.lb.RoundRobin;
import org.hoststated.relay.lb.Scheduler;
import org.hoststated.relay.lb.TargetHost;

/**
 * Turns a relay's target ({@code forward to}, {@code service}, {@code table}) into the
 * {@link HostSelector} its sessions use. Runs on the relay engine's loop when a configuration
 * is applied. Stateless.
 */
public final class RelayTargets {
    private RelayTargets() {
    }

    /**
     * The selector of {@code relay} in {@code config}; {@code usable} says which table hosts
     * may get sessions now. A relay with only {@code nat lookup} gets an empty selector.
     */
    public static HostSelector selector(RelayConfig relay, Config config, Predicate<TargetHost> usable) {
        return selector(relay, config, usable, h -> false);
    }

    /**
     * Like {@link #selector(RelayConfig, Config, Predicate)}; {@code disabled} says which table
     * hosts the operator disabled (the host or its table), which even {@code no check} leaves out.
     */
    public static HostSelector selector(RelayConfig relay, Config config, Predicate<TargetHost> usable,
            Predicate<TargetHost> disabled) {
        return selector(relay, config, usable, disabled, new java.util.HashMap<>());
    }

    /**
     * Like {@link #selector(RelayConfig, Config, Predicate, Predicate)}; the relays of one
     * configuration that use one table at one port share its hosts' snapshot through
     * {@code shared}: a list per relay took 10 million host objects for 2,000 relays on a table
     * of 5,000 hosts, more than the engine's heap, and the engine died at each start (probe U).
     */
    public static HostSelector selector(RelayConfig relay, Config config, Predicate<TargetHost> usable,
            Predicate<TargetHost> disabled, java.util.Map<List<Object>, RelayHosts> shared) {
        if (relay.target() == null) {
            return new HostSelector(new RoundRobin(), false, RelayHosts.allUsable(List.of()));
        }
        if (relay.target() instanceof ForwardTarget f) {
            return HostSelector.fixed(
                    new TargetHost(-1, f.name(), new InetSocketAddress(f.address(), f.port()), f.retry()));
        }
        if (relay.target() instanceof ServiceTarget s) {
            return HostSelector.fixed(serviceHost(s, config, config.transport(relay)));
        }
        TableTarget t = (TableTarget) relay.target();
        RelayHosts hosts = shared.computeIfAbsent(List.of(t.table(), t.port()),
                k -> RelayHosts.of(tableHosts(t, config), usable, h -> false, disabled));
        return new HostSelector(scheduler(t), t.noCheck(), Hash32.relayKey(relay.name(), t.table()), hosts);
    }

    /** The hosts of a table target in configuration order, with the target's port. */
    public static List<TargetHost> tableHosts(TableTarget t, Config config) {
        TableConfig table = config.table(t.table())
                .orElseThrow(() -> new IllegalArgumentException("unknown table " + t.table()));
        int port = t.port() > 0 ? t.port() : table.port();
        return table.hosts().stream().map(h -> host(h, port)).toList();
    }

    private static TargetHost host(HostConfig h, int port) {
        return new TargetHost(h.id(), h.name(), new InetSocketAddress(h.address(), port), h.retry());
    }

    /** The service's virtual host for the relay's transport ({@link ServiceConfig#relayTarget}). */
    private static TargetHost serviceHost(ServiceTarget s, Config config, IpProtocol transport) {
        ServiceConfig svc = config.service(s.service())
                .orElseThrow(() -> new IllegalArgumentException("unknown service " + s.service()));
        VirtualHost vh = svc.relayTarget(transport)
                .orElseThrow(() -> new IllegalArgumentException("service " + s.service() + " has no virtual host"));
        return new TargetHost(-1, vh.name(), new InetSocketAddress(vh.address(), vh.port()), s.retry());
    }

    static Scheduler scheduler(TableTarget t) {
        return switch (t.mode()) {
            case ROUNDROBIN -> new RoundRobin();
            case LOADBALANCE -> new LoadBalance();
            case HASH -> new Hash();
        };
    }
}
