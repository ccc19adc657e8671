package org.hoststated.pfe.backend;

import java.net.InetAddress;
import java.util.List;
import org.hoststated.core.config.IpProtocol;

/**
 * The kernel's layer-3 redirection rules, kept equal to pfe's state. pfe calls {@link #apply}
 * with the whole desired state after every burst of changes; an implementation makes the
 * kernel match it, atomically where the kernel allows, on a writer thread of its own: apply
 * never blocks pfe's event loop. One implementation per kernel interface (nftables, pf, none);
 * it is the only class that knows that interface's syntax.
 */
public interface L3Backend extends AutoCloseable {
    /** "nftables", "pf" or "none". */
    String name();

    /**
     * Reads what a previous run left in the kernel; it stays until the first {@link #apply}
     * replaces it. Called once, before the first apply.
     *
     * @return whether a previous run left redirection rules (pfe then holds its first write
     *         until every host is checked, however long that takes)
     */
    boolean start();

    /**
     * Makes the kernel redirect exactly {@code services}, soon, and then cuts the flows of
     * {@code kills}: only once no rule sends new flows to those hosts, or the next packet of
     * a cut flow would be sent to the same host again.
     *
     * @param kills flows to cut ({@code kill states}); kills of applies that a newer one
     *        replaced before they were written are kept and cut after the newer one
     * @param changedAt {@link System#nanoTime()} of the first state change this apply
     *        carries, for the "applied N ms after the change" debug line
     */
    void apply(List<Redirect> services, List<StateKill> kills, long changedAt);

    /**
     * Waits until everything given to {@link #apply} so far has been tried once.
     *
     * @return false if that took longer than {@code timeoutMs}
     */
    boolean awaitApplied(long timeoutMs) throws InterruptedException;

    /** Whether {@link #close} leaves the rules in place ({@code l3 keep rules}); a reload may change it. */
    void keepRules(boolean keep);

    /** Writes what is pending, then removes the rules unless configured to keep them. */
    @Override
    void close();

    /**
     * What one service should redirect: each virtual address and port to the up hosts of its
     * active table on {@code realPort}; an empty {@code hosts} list means no rule.
     *
     * @param service the service's name
     * @param pool every host of the active table in configuration order, up or not (keeps
     *        sticky clients of hosts that stay up where they are when another host fails)
     * @param hosts the hosts of the active table that are up, in configuration order
     * @param tag pf tag (a packet mark with nftables), or null
     */
    record Redirect(String service, List<Virtual> virtuals, List<InetAddress> pool, List<InetAddress> hosts,
                    int realPort, boolean sticky, String tag) {
        public Redirect {
            virtuals = List.copyOf(virtuals);
            pool = List.copyOf(pool);
            hosts = List.copyOf(hosts);
        }
    }

    /**
     * The flows that one service's rules sent to a host that is no longer one of its targets
     * ({@code kill states}): original destination one of {@code virtuals} (address, port and
     * protocol), answered by {@code host} from {@code realPort}.
     *
     * @param why what happened to the host ("down", "removed"), for the log line
     */
    record StateKill(String service, List<Virtual> virtuals, InetAddress host, int realPort, String why) {
        public StateKill {
            virtuals = List.copyOf(virtuals);
        }
    }

    /**
     * A virtual address, protocol and port of a service, optionally limited to an input
     * interface.
     */
    record Virtual(InetAddress address, IpProtocol protocol, int port, String iface) {
        public Virtual {
            java.util.Objects.requireNonNull(protocol, "protocol");
        }
    }
}
