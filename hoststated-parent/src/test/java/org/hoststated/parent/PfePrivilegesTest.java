package org.hoststated.parent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.hoststated.core.config.Globals;
import org.junit.jupiter.api.Test;

/** pfe drops root when the daemon starts with l3 backend none, and then stays without it (probe AN). */
class PfePrivilegesTest {
    private static Globals backend(String name) {
        Globals d = Globals.defaults();
        return new Globals(d.intervalSec(), d.timeoutMs(), d.log(), d.prefork(), d.demote(), d.user(), d.chroot(),
                d.socket(), name, false);
    }

    @Test
    void onlyANoneBackendAtStartDropsRootAndThenKeepsToIt() {
        assertTrue(PfePrivileges.unprivileged(backend("none")));
        assertFalse(PfePrivileges.unprivileged(backend("nftables")));
        assertFalse(PfePrivileges.unprivileged(backend(null)), "the system's default writes rules");
        assertNull(PfePrivileges.reloadProblem(backend("none"), backend("none")));
        assertNull(PfePrivileges.reloadProblem(backend("nftables"), backend("none")), "a root pfe takes any");
        assertEquals("l3 backend nftables: the pf engine runs without root since the daemon started with l3 backend"
                + " none; restart the daemon to change it", PfePrivileges.reloadProblem(backend("none"), backend("nftables")));
        assertTrue(PfePrivileges.reloadProblem(backend("none"), backend(null)).startsWith("l3 backend (the system's default): "));
    }
}
