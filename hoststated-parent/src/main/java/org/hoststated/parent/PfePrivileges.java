package org.hoststated.parent;

import org.hoststated.core.config.Globals;

/**
 * Whether the pf engine keeps root. It needs root only to write the kernel's NAT rules (nft,
 * pfctl) and to kill their flows (conntrack's netlink socket); a daemon started with
 * {@code l3 backend none} writes none, so its pfe runs as the unprivileged user in the chroot,
 * as hce and the relay engine do, and as relayd's pfe drops to {@code _relayd}. It ran as full
 * root while it reads the messages of both engines that face the network (probe AN). Decided
 * once, at start: a reload that names another backend then needs a restart, and is refused.
 */
final class PfePrivileges {
    private PfePrivileges() {
    }

    /** Whether the pfe of a daemon started with {@code started} runs unprivileged. */
    static boolean unprivileged(Globals started) {
        return "none".equals(started.l3Backend());
    }

    /** Why a reload to {@code next} cannot be applied by a pfe started with {@code started}, or null. */
    static String reloadProblem(Globals started, Globals next) {
        if (!unprivileged(started) || "none".equals(next.l3Backend())) {
            return null;
        }
        return "l3 backend " + (next.l3Backend() == null ? "(the system's default)" : next.l3Backend())
                + ": the pf engine runs without root since the daemon started with l3 backend none; restart the"
                + " daemon to change it";
    }
}
