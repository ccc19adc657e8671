package org.hoststated.parent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.hoststated.core.config.Globals;
import org.hoststated.core.proc.EngineSettings;
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

    /** With nftables pfe keeps CAP_NET_ADMIN alone, out of the chroot; pfctl needs root. */
    @Test
    void nftablesKeepsTheNetworkCapabilityAloneAndPfRoot() {
        EngineSettings root = new EngineSettings(null, null, true, false, false);
        EngineSettings user = new EngineSettings("_hoststated", "/var/empty", true, false, false);
        assertEquals(user, PfePrivileges.settings(backend("none"), root, user));
        assertEquals(new EngineSettings("_hoststated", null, true, false, true),
                PfePrivileges.settings(backend("nftables"), root, user));
        assertEquals(root, PfePrivileges.settings(backend("pf"), root, user));
        assertNull(PfePrivileges.reloadProblem(backend("nftables"), backend("none")));
        assertNull(PfePrivileges.reloadProblem(backend("pf"), backend("nftables")), "a root pfe takes any");
        assertTrue(PfePrivileges.reloadProblem(backend("nftables"), backend("pf"))
                .startsWith("l3 backend pf: the pf engine runs without root (with the network administration capability"));
        assertTrue(EngineSettings.fromEnvironment(envOf(PfePrivileges.settings(backend("nftables"), root, user))).netAdmin());
    }

    private static java.util.Map<String, String> envOf(EngineSettings s) {
        java.util.Map<String, String> env = new java.util.HashMap<>();
        for (String kv : s.toEnvironment()) {
            env.put(kv.substring(0, kv.indexOf('=')), kv.substring(kv.indexOf('=') + 1));
        }
        return env;
    }
}
