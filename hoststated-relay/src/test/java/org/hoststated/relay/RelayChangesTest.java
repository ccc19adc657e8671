package org.hoststated.relay;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.hoststated.core.config.Config;
import org.hoststated.core.config.ConfigLoader;
import org.hoststated.core.config.LoadResult;
import org.hoststated.core.config.MapResolver;
import org.junit.jupiter.api.Test;

/**
 * The lines a reload logs about relays: one per relay added, moved (another listen address,
 * port or TLS) or removed, so that an operator sees from the log alone what the reload did to
 * the listening ports. Only "removed" was logged.
 */
class RelayChangesTest {
    private static Config config(String relays) {
        LoadResult r = ConfigLoader.parse("table t {\n  real port 80\n  check tcp\n  host 127.0.0.1\n}\n" + relays,
                "test.conf", Map.of(), new MapResolver(Map.of()));
        assertTrue(r.ok(), r.errors().toString());
        return r.config();
    }

    private static String relay(String name, String listen) {
        return "relay " + name + " {\n  listen on " + listen + "\n  table t\n}\n";
    }

    @Test
    void aReloadLogsEachRelayAddedMovedAndRemoved() {
        Config before = config(relay("stays", "127.0.0.1 port 2001") + relay("moves", "127.0.0.1 port 2002")
                + relay("goes", "127.0.0.1 port 2003") + relay("tls", "::1 port 2005"));
        Config after = config(relay("stays", "127.0.0.1 port 2001") + relay("moves", "127.0.0.2 port 2012")
                + relay("comes", "127.0.0.1 port 2004") + relay("tls", "::1 port 2005 ssl"));
        assertEquals(List.of(
                "relay moves: moved from 127.0.0.1 port 2002 to 127.0.0.2 port 2012",
                "relay comes: added, listening on 127.0.0.1 port 2004",
                "relay tls: moved from ::1 port 2005 to ::1 port 2005 ssl",
                "relay goes: removed"), RelayChanges.lines(before, after));
    }

    /**
     * A relay turned from DNS over UDP to TCP on the same address and port listens on another
     * socket: logged as a move (it logged nothing). A name that could pass for the line's own
     * text is quoted, as in the session lines.
     */
    @Test
    void aTransportChangeIsAMoveAndOddNamesAreQuoted() {
        String dns = "protocol d {\n  protocol dns\n}\n";
        Config before = config(dns + "relay r {\n  listen on 127.0.0.1 port 2053\n  protocol d\n  table t\n}\n"
                + relay("\"odd: name\"", "127.0.0.1 port 2006"));
        Config after = config(dns + relay("r", "127.0.0.1 port 2053"));
        assertEquals(List.of("relay r: moved from 127.0.0.1 port 2053 (udp) to 127.0.0.1 port 2053",
                "relay \"odd: name\": removed"), RelayChanges.lines(before, after));
    }

    @Test
    void theFirstConfigurationOfTheEngineLogsNothing() {
        assertEquals(List.of(), RelayChanges.lines(null, config(relay("r", "127.0.0.1 port 2001"))));
    }
}
