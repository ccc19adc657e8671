package org.hoststated.parent;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import org.hoststated.core.config.Config;
import org.hoststated.core.config.L3Capabilities;
import org.hoststated.core.posix.AbstractSocketName;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Warns, at start, of an nftables table {@code inet hoststated} with redirections that no
 * running daemon owns. A daemon killed with every engine (SIGKILL) leaves its rules in the
 * kernel; a daemon started next with a configuration that has no services writes nothing there
 * and never looked, so clients went on being sent to hosts nobody checked, and nothing said so
 * (layer-3 probe, session 36: 4 DNAT rules to 200 hosts left for good). A warning, not a
 * removal: the rules may be kept on purpose ({@code l3 keep rules}), and a daemon with services
 * replaces them anyway. Runs on a thread of its own, once.
 */
final class StaleL3Table {
    private static final Logger log = LoggerFactory.getLogger(StaleL3Table.class);
    private static final String TABLE = "inet hoststated";

    private StaleL3Table() {
    }

    /** Looks in the background when {@code config} leaves nftables alone on Linux. */
    static void lookFor(Config config) {
        if (!System.getProperty("os.name", "").toLowerCase(Locale.ROOT).contains("linux")
                || "nftables".equals(L3Capabilities.backendFor(config))) {
            return;
        }
        Thread t = new Thread(StaleL3Table::look, "stale-l3-table");
        t.setDaemon(true);
        t.start();
    }

    private static void look() {
        String listing = list();
        if (listing == null || !listing.contains(" dnat ")) {
            return;
        }
        try (AbstractSocketName owner = AbstractSocketName.tryBind(L3Lock.NAME)) {
            if (owner == null) {
                return; // another daemon in this network namespace drives it
            }
        } catch (IOException e) {
            return;
        }
        log.warn("nftables table {} of an earlier run still redirects clients, and this configuration leaves it"
                + " alone (no services, or l3 backend none): its hosts are not checked; remove it with"
                + " 'nft delete table {}'", TABLE, TABLE);
    }

    /** The table's listing, or null when nft is missing, fails, or there is no such table. */
    private static String list() {
        try {
            Process p = new ProcessBuilder("nft", "list", "table", "inet", "hoststated")
                    .redirectError(ProcessBuilder.Redirect.DISCARD).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(5, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return null;
            }
            return p.exitValue() == 0 ? out : null;
        } catch (IOException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }
}
