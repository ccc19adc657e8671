package org.hoststated.pfe.backend;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code pf} backend (OpenBSD), through {@code pfctl}, as relayd's pfe_filter.c does it
 * through /dev/pf: per service the anchor {@code hoststated/<service>} holds the rdr rules
 * ({@link PfRules}) and the table {@code <service>} holds the up hosts of its active table.
 * Both {@code pfctl -f} (a ruleset) and {@code -T replace} (a table) are atomic in pf. A table
 * is written before rules that use it are pushed, and rules are pulled before their table is
 * flushed, so no connection is redirected to an empty pool. pf.conf must contain
 * {@code anchor "hoststated/*"}. Writes run on a {@link KernelWriter} thread. Flows to cut
 * ({@code kill states}) are found in {@code pfctl -ss -vv} and killed by id ({@link PfStates}).
 */
public final class PfBackend extends KernelBackend {
    private static final Logger log = LoggerFactory.getLogger(PfBackend.class);

    private final CommandRunner runner;
    private final List<String> pfctl;
    private volatile boolean keepRules;
    /** What each anchor holds now; a null entry is unknown (left by a previous run). Writer thread only. */
    private final Map<String, Applied> anchors = new HashMap<>();

    private record Applied(String rules, List<InetAddress> hosts) {
    }

    public PfBackend(CommandRunner runner, List<String> pfctl, boolean keepRules) {
        super("pf anchor " + PfRules.ANCHOR);
        this.runner = runner;
        this.pfctl = List.copyOf(pfctl);
        this.keepRules = keepRules;
    }

    @Override
    public String name() {
        return "pf";
    }

    @Override
    public boolean start() {
        try {
            CommandRunner.Result info = runner.run(command("-s", "info"), "");
            if (info.ok() && info.stdout().contains("Status: Disabled")) {
                log.error("pf is disabled; redirections have no effect until it is enabled (pfctl -e)");
            }
            CommandRunner.Result r = runner.run(command("-a", PfRules.ANCHOR, "-s", "Anchors"), "");
            if (!r.ok()) {
                log.error("cannot list anchors under {}: {}", PfRules.ANCHOR, r.why());
                return false;
            }
            r.stdout().lines().map(String::strip).filter(l -> l.startsWith(PfRules.ANCHOR + "/"))
                    .forEach(a -> anchors.put(a, null));
            if (!anchors.isEmpty()) {
                log.info("{} anchor(s) of a previous run stay until host states are known, then are replaced",
                        anchors.size());
            }
        } catch (L3Exception e) {
            log.error("cannot read pf anchors: {}", e.getMessage());
        }
        return !anchors.isEmpty();
    }

    @Override
    void write(List<Redirect> services) throws L3Exception {
        // pfctl -K drops a host's source nodes whatever rule made them: a host that another
        // sticky service still sends to keeps them, or that service's clients would move.
        Set<InetAddress> stickyHosts = new HashSet<>();
        for (Redirect r : services) {
            if (r.sticky()) {
                stickyHosts.addAll(r.hosts());
            }
        }
        Set<String> wanted = new HashSet<>();
        for (Redirect r : services) {
            String anchor = PfRules.anchor(r.service());
            wanted.add(anchor);
            sync(anchor, r, stickyHosts);
        }
        for (String anchor : new ArrayList<>(anchors.keySet())) {
            if (!wanted.contains(anchor)) {
                flush(anchor);
            }
        }
    }

    /** @param stickyHosts the up hosts of every sticky service, whose source nodes stay */
    private void sync(String anchor, Redirect r, Set<InetAddress> stickyHosts) throws L3Exception {
        boolean known = anchors.get(anchor) != null;
        Applied was = known ? anchors.get(anchor) : new Applied(null, null);
        String rules = PfRules.ruleset(r);
        boolean rulesChange = !rules.equals(was.rules());
        boolean hostsChange = !r.hosts().equals(was.hosts());
        // Unknown until written: a failure below leaves the anchor to be written again.
        anchors.put(anchor, null);
        if (rulesChange && rules.isEmpty()) {
            run(List.of("-a", anchor, "-f", "-"), rules);
        }
        if (hostsChange) {
            if (r.hosts().isEmpty()) {
                run(List.of("-a", anchor, "-t", r.service(), "-T", "flush"), "");
            } else {
                List<String> args = new ArrayList<>(List.of("-a", anchor, "-t", r.service(), "-T", "replace"));
                r.hosts().forEach(h -> args.add(h.getHostAddress()));
                run(args, "");
            }
            if (r.sticky() && was.hosts() != null) {
                for (InetAddress gone : was.hosts()) {
                    if (!r.hosts().contains(gone) && !stickyHosts.contains(gone)) {
                        run(PfRules.killSourceNodes(gone), "");
                    }
                }
            }
        }
        if (rulesChange && !rules.isEmpty()) {
            run(List.of("-a", anchor, "-f", "-"), rules);
        }
        anchors.put(anchor, new Applied(rules, r.hosts()));
    }

    @Override
    int[] killStates(List<StateKill> kills) throws L3Exception {
        if (kills.stream().allMatch(StateKill::closedOnly)) {
            return new int[kills.size()];
        }
        CommandRunner.Result listing = runner.run(command("-s", "states", "-vv"), "");
        if (!listing.ok()) {
            throw new L3Exception("pfctl -s states -vv: " + listing.why());
        }
        int[] killed = new int[kills.size()];
        for (int i = 0; i < kills.size(); i++) {
            if (kills.get(i).closedOnly()) {
                // pf itself drops a SYN that meets a state closed both ways, and the client's
                // retry makes a new state by the rules as they are now.
                continue;
            }
            for (String id : PfStates.ids(listing.stdout(), kills.get(i))) {
                if (stopping()) {
                    // Closed (pfe exits): one pfctl per state, thousands of them, would go on cutting.
                    throw new L3Exception("the layer-3 backend stops");
                }
                // A state that ended since the listing is no failure: pfctl says it killed 0.
                killed[i] += PfStates.killedCount(run(PfStates.killArgs(id), "").stderr());
            }
        }
        return killed;
    }

    private void flush(String anchor) throws L3Exception {
        run(List.of("-a", anchor, "-F", "all"), "");
        anchors.remove(anchor);
    }

    private CommandRunner.Result run(List<String> args, String stdin) throws L3Exception {
        CommandRunner.Result r = runner.run(command(args.toArray(String[]::new)), stdin);
        if (!r.ok()) {
            throw new L3Exception("pfctl " + String.join(" ", args) + ": " + r.why());
        }
        return r;
    }

    private List<String> command(String... args) {
        List<String> c = new ArrayList<>(pfctl);
        c.addAll(List.of(args));
        return c;
    }

    @Override
    public void keepRules(boolean keep) {
        keepRules = keep;
    }

    @Override
    public void close() {
        stopWriter();
        if (keepRules) {
            log.info("keeping anchors under {} (l3 keep rules)", PfRules.ANCHOR);
            return;
        }
        for (String anchor : new ArrayList<>(anchors.keySet())) {
            try {
                flush(anchor);
            } catch (L3Exception e) {
                log.error("cannot flush anchor {}: {}", anchor, e.getMessage());
            }
        }
    }
}
