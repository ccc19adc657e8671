package org.hoststated.pfe.backend;

import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code nftables} backend (Linux): owns the table {@code inet <table>} and never touches
 * another. Every change replaces the whole table in one {@code nft -f -} transaction
 * ({@link NftScript}); identical consecutive states are written once. Writes run on a
 * {@link KernelWriter} thread. At stop the table is removed unless {@code l3 keep rules}.
 */
public final class NftBackend extends KernelBackend {
    private static final Logger log = LoggerFactory.getLogger(NftBackend.class);

    private final Nft nft;
    private final String table;
    private volatile boolean keepRules;
    /** The last script the kernel accepted; touched by the writer thread only. */
    private String applied;

    public NftBackend(Nft nft, String table, boolean keepRules) {
        super("nftables table inet " + table);
        this.nft = nft;
        this.table = table;
        this.keepRules = keepRules;
    }

    @Override
    public String name() {
        return "nftables";
    }

    @Override
    public void start() {
        try {
            CommandRunner.Result r = nft.run("list table inet " + table + "\n");
            if (r.ok()) {
                long rules = r.stdout().lines().filter(l -> l.contains(" dnat ")).count();
                log.info("table inet {} of a previous run has {} redirection rule(s); "
                        + "they stay until host states are known, then are replaced", table, rules);
            }
        } catch (L3Exception e) {
            log.error("cannot read table inet {}: {}", table, e.getMessage());
        }
    }

    @Override
    void write(List<Redirect> services) throws L3Exception {
        String script = NftScript.render(table, services);
        if (script.equals(applied)) {
            return;
        }
        applied = null;
        run(script);
        applied = script;
    }

    private void run(String script) throws L3Exception {
        CommandRunner.Result r = nft.run(script);
        if (!r.ok()) {
            throw new L3Exception("nft: " + r.why());
        }
    }

    @Override
    public void keepRules(boolean keep) {
        keepRules = keep;
    }

    @Override
    public void close() {
        stopWriter();
        if (keepRules) {
            log.info("keeping table inet {} (l3 keep rules)", table);
            return;
        }
        try {
            run(NftScript.remove(table));
            log.debug("table inet {} removed", table);
        } catch (L3Exception e) {
            log.error("cannot remove table inet {}: {}", table, e.getMessage());
        }
    }
}
