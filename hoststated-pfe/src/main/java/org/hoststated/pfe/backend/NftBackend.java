package org.hoststated.pfe.backend;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import org.hoststated.core.log.ThrottledCount;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code nftables} backend (Linux): owns the table {@code inet <table>} and never touches
 * another. Every change replaces the whole table in one {@code nft -f -} transaction
 * ({@link NftScript}); identical consecutive states are written once. Writes run on a
 * {@link KernelWriter} thread. The table as the kernel lists it after a write is kept, and
 * compared with a fresh listing every second (less often for a table so large that listing it
 * takes over 50 ms): a table that someone else removed (a flush of the whole ruleset, as a
 * restart of the system's nftables service does) or changed is written again; so is a listing
 * right after a write whose chains do not hold the rules written. At stop the
 * table is emptied of its redirections unless {@code l3 keep rules} ({@link #closeAtStop}); a
 * reload that replaces the backend removes it. Flows to cut ({@code kill states}) are
 * deleted from connection tracking after the write ({@link ConntrackStates}).
 */
public final class NftBackend extends KernelBackend {
    private static final Logger log = LoggerFactory.getLogger(NftBackend.class);

    /** Deletes the connection tracking entries of flows to cut. */
    interface StateKiller {
        /**
         * @param stopping true once the backend is closed: the kill then ends at its next step
         *        with an {@link L3Exception}
         * @return per kill, in order, how many entries were deleted
         */
        int[] kill(List<StateKill> kills, BooleanSupplier stopping) throws L3Exception;
    }

    private final Nft nft;
    private final StateKiller killer;
    private final String table;
    private volatile boolean keepRules;
    /** The last script the kernel accepted; touched by the writer thread only. */
    private String applied;
    /**
     * The table as {@code nft list table} showed it after that script; null until a listing
     * with the rules of that script is read. Writer thread only.
     */
    private String listed;
    /**
     * The changes of the table by someone else, warned of once a minute at most with their
     * count. Timed from the last change, edits less than a minute apart were warned of once,
     * ever, each written over without a word (probe AO).
     */
    private final ThrottledCount drifts = new ThrottledCount();
    /** Listings in a row whose chains did not hold the rules written ({@link #own}); writer thread only. */
    private int unlike;
    /** After this many such listings in a row, one is taken as it is. */
    static final int UNLIKE_MAX = 3;
    /** How long the last listing took (ms): a table of thousands of hosts takes a while to list. */
    private volatile long listMs;

    public NftBackend(Nft nft, String table, boolean keepRules) {
        this(nft, table, keepRules, new ConntrackStates(new Conntrack()));
    }

    NftBackend(Nft nft, String table, boolean keepRules, StateKiller killer) {
        super("nftables table inet " + table);
        this.nft = nft;
        this.killer = killer;
        this.table = table;
        this.keepRules = keepRules;
    }

    @Override
    public String name() {
        return "nftables";
    }

    @Override
    public boolean start() {
        try {
            CommandRunner.Result r = nft.run("list table inet " + table + "\n");
            if (r.ok()) {
                String owner = owner(r.stdout());
                if (owner != null) {
                    log.error("table inet {} belongs to another process ({}): the kernel lets no one else "
                            + "change it, so no rule can be written until that process ends", table, owner);
                    return false;
                }
                long rules = redirections(r.stdout());
                if (rules == 0) {
                    log.info("table inet {} of a previous run has no redirection rule; it is replaced at "
                            + "the first write", table);
                    return false;
                }
                log.info("table inet {} of a previous run has {} redirection rule(s); "
                        + "they stay until host states are known, then are replaced", table, rules);
                return true;
            }
        } catch (L3Exception e) {
            log.error("cannot read table inet {}: {}", table, e.getMessage());
        }
        return false;
    }

    /**
     * The DNAT rules of the prerouting chain in a listing of the table: one per virtual host,
     * protocol and port. The output chain repeats those without an interface, so counting every
     * chain's said "8 redirection rule(s)" of a table with 4 virtual hosts.
     */
    static long redirections(String listing) {
        long n = 0;
        boolean prerouting = false;
        for (String line : listing.lines().toList()) {
            String l = line.strip();
            if (l.startsWith("chain ")) {
                prerouting = l.equals("chain prerouting {");
            } else if (prerouting && l.contains(" dnat ")) {
                n++;
            }
        }
        return n;
    }

    /**
     * How many rules each chain has, in a script of {@link NftScript} or a listing of its table
     * (both put one rule on a line, and a chain's hook on the line before them).
     */
    static Map<String, Integer> rulesPerChain(String text) {
        Map<String, Integer> rules = new LinkedHashMap<>();
        String chain = null;
        for (String line : text.lines().toList()) {
            String l = line.strip();
            if (l.startsWith("chain ") && l.endsWith("{")) {
                chain = l.substring(6, l.length() - 1).strip();
                rules.put(chain, 0);
            } else if (l.equals("}")) {
                chain = null;
            } else if (chain != null && !l.isEmpty() && !l.startsWith("type ")) {
                rules.merge(chain, 1, Integer::sum);
            }
        }
        return rules;
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
        try {
            listed = own(list());
        } catch (L3Exception e) {
            listed = null;
        }
    }

    /**
     * {@code listing} when it is the table {@link #applied} wrote, as far as its chains and their
     * number of rules tell, else null. Someone may add or delete a rule between the write and
     * the listing (a script that waits for the table to come back, then edits it); taken as
     * the baseline, such a listing would hide that edit for good.
     */
    private String own(String listing) {
        if (listing == null) {
            return null;
        }
        Map<String, Integer> listed = rulesPerChain(listing);
        Map<String, Integer> wrote = rulesPerChain(applied);
        if (listed.equals(wrote)) {
            unlike = 0;
            return listing;
        }
        // An nft that lists our chains with other lines than ours would otherwise make every
        // comparison a rewrite: after a few listings in a row, take the listing as it is.
        if (++unlike < UNLIKE_MAX) {
            return null;
        }
        if (unlike == UNLIKE_MAX) {
            log.warn("table inet {}: nft lists its chains with other line counts than written ({} against {}), "
                    + "{} times in a row; comparing with its listing as it is", table, counts(listed), counts(wrote),
                    UNLIKE_MAX);
        }
        return listing;
    }

    /** "prerouting 2, output 1". */
    private static String counts(Map<String, Integer> rules) {
        StringBuilder b = new StringBuilder();
        rules.forEach((chain, n) -> b.append(b.length() == 0 ? "" : ", ").append(chain).append(' ').append(n));
        return b.toString();
    }

    @Override
    int[] killStates(List<StateKill> kills) throws L3Exception {
        return killer.kill(kills, this::stopping);
    }

    /** {@code nft list table} of the daemon's table; null when it is absent or cannot be read. */
    private String list() throws L3Exception {
        long t0 = System.nanoTime();
        CommandRunner.Result r = nft.run("list table inet " + table + "\n");
        listMs = (System.nanoTime() - t0) / 1_000_000;
        return r.ok() ? r.stdout() : null;
    }

    /** Reading back costs at most about 5 % of the writer thread's time (10,000 hosts list in 0.4 s). */
    @Override
    long verifyPeriodMs() {
        return Math.max(KernelWriter.VERIFY_MS, 20 * listMs);
    }

    @Override
    boolean intact() throws L3Exception {
        if (applied == null) {
            return true;
        }
        String now = list();
        if (listed == null && own(now) != null) {
            // The listing after the write failed: this one is the baseline.
            listed = now;
            return true;
        }
        if (now != null && now.equals(listed)) {
            return true;
        }
        String what = now == null ? "removed" : "changed";
        long n = drifts.add();
        if (n > 0) {
            log.warn("table inet {} was {} by someone else; writing it again{}", table, what,
                    n == 1 ? "" : " (" + n + " changes written over since the last such warning)");
        } else {
            log.debug("table inet {} was {} by someone else again; writing it again", table, what);
        }
        applied = null;
        return false;
    }

    private void run(String script) throws L3Exception {
        CommandRunner.Result r = nft.run(script);
        if (!r.ok()) {
            throw new L3Exception("nft: " + r.why() + ownedBy());
        }
    }

    /**
     * After a refused write, why when the table belongs to another process: nft says only
     * "Operation not permitted", even to root.
     */
    private String ownedBy() {
        try {
            CommandRunner.Result r = nft.run("list table inet " + table + "\n");
            String owner = r.ok() ? owner(r.stdout()) : null;
            return owner == null ? "" : " (table inet " + table + " belongs to another process: " + owner + ")";
        } catch (L3Exception e) {
            return "";
        }
    }

    /**
     * "flags owner, program P" when a listing of the table shows nft's owner flag (an {@code nft
     * -i} session or another program's netlink socket holds it, and the kernel refuses everyone
     * else's changes until that socket closes), else null.
     */
    static String owner(String listing) {
        List<String> lines = listing.lines().toList();
        boolean owned = lines.stream().map(String::strip).filter(l -> l.startsWith("flags "))
                .anyMatch(l -> List.of(l.substring(6).split(",")).contains("owner"));
        if (!owned) {
            return null;
        }
        String first = lines.isEmpty() ? "" : lines.get(0);
        int p = first.indexOf("# progname ");
        return p < 0 ? "flags owner" : "flags owner, program " + first.substring(p + 11).strip();
    }

    @Override
    public void keepRules(boolean keep) {
        keepRules = keep;
    }

    @Override
    public void close() {
        close(false);
    }

    /**
     * Leaves the table without redirections rather than removing it: the kernel goes on
     * translating the flows they redirected only while a rule keeps connection tracking on
     * ({@link NftScript#KEEP_TRACKING}), and with the table gone a restart froze every such
     * connection until its client gave up (probe D: 10 s). The next start replaces the table.
     */
    @Override
    public void closeAtStop() {
        close(true);
    }

    private void close(boolean keepFlows) {
        stopWriter();
        if (keepRules) {
            log.info("keeping table inet {} (l3 keep rules)", table);
            return;
        }
        try {
            if (keepFlows) {
                run(NftScript.render(table, List.of()));
                log.info("table inet {}: redirections removed; the table stays so that connections already "
                        + "redirected go on ('nft delete table inet {}' removes it)", table, table);
            } else {
                run(NftScript.remove(table));
                log.debug("table inet {} removed", table);
            }
        } catch (L3Exception e) {
            log.error("cannot {} table inet {}: {}", keepFlows ? "empty" : "remove", table, e.getMessage());
        }
    }
}
