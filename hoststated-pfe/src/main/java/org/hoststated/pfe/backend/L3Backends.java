package org.hoststated.pfe.backend;

import java.util.List;
import org.hoststated.core.config.Config;
import org.hoststated.core.config.Globals;
import org.hoststated.core.config.L3Capabilities;

/** Opens the backend a configuration asks for (or the one for this OS). */
public final class L3Backends {
    /** The daemon's own nft table; pf anchors are {@code hoststated/<service>}. */
    public static final String NFT_TABLE = "hoststated";
    private static final long COMMAND_TIMEOUT_MS = 10_000;

    private L3Backends() {
    }

    /** The backend name {@code config} selects: none for a configuration without services. */
    public static String nameFor(Config config) {
        return L3Capabilities.backendFor(config);
    }

    public static L3Backend open(Config config) {
        Globals g = config.globals();
        CommandRunner runner = CommandRunner.processes(COMMAND_TIMEOUT_MS);
        return switch (nameFor(config)) {
            case "nftables" -> new NftBackend(Nft.system(runner), NFT_TABLE, g.l3KeepRules());
            case "pf" -> new PfBackend(runner, List.of("pfctl"), g.l3KeepRules());
            default -> new NoneBackend();
        };
    }
}
