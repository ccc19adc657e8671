package org.hoststated.parent;

import org.hoststated.core.config.Globals;
import org.hoststated.core.config.L3Capabilities;
import org.hoststated.core.proc.EngineSettings;

/**
 * What the pf engine keeps of root. It needs privileges only to write the kernel's NAT rules
 * (nft, pfctl) and to kill their flows (conntrack's netlink socket); a daemon started with
 * {@code l3 backend none} writes none, so its pfe runs as the unprivileged user in the chroot,
 * as hce and the relay engine do, and as relayd's pfe drops to {@code _relayd}; with nftables
 * it runs as that user with CAP_NET_ADMIN alone; with pf (pfctl) as root. It ran as full root
 * while it reads the messages of both engines that face the network (probe AN). Decided once,
 * at start: a reload that names another backend then needs a restart, and is refused.
 */
final class PfePrivileges {
    private PfePrivileges() {
    }

    /** Whether the pfe of a daemon started with {@code started} runs unprivileged. */
    static boolean unprivileged(Globals started) {
        return "none".equals(started.l3Backend());
    }

    /**
     * Whether it runs as the unprivileged user with CAP_NET_ADMIN alone: for nftables, whose
     * netlink messages (rules and conntrack) need nothing else; out of the chroot, where nft
     * and libnftables are not. The pf backend's pfctl needs root.
     */
    static boolean netAdminOnly(Globals started) {
        return "nftables".equals(L3Capabilities.effectiveBackend(started.l3Backend()));
    }

    /** pfe's engine settings, from the parent's {@code root} and {@code unprivileged} ones. */
    static EngineSettings settings(Globals started, EngineSettings root, EngineSettings unprivileged) {
        return unprivileged(started) ? unprivileged : netAdminOnly(started) ? unprivileged.withNetAdmin() : root;
    }

    /** Why a reload to {@code next} cannot be applied by a pfe started with {@code started}, or null. */
    static String reloadProblem(Globals started, Globals next) {
        String named = "l3 backend " + (next.l3Backend() == null ? "(the system's default)" : next.l3Backend());
        if (unprivileged(started) && !"none".equals(next.l3Backend())) {
            return named + ": the pf engine runs without root since the daemon started with l3 backend none; restart the"
                    + " daemon to change it";
        }
        if (netAdminOnly(started) && "pf".equals(L3Capabilities.effectiveBackend(next.l3Backend()))) {
            return named + ": the pf engine runs without root (with the network administration capability alone, for"
                    + " nftables) since the daemon started with nftables; restart the daemon to change it";
        }
        return null;
    }
}
