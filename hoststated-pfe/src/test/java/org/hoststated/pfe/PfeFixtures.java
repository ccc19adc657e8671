package org.hoststated.pfe;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.hoststated.core.config.Config;
import org.hoststated.core.config.ConfigLoader;
import org.hoststated.core.config.LoadResult;
import org.hoststated.core.config.SystemResolver;
import org.hoststated.core.msg.HostError;
import org.hoststated.core.msg.HostState;
import org.hoststated.core.msg.HostStatus;

/** Configurations and check results for pfe's unit tests. */
final class PfeFixtures {
    /** Service www: main table web (two hosts), backup table spare (one host). */
    static final String WWW = """
            l3 backend none
            table web {
            \treal port 8080
            \tcheck tcp
            \thost 10.21.2.11
            \thost 10.21.2.12
            \tdemote web
            }
            table spare {
            \treal port 8080
            \tcheck tcp
            \thost 10.21.2.21
            }
            service www {
            \tvirtual host 10.21.9.100 port 80
            \ttable web
            \tbackup table spare
            }
            service other {
            \tvirtual host 10.21.9.101 port 80
            \ttable web
            }
            """;

    /**
     * Service dual: virtual hosts of both families, main table mix and backup table sorry with
     * a host of each family.
     */
    static final String DUAL = """
            l3 backend none
            table mix {
            \treal port 8080
            \tcheck tcp
            \thost 10.21.2.11
            \thost fd21:2::11
            }
            table sorry {
            \treal port 8080
            \tcheck tcp
            \thost 10.21.2.21
            \thost fd21:2::21
            }
            service dual {
            \tvirtual host 10.21.9.100 port 80
            \tvirtual host fd21:9::100 port 80
            \ttable mix
            \tbackup table sorry
            \tkill states
            }
            """;

    /** {@link #WWW} without service other: www alone on its tables. */
    static final String WWW_ALONE = WWW.substring(0, WWW.indexOf("service other"));

    private PfeFixtures() {
    }

    static Config config(String text) {
        LoadResult r = ConfigLoader.parse(text, "test.conf", Map.of(), new SystemResolver());
        assertTrue(r.ok(), () -> r.errors().toString());
        return r.config();
    }

    static PfeState state(String text) {
        return PfeState.build(1, config(text), null);
    }

    static HostEntry host(PfeState s, String table, String address) {
        for (HostEntry h : s.hosts.values()) {
            if (h.table.config.name().equals(table) && h.config.name().equals(address)) {
                return h;
            }
        }
        throw new AssertionError("no host " + address + " in " + table);
    }

    /** Reports every host of {@code s} up. */
    static void allUp(PfeState s) {
        for (HostEntry h : s.hosts.values()) {
            report(s, h, HostState.UP);
        }
    }

    /** hce's report of a check of {@code h} with the verdict {@code st}. */
    static boolean report(PfeState s, HostEntry h, HostState st) {
        int checks = h.checkCount + 1;
        int ups = h.upCount + (st == HostState.UP ? 1 : 0);
        return s.applyStatus(new HostStatus(s.generation, h.config.id(), st,
                st == HostState.DOWN ? HostError.TCP_CONNECT_FAIL : HostError.NONE, checks, ups, 0, 1), h);
    }
}
