package org.hoststated.pfe.backend;

import java.net.InetAddress;
import java.util.List;

/**
 * The kernel's layer-3 redirection rules, kept equal to pfe's state. pfe calls
 * {@link #apply} with the whole desired state after every change; an implementation makes the
 * kernel match it atomically where the kernel allows. Runs on pfe's event loop or on a writer
 * thread of the implementation's own; it must never block the loop for long.
 */
public interface L3Backend extends AutoCloseable {
    /** "nftables", "pf" or "none". */
    String name();

    /** Replaces the kernel's rules with {@code services}. */
    void apply(List<Redirect> services);

    /** Removes the rules at shutdown, unless configured to keep them. */
    @Override
    void close();

    /**
     * What one service should redirect: each virtual address and port to the up hosts of its
     * active table on {@code realPort}; an empty {@code hosts} list means no rule.
     */
    record Redirect(String service, List<Virtual> virtuals, List<InetAddress> hosts, int realPort,
                    boolean sticky, String tag) {
        public Redirect {
            virtuals = List.copyOf(virtuals);
            hosts = List.copyOf(hosts);
        }
    }

    /** A virtual address of a service, optionally limited to an input interface. */
    record Virtual(InetAddress address, int port, String iface) {
    }
}
