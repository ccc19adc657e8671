package org.hoststated.hce;

import io.netty.channel.EventLoop;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.hoststated.core.config.Config;
import org.hoststated.core.config.HostKey;
import org.hoststated.core.config.HostConfig;
import org.hoststated.core.config.LogMode;
import org.hoststated.core.config.TableConfig;
import org.hoststated.core.log.ThrottledCount;
import org.hoststated.core.msg.HostStatus;
import org.hoststated.hce.check.Check;
import org.hoststated.hce.check.CheckResult;
import org.hoststated.hce.check.CheckTarget;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The check rounds of one configuration generation (relayd's {@code hce_launch_checks()}). Runs
 * in hce; every method must be called on {@code loop}, which owns all state here.
 *
 * <p>A round starts every global interval (the first at {@link #start()}, another on
 * {@link #pollNow()}); a table with a longer {@code interval} is checked every n-th round.
 * Disabled tables and hosts are not checked; a host or table that is enabled again is checked at
 * once, outside the rounds, which keep their time. Checks do not all start at once: at most
 * {@code maxInFlight} are in flight, started in bursts between which the loop serves I/O, so
 * that finished checks are not left waiting past their deadline behind a batch of starts
 * (HCE-SCALE.md, "false timeouts from event-loop lag"). Each check's deadline is its start plus
 * the table timeout, computed once.
 */
public final class CheckScheduler {
    private static final Logger log = LoggerFactory.getLogger(CheckScheduler.class);
    private static final long OVERLOAD_RETRY_MS = 100;

    /**
     * @param maxInFlight checks holding a socket at once
     * @param burst       checks started before the loop serves I/O again
     */
    public record Options(int maxInFlight, int burst, LogMode logMode) {
        public static Options defaults(LogMode logMode) {
            return new Options(1024, 64, logMode);
        }
    }

    private static final class TableEntry {
        final TableConfig config;
        final Check check;
        final int skipRounds;
        boolean enabled;
        boolean due;
        int skipped;

        TableEntry(TableConfig config, Check check, int globalIntervalSec) {
            this.config = config;
            this.check = check;
            // A table without a check (the built-in empty backup table) is never due.
            this.enabled = !config.disabled() && check != null;
            this.skipRounds = Math.max(0, config.intervalSec() / Math.max(1, globalIntervalSec) - 1);
        }
    }

    private static final class HostEntry {
        final HostConfig host;
        /** What it is called across a reload. */
        final HostKey key;
        final TableEntry table;
        /** Its name in log lines; with its table's when another table has a host of that name. */
        final String label;
        final CheckTarget target;
        HostHealth health;
        boolean enabled = true;
        boolean busy;
        /** Queued by a round (not by an enable) and not ended yet. */
        boolean inRound;
        /** Enabled while a check of before was still in flight: check again once it ends. */
        boolean recheck;
        /** The round of its last verdict (0: none yet). */
        long verdictRound;
        int epoch;

        HostEntry(HostConfig host, HostKey key, TableEntry table, boolean nameInSeveralTables) {
            this.host = host;
            this.key = key;
            this.table = table;
            this.label = nameInSeveralTables ? host.name() + " (table " + table.config.name() + ")" : host.name();
            this.health = new HostHealth(host.retry());
            this.target = new CheckTarget(host.id(), host.name(), host.address(), table.config.port());
        }
    }

    private final EventLoop loop;
    private final Config config;
    private final int generation;
    private final Consumer<HostStatus> statusOut;
    private final Runnable roundStarted;
    private final Options options;
    private final CheckResults results;
    private final List<TableEntry> tables = new ArrayList<>();
    private final Map<Integer, TableEntry> tablesById = new HashMap<>();
    private final Map<Integer, HostEntry> hosts = new HashMap<>();
    private final List<HostEntry> hostOrder = new ArrayList<>();
    private final ArrayDeque<HostEntry> queue = new ArrayDeque<>();
    private ScheduledFuture<?> timer;
    private boolean launchPending;
    private boolean closed;
    private boolean started;
    /** Descriptors ran out: no check starts until one in flight finishes and frees one. */
    private boolean held;
    private int inFlight;
    /** Hosts a round queued whose check has not ended: the round is in progress while any is. */
    private int roundHosts;
    /** A poll came during a round: the next round starts when that one ends. */
    private boolean pollPending;
    /** Checks of this round that found no descriptor free and waited for one (they run later in it). */
    private int overloaded;
    /** Checks of this round with no verdict: a script the parent did not start in time. */
    private int withoutVerdict;
    private boolean overloadedLastRound;
    /**
     * Checks that waited for a descriptor, warned of at most once a minute: a limit too low for
     * the hosts hit every round, and two lines a round said hosts had no verdict where every one
     * got its verdict a moment later (probe AJ: 720 hosts at a limit of 256).
     */
    private final ThrottledCount waitedForDescriptors = new ThrottledCount();
    private long rounds;
    private final RoundTally tally = new RoundTally();
    /** Verdicts kept back while a new hce waits for what pfe kept ({@link #awaitKeptStates}). */
    private final HeldVerdicts heldVerdicts = new HeldVerdicts();

    /**
     * @param statusOut    receives a HOST_STATUS after every check
     * @param roundStarted called at the start of every round (hce sends SYNC to pfe)
     */
    public CheckScheduler(EventLoop loop, Config config, int generation, Consumer<HostStatus> statusOut,
            Runnable roundStarted, CheckFactory checks, Options options) {
        this.loop = loop;
        this.config = config;
        this.generation = generation;
        this.statusOut = statusOut;
        this.roundStarted = roundStarted;
        this.options = options;
        this.results = new CheckResults(generation, options.logMode(), statusOut);
        Set<String> inSeveralTables = namesInSeveralTables(config.activeTables());
        for (TableConfig t : config.activeTables()) {
            TableEntry te = new TableEntry(t, checks.forTable(t), config.globals().intervalSec());
            tables.add(te);
            tablesById.put(t.id(), te);
            List<HostKey> keys = HostKey.of(t);
            for (int i = 0; i < t.hosts().size(); i++) {
                HostConfig h = t.hosts().get(i);
                HostEntry he = new HostEntry(h, keys.get(i), te, inSeveralTables.contains(h.name()));
                hosts.put(h.id(), he);
                hostOrder.add(he);
            }
        }
    }

    /** The host names that more than one of {@code tables} has. */
    private static Set<String> namesInSeveralTables(List<TableConfig> tables) {
        Set<String> seen = new HashSet<>();
        Set<String> several = new HashSet<>();
        for (TableConfig t : tables) {
            t.hosts().stream().map(HostConfig::name).distinct().filter(n -> !seen.add(n)).forEach(several::add);
        }
        return several;
    }

    public int generation() {
        return generation;
    }

    /**
     * Keeps the state and counters of hosts that stay (same table name, same address), and
     * what {@code hoststatectl} disabled: a host that stays, a table that stays by name and was
     * disabled at run time (not by its configuration). pfe keeps the same ({@code PfeState}).
     */
    public void adopt(CheckScheduler previous) {
        Map<HostKey, HostEntry> old = new HashMap<>();
        for (HostEntry e : previous.hostOrder) {
            old.put(e.key, e);
        }
        Map<String, TableEntry> oldTables = new HashMap<>();
        previous.tables.forEach(t -> oldTables.put(t.config.name(), t));
        for (TableEntry t : tables) {
            TableEntry prev = oldTables.get(t.config.name());
            if (prev != null && !prev.enabled && prev.check != null && !prev.config.disabled()) {
                t.enabled = false;
            }
        }
        for (HostEntry e : hostOrder) {
            HostEntry prev = old.get(e.key);
            if (prev != null) {
                if (e.table.config.checksAlike(prev.table.config)) {
                    e.health = prev.health.carriedOver(e.host.retry());
                }
                e.enabled = prev.enabled;
            }
        }
        if (previous.heldVerdicts.holding()) {
            // A reload before pfe answered: pfe answers again for this generation, whose host
            // ids are its own. The verdicts held for the old one go with its scheduler.
            awaitKeptStates();
        }
    }

    /**
     * This hce was started without the health of the one before it, which pfe kept: verdicts
     * are held (the checks run as usual) until {@link #keptStatesDone}, so that a host whose
     * first check confirms the state pfe has is not logged and sent as a transition from
     * unknown, and its counters go on from pfe's.
     */
    public void awaitKeptStates() {
        heldVerdicts.start();
    }

    /** Whether verdicts are held for pfe's kept states. */
    public boolean awaitsKeptStates() {
        return heldVerdicts.holding();
    }

    /**
     * KEPT_STATE: the host takes pfe's state and counters, silently, while verdicts are held
     * and the host and its table are enabled (pfe sends its disables first). Ignored otherwise:
     * pfe answers each STATE_REQUEST, and hce sends two after a restart. A state of another
     * generation (a reload raced the restart: its host ids are another configuration's) is
     * dropped; pfe answers again for this one. Returns false for a host id of this generation
     * that does not exist.
     */
    public boolean adoptKept(HostStatus s) {
        if (s.generation() != generation) {
            log.debug("kept state of host {} of generation {} dropped", s.hostId(), s.generation());
            return true;
        }
        HostEntry e = hosts.get(s.hostId());
        if (e == null) {
            return false;
        }
        if (heldVerdicts.holding() && e.enabled && e.table.enabled) {
            e.health = HostHealth.kept(e.host.retry(), s.state(), s.error(), s.checkCount(), s.upCount(),
                    s.retryCount());
        }
        return true;
    }

    /** KEPT_STATE_END: pfe has sent all it kept of {@code gen}; ends the wait if that is this one. */
    public void keptStatesEnd(int gen) {
        if (gen != generation) {
            log.debug("end of kept states of generation {} dropped", gen);
            return;
        }
        keptStatesDone();
    }

    /** The wait for pfe's kept states is over: the verdicts held meanwhile are reported, in order. */
    public void keptStatesDone() {
        heldVerdicts.release();
    }

    /**
     * Starts the first round now and the next ones every global interval; once only, and never
     * after {@link #close}.
     */
    public void start() {
        if (started || closed) {
            return;
        }
        started = true;
        round(false);
    }

    /**
     * CTL_POLL: starts a round now, or, while a round is in progress, as soon as it ends; polls
     * meanwhile are one. The interval counts from the round's start. Each poll used to start a
     * round at once, whose checks of the hosts done already ran beside the slow ones: 300 polls
     * in 0.3 s checked a python backend's 500 hosts back to back, overflowed its accept queue,
     * and 127 of its hosts went down with connect timeouts while another client's 199 requests a
     * second were all answered.
     */
    public void pollNow() {
        if (closed) {
            return;
        }
        if (roundHosts > 0) {
            pollPending = true;
            return;
        }
        round(true);
    }

    /** Starts a round as the interval's timer does; for tests. */
    void timedRoundNow() {
        round(false);
    }

    /** Whether a poll waits for the round in progress to end; for tests. */
    public boolean pollPending() {
        return pollPending;
    }

    /** Stops starting checks; results of checks still in flight are dropped. */
    public void close() {
        closed = true;
        queue.clear();
        if (timer != null) {
            timer.cancel(false);
        }
    }

    /** Sends the status of every host (pfe restarted or asked for it). */
    public void resendAll() {
        if (heldVerdicts.holding()) {
            // Nothing of its own yet: every host is unknown until pfe's kept states are in.
            return;
        }
        for (HostEntry e : hostOrder) {
            statusOut.accept(results.status(e.host, e.health, 0));
        }
    }

    /**
     * TABLE_ENABLE / TABLE_DISABLE. Returns false for an unknown table id. A notice that
     * changes nothing leaves the hosts alone: pfe sends one for every table after a reload.
     */
    public boolean setTableEnabled(int tableId, boolean on) {
        TableEntry t = tablesById.get(tableId);
        if (t == null) {
            return false;
        }
        if (t.enabled == (on && t.check != null)) {
            return true;
        }
        t.enabled = on && t.check != null;
        // As relayd: the table's hosts become unknown both ways; pfe does the same on its side.
        for (HostEntry e : hostOrder) {
            if (e.table == t) {
                e.health.disable();
                e.epoch++;
                checkAtOnce(e);
            }
        }
        return true;
    }

    /** HOST_ENABLE / HOST_DISABLE. Returns false for an unknown host id. */
    public boolean setHostEnabled(int hostId, boolean on) {
        HostEntry e = hosts.get(hostId);
        if (e == null) {
            return false;
        }
        if (e.enabled == on) {
            return true;
        }
        e.enabled = on;
        e.epoch++;
        // As relayd: a disabled host is unknown with its counters reset, matching pfe's.
        e.health = new HostHealth(e.host.retry());
        e.health.disable();
        checkAtOnce(e);
        return true;
    }

    /**
     * An operator who enables a host (or its table) wants it back in service now, not after up
     * to a whole interval with the host unknown (relayd waits for the next round): check it at
     * once. The round timer is left alone, so the other hosts keep their schedule. A check
     * still in flight from before the enable counts for nothing (its epoch is old): the new
     * one starts when it ends.
     */
    private void checkAtOnce(HostEntry e) {
        if (closed || !e.enabled || !e.table.enabled) {
            return;
        }
        if (e.busy) {
            e.recheck = true;
            return;
        }
        e.busy = true;
        queue.add(e);
        scheduleLaunch();
    }

    /** Checks in flight now; for tests and the bench. */
    public int inFlight() {
        return inFlight;
    }

    /** Checks queued or in flight; 0 once a round is complete. */
    public int pending() {
        return inFlight + queue.size();
    }

    /** Checks of the current round that found the engine out of descriptors (and waited for one). */
    public int overloaded() {
        return overloaded;
    }

    /** Rounds started so far. */
    public long rounds() {
        return rounds;
    }

    /** The current health of a host, or null; for tests. */
    public HostHealth health(int hostId) {
        HostEntry e = hosts.get(hostId);
        return e == null ? null : e.health;
    }

    /**
     * @param poll a round that {@code hoststatectl poll} asked for: every enabled table is
     *        due, and a table with an interval of its own keeps its count of rounds to skip
     *        (a poll took a turn of such a table like a timed round, and then skipped it:
     *        probe M of session 58)
     */
    private void round(boolean poll) {
        if (timer != null) {
            timer.cancel(false);
        }
        timer = loop.schedule(() -> round(false), config.globals().intervalSec(), TimeUnit.SECONDS);
        rounds++;
        overloadedLastRound = overloaded > 0 || withoutVerdict > 0;
        if (withoutVerdict > 0) {
            log.warn("check engine overloaded: {} checks of the last round could not run (a script the parent did not"
                    + " start in time: its pool full, or the parent not answering); no verdict on their hosts",
                    withoutVerdict);
            withoutVerdict = 0;
        }
        overloaded = 0;
        roundStarted.run();
        for (TableEntry t : tables) {
            t.due = t.enabled && (poll || !skipThisRound(t));
            if (t.due) {
                t.check.roundStarted();
            }
        }
        int before = roundHosts;
        List<HostEntry> order = hostOrder;
        if (overloadedLastRound) {
            // The hosts that waited longest for a verdict go first, else an overloaded engine
            // would check the same hosts every round and leave the others unknown for ever.
            order = new ArrayList<>(hostOrder);
            order.sort(Comparator.comparingLong(e -> e.verdictRound));
        }
        for (HostEntry e : order) {
            // A host whose last check has not finished yet is not queued twice.
            if (e.enabled && e.table.due && !e.busy) {
                e.busy = true;
                e.inRound = true;
                roundHosts++;
                queue.add(e);
            }
        }
        if (before > 0) {
            tally.join(rounds, roundHosts - before);
        } else if (roundHosts > 0) {
            tally.start(rounds, roundHosts);
        }
        launch();
    }

    /** Per-table interval (post-4.2): check on the first round, then skip n-1 rounds. */
    private boolean skipThisRound(TableEntry t) {
        if (t.skipped > 0) {
            t.skipped--;
            return true;
        }
        t.skipped = t.skipRounds;
        return false;
    }

    private void launch() {
        launchPending = false;
        int started = 0;
        while (!closed && !held && !queue.isEmpty() && started < options.burst()) {
            HostEntry e = queue.peek();
            if (!e.enabled || !e.table.enabled) {
                // Disabled while it waited: a check now would be a verdict on a host out of
                // service, reported as current, and maybe a script the parent runs (review CD).
                queue.poll();
                e.recheck = false;
                leftQueue(e, null);
                continue;
            }
            if (e.table.check.holdsDescriptor() && inFlight >= options.maxInFlight()) {
                break;
            }
            queue.poll();
            startCheck(e);
            started++;
        }
        if (!queue.isEmpty() && started == options.burst()) {
            // Let the loop serve I/O (finished connects) before the next burst: a scheduled
            // task runs after the next I/O pass, a plain execute() might not.
            scheduleLaunch();
        }
    }

    private void scheduleLaunch() {
        if (!launchPending && !closed) {
            launchPending = true;
            loop.schedule(this::launch, 0, TimeUnit.NANOSECONDS);
        }
    }

    private void startCheck(HostEntry e) {
        Check check = e.table.check;
        boolean counted = check.holdsDescriptor();
        if (counted) {
            inFlight++;
        }
        int epoch = e.epoch;
        long start = System.nanoTime();
        long deadline = start + TimeUnit.MILLISECONDS.toNanos(e.table.config.timeoutMs());
        boolean[] once = new boolean[1];
        check.start(e.target, deadline, r -> {
            if (once[0]) {
                log.error("host {}: check {} reported twice", e.host.name(), check.kind());
                return;
            }
            once[0] = true;
            finished(e, epoch, counted, r, start);
        });
    }

    private void finished(HostEntry e, int epoch, boolean counted, CheckResult r, long start) {
        if (counted) {
            inFlight--;
        }
        boolean current = !closed && epoch == e.epoch;
        if (r.overloaded() && current && counted) {
            overloadedCheck(e);
            return;
        }
        leftQueue(e, current ? r : null);
        if (counted && held) {
            held = false; // this check's descriptor is free again
        }
        if (e.recheck) {
            e.recheck = false;
            checkAtOnce(e);
        }
        if (!queue.isEmpty()) {
            scheduleLaunch();
        }
        if (!current) {
            return;
        }
        if (r.overloaded()) {
            // No descriptor to wait for (a script the parent had no room for): next round.
            withoutVerdict++;
            return;
        }
        e.verdictRound = rounds;
        long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        boolean held = heldVerdicts.hold(() -> {
            // A disable or enable since made this verdict void, as for a check in flight.
            if (!closed && epoch == e.epoch) {
                results.report(e.label, e.host, e.table.check, e.health, r, ms);
            }
        });
        if (!held) {
            results.report(e.label, e.host, e.table.check, e.health, r, ms);
        }
    }

    /**
     * A host is done with for now: its check ended with {@code verdict}, or with none (null: a
     * void one, or none run). The round counts it, and a poll asked for during the round
     * starts when the round is through.
     */
    private void leftQueue(HostEntry e, CheckResult verdict) {
        e.busy = false;
        if (e.inRound) {
            e.inRound = false;
            roundHosts--;
            tally.count(verdict);
            if (roundHosts == 0 && log.isDebugEnabled()) {
                String line = tally.summary();
                loop.execute(() -> log.debug(line)); // after this last verdict's own line
            }
        }
        if (roundHosts == 0 && pollPending && !closed) {
            pollPending = false;
            loop.execute(() -> { // after this verdict is reported
                if (!closed) {
                    round(true);
                }
            });
        }
    }

    /**
     * The engine ran out of file descriptors (or local ports) for this check: that is no verdict
     * on the host, which keeps its state. The host goes back to the head of the queue and no
     * check starts until one in flight finishes and frees a descriptor; with none in flight, the
     * next try is a moment later.
     */
    private void overloadedCheck(HostEntry e) {
        overloaded++;
        waitedForDescriptors.add(loop, n -> log.warn("check engine out of file descriptors {} since the last warning:"
                + " a check waited for another to finish (raise the limit of open files)", n == 1 ? "once" : n + " times"));
        queue.addFirst(e);
        held = true;
        if (inFlight == 0) {
            loop.schedule(() -> {
                held = false;
                launch();
            }, OVERLOAD_RETRY_MS, TimeUnit.MILLISECONDS);
        }
    }
}
