package org.hoststated.relay;

import io.netty.channel.ChannelFuture;
import io.netty.channel.EventLoopGroup;
import io.netty.handler.ssl.SslContext;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.ScheduledFuture;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLException;
import org.hoststated.core.config.Config;
import org.hoststated.core.config.HostConfig;
import org.hoststated.core.config.HostKey;
import org.hoststated.core.config.LogMode;
import org.hoststated.core.config.ProtocolConfig;
import org.hoststated.core.config.RelayConfig;
import org.hoststated.core.config.TableConfig;
import org.hoststated.core.config.TableTarget;
import org.hoststated.core.imsg.ImsgHandler;
import org.hoststated.core.msg.CtlSession;
import org.hoststated.core.msg.Empty;
import org.hoststated.core.msg.Generation;
import org.hoststated.core.msg.HostState;
import org.hoststated.core.msg.HostStatus;
import org.hoststated.core.msg.Imsg;
import org.hoststated.core.msg.MessageType;
import org.hoststated.core.msg.ObjId;
import org.hoststated.core.msg.ProcId;
import org.hoststated.core.msg.RelayStatistics;
import org.hoststated.core.msg.TlsKeyPair;
import org.hoststated.core.posix.Fds;
import org.hoststated.core.posix.SocketPair;
import org.hoststated.core.proc.Engine;
import org.hoststated.core.proc.FdTag;
import org.hoststated.core.proc.LoopStallWatch;
import org.hoststated.core.proc.ReceivedConfig;
import org.hoststated.relay.lb.HostSelector;
import org.hoststated.relay.lb.RelayHosts;
import org.hoststated.relay.lb.TargetHost;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The relay engine process ("socket relay engine"): serves every relay of the configuration on
 * {@code prefork} worker loops. Its own state (configuration, relays, host state, listening
 * descriptors waiting for their configuration) belongs to the engine loop; worker loops see
 * host state only through the immutable snapshots swapped into each relay's
 * {@link HostSelector}.
 *
 * <p>Listening sockets (fd channel) and the configuration (parent channel) arrive in either
 * order: descriptors wait in {@link #pendingFds} until their generation is applied. A relay
 * that stays across a reload (same name) keeps accepting on its old channel until the new
 * generation's descriptor is registered; sessions in flight run on.
 *
 * <p>A generation's listeners are served only once pfe has told the state of every host of
 * its tables and each table a relay picks from by health has a verdict ({@link #readyToServe}),
 * or {@link #STATES_WAIT_MS} after the configuration when that does not come: a restarted
 * engine that accepted at once met the connections queued in the kept listener while it knew
 * no host up, and closed each with "no host available"; so did a reload that pointed a relay
 * at a table not checked yet (a new or renamed one), until the first checks ended.
 * Meanwhile connections wait in the listener's queue (or, at a reload, the old generation's
 * server goes on accepting).
 */
public final class RelayEngine extends Engine {
    private static final Logger log = LoggerFactory.getLogger(RelayEngine.class);
    /** How long a generation's listeners wait for their tables' verdicts before they serve anyway. */
    static final long STATES_WAIT_MS = 3000;
    /**
     * How long they wait on when the health check engine or pfe restarts meanwhile: its restart's
     * back-off, a JVM's start and a round of checks (the parent's limit for a reload's
     * confirmation, counted afresh from a restart, is as long).
     */
    static final long CHECKS_RESTART_WAIT_MS = 15_000;
    /** How often a stopping engine looks whether its last session has ended. */
    static final long DRAIN_POLL_MS = 50;
    /**
     * How many listeners one loop task starts serving: each is a channel registered with a
     * worker loop, and 3,000 at once held the engine's loop for seconds (probe U).
     */
    static final int SERVE_BATCH = 128;

    private RelayTransport transport;
    /** The transport line was logged ({@link #announce}). */
    private boolean announced;
    private int sessionLimit;
    private EventLoopGroup workers;
    private int workerCount;
    private int applied;
    private Config config;
    /** Relays of the applied generation, by name. */
    private Map<String, RelayServer> servers = new LinkedHashMap<>();
    /** Servers of an older generation still accepting until their successor's listener is up. */
    private final Map<String, RelayServer> replaced = new HashMap<>();
    /** Stopped servers of older generations whose sessions are still running. */
    private final RetiredServers<RelayServer> draining = new RetiredServers<>(RelayServer::hasSessions);
    /** Each worker loop's number, for {@code show sessions}. */
    private Map<EventExecutor, Integer> workerNumbers = new HashMap<>();
    /** Worker groups of an older {@code prefork}, still running sessions. */
    private final Map<EventLoopGroup, Boolean> oldGroups = new LinkedHashMap<>();
    /** Listening descriptors by generation, then relay id, waiting for their configuration. */
    private final Map<Integer, Map<Integer, Integer>> pendingFds = new HashMap<>();
    /** Listening descriptors of the applied generation (by relay id) waiting for their tables' verdicts. */
    private final Map<Integer, Integer> awaitingStates = new LinkedHashMap<>();
    /**
     * Listening descriptors of the applied generation (by relay id) that may serve, taken
     * {@link #SERVE_BATCH} at a time ({@link #serveQueued}).
     */
    private final Map<Integer, Integer> toServe = new LinkedHashMap<>();
    /** A {@link #serveQueued} task is queued on the loop. */
    private boolean serveQueued;
    /** {@link #readyToServe}'s last answer, or null once anything it depends on changed. */
    private Boolean ready;
    /** Servers of the applied generation, by relay id. */
    private Map<Integer, RelayServer> serversById = Map.of();
    private ScheduledFuture<?> statesTimer;
    /** When the first listener of the applied generation began to wait for verdicts. */
    private long awaitingSince;
    /** Watches the sessions run out once the daemon stops ({@link #drainForStop}); null before. */
    private ScheduledFuture<?> drainWatch;
    private final Map<String, RelayCounters> counters = new HashMap<>();
    private final Map<String, RelayStatsWindow> stats = new HashMap<>();
    /** What pfe last got per relay: a relay whose statistics did not change sends nothing. */
    private final Map<String, RelayStatistics> statsSent = new HashMap<>();
    private final Map<Integer, HostState> hostStates = new HashMap<>();
    private final Set<Integer> disabledHosts = new HashSet<>();
    private final Set<Integer> disabledTables = new HashSet<>();
    private Map<Integer, Integer> tableOfHost = Map.of();
    /** The applied generation's table hosts, to find the same hosts for an older one. */
    private GenerationHosts hosts = GenerationHosts.NONE;
    /** The generation each server (this one's and older ones still running) picks hosts of. */
    private final Map<RelayServer, GenerationHosts> generationOf = new IdentityHashMap<>();
    /** A rebuild of the relays' host lists is queued ({@link #refreshHosts}). */
    private boolean refreshQueued;
    private ScheduledFuture<?> statsTimer;
    private ScheduledFuture<?> memoryTimer;
    private ScheduledFuture<?> ticketKeyTimer;
    private MemoryGuard memoryGuard;
    /** The applied relays' TLS contexts: a reload that leaves a relay's TLS inputs alone keeps its context. */
    private final TlsContexts tlsContexts = new TlsContexts();
    /** The contexts built ahead for a configuration ({@link #prepareConfig}), until it is applied. */
    private PreparedTls preparedTls;
    /** Builds new TLS contexts off the loop; started at the first configuration that has some. */
    private ExecutorService tlsBuilder;

    private record PreparedTls(int generation, TlsContexts.Next contexts) {
    }

    public RelayEngine() {
        super(ProcId.RELAY);
    }

    @Override
    public String title() {
        return "hoststated: relay engine";
    }

    @Override
    protected boolean dropsPrivileges() {
        return true;
    }

    /** Picks the transport and TLS provider before the chroot: their native libraries are unpacked to /tmp. */
    @Override
    protected void acquirePrivileged() {
        transport = RelayTransport.best();
        RelayTls.provider();
        // Reads the descriptor limit from /proc, which the chroot hides.
        sessionLimit = SessionLimit.engine().max();
        // Memory statistics load a native library of the JDK, which the chroot hides.
        memoryGuard = new MemoryGuard(DirectMemory.JVM);
    }

    /**
     * Says, once, what the relays run on: when the first worker loops have started, so that the
     * transport named is the one in use (named at the engine's start, it was io_uring where
     * the loops then fell back to epoll, probe BA).
     */
    private void announce() {
        if (announced) {
            return;
        }
        announced = true;
        // The limit warnings name the figure after the listeners, a few lower,
        // which read as a second limit (probe R).
        log.info("using the {} transport, TLS by {}, at most {} sessions before what the listening sockets take "
                + "of the descriptors, {}", transport.name(), RelayTls.providerName(), sessionLimit, DirectMemory.JVM);
    }

    @Override
    protected void started() {
        statsTimer = loop().scheduleAtFixedRate(this::sendStatistics, RelayStatsWindow.REFRESH_SEC,
                RelayStatsWindow.REFRESH_SEC, TimeUnit.SECONDS);
        memoryTimer = loop().scheduleAtFixedRate(() -> memoryGuard.check(allServers()), MemoryGuard.PERIOD_MS,
                MemoryGuard.PERIOD_MS, TimeUnit.MILLISECONDS);
        ticketKeyTimer = loop().scheduleAtFixedRate(tlsContexts::rotateTicketKeys, TicketKeys.ROTATE_SEC,
                TicketKeys.ROTATE_SEC, TimeUnit.SECONDS);
    }

    /**
     * Builds the TLS contexts that {@code rc} adds on a thread of their own: about 3 ms each,
     * and a reload adding 2,000 relays with certificates of their own held the loop 6 s, while
     * host states, listeners and statistics waited (probe U). {@link #applyConfig} takes them,
     * and builds on the loop only what failed here, to report it.
     */
    @Override
    protected CompletionStage<?> prepareConfig(ReceivedConfig rc) {
        Config c = rc.config();
        TlsContexts.Next next = tlsContexts.next();
        List<RelayConfig> onTls = c.relays().stream().filter(r -> r.listen().ssl()).toList();
        if (onTls.stream().noneMatch(r -> next.wouldBuild(rc.keyPairs().get(r.id()), protocolOf(c, r).ssl()))) {
            return null;
        }
        preparedTls = new PreparedTls(rc.generation(), next);
        if (tlsBuilder == null) {
            tlsBuilder = Executors.newSingleThreadExecutor(task -> {
                Thread t = new Thread(task, "relay-tls-builder");
                t.setDaemon(true);
                return t;
            });
        }
        return CompletableFuture.runAsync(() -> {
            for (RelayConfig r : onTls) {
                try {
                    tls(next, r, protocolOf(c, r), rc);
                } catch (RuntimeException e) {
                    // applyConfig meets it again, and reports it.
                }
            }
        }, tlsBuilder);
    }

    private static ProtocolConfig protocolOf(Config c, RelayConfig r) {
        return c.protocol(r.protocol()).orElseGet(() -> ProtocolConfig.builtinDefault(0));
    }

    @Override
    protected void applyConfig(ReceivedConfig rc) {
        Config c = rc.config();
        int gen = rc.generation();
        EventLoopGroup group = workersFor(c);
        GenerationHosts nextHosts = new GenerationHosts(c);
        Map<Integer, HostState> carried = carryHostState(nextHosts);
        // Build everything first: a bad configuration throws here and changes nothing.
        Map<String, RelayServer> next = new LinkedHashMap<>();
        Map<Integer, Integer> hostTables = new HashMap<>();
        for (TableConfig t : c.activeTables()) {
            for (HostConfig h : t.hosts()) {
                hostTables.put(h.id(), t.id());
            }
        }
        Map<Integer, HostState> oldStates = new HashMap<>(hostStates);
        Map<Integer, Integer> oldTables = tableOfHost;
        Set<Integer> oldDisabledHosts = new HashSet<>(disabledHosts);
        Set<Integer> oldDisabledTables = new HashSet<>(disabledTables);
        TlsContexts.Next tlsNext = preparedTls != null && preparedTls.generation() == gen ? preparedTls.contexts()
                : tlsContexts.next();
        preparedTls = null;
        hostStates.clear();
        hostStates.putAll(carried);
        tableOfHost = hostTables;
        // Before the servers are built, which pick their usable hosts now: the old sets are
        // of the old generation's ids, which may name other hosts in this one.
        disabledHosts.clear();
        disabledTables.clear();
        for (TableConfig t : c.activeTables()) {
            if (t.disabled()) {
                disabledTables.add(t.id());
                forgetStates(t.id());
            }
        }
        // The protocols the relays use, each once: their unsupported options are said once
        // per protocol, not once per relay (a protocol of three relays gave three same lines,
        // probe N).
        Set<ProtocolConfig> used = new LinkedHashSet<>();
        try {
            // relayd logs each closed session at info with 'log updates'. Its -d implied that
            // too; here -d, which the systemd unit uses, turns on hce's state changes only: a
            // line per session under a service manager by default would flood its journal.
            boolean logSessions = c.globals().log() != LogMode.NONE;
            Map<List<Object>, RelayHosts> shared = new HashMap<>();
            for (RelayConfig r : c.relays()) {
                ProtocolConfig p = protocolOf(c, r);
                used.add(p);
                HostSelector sel = RelayTargets.selector(r, c, this::usable, this::disabled, shared);
                RelayCounters cnt = counters.computeIfAbsent(r.name(), k -> new RelayCounters());
                SslContext tls = tls(tlsNext, r, p, rc);
                next.put(r.name(), new RelayServer(r, p, group, transport, sel, cnt, logSessions, tls));
            }
        } catch (RuntimeException e) {
            hostStates.clear();
            hostStates.putAll(oldStates);
            tableOfHost = oldTables;
            disabledHosts.clear();
            disabledHosts.addAll(oldDisabledHosts);
            disabledTables.clear();
            disabledTables.addAll(oldDisabledTables);
            if (group != workers && !oldGroups.containsKey(group)) {
                LoopStallWatch.shutdown(group, 0, 0, TimeUnit.SECONDS);
            }
            throw e;
        }
        tlsContexts.commit(tlsNext);
        useWorkers(group, c);
        RelayChanges.lines(config, c).forEach(log::info);
        for (ProtocolConfig p : used) {
            String unsupported = SocketOptions.unsupported(p.tcp(), p.transport());
            if (unsupported != null) {
                log.warn("protocol {}: {}", p.name(), unsupported);
            }
        }
        for (Map.Entry<String, RelayServer> e : servers.entrySet()) {
            RelayServer cur = e.getValue();
            RelayServer successor = next.get(e.getKey());
            if (successor != null && !sameSocket(config, cur.config(), c, successor.config())) {
                // Moved to another address or port: the old socket is not the new one's, and
                // ends with this reload (the parent closes its copy once the engines run it),
                // so it stops now; kept until the new one served, it accepted on the old port
                // for up to 92 ms after the reload said it was done (probe AP).
                retire(cur);
                RelayServer older = replaced.remove(e.getKey());
                if (older != null) {
                    retire(older);
                }
            } else if (successor != null) {
                if (cur.listener() != null) {
                    RelayServer older = replaced.put(e.getKey(), cur);
                    if (older != null) {
                        retire(older);
                    }
                } else {
                    // Never served (its descriptor did not come): an older one may still accept.
                    retire(cur);
                }
            } else {
                retire(cur);
                RelayServer older = replaced.remove(e.getKey());
                if (older != null) {
                    retire(older);
                }
                counters.remove(e.getKey());
                stats.remove(e.getKey());
                statsSent.remove(e.getKey());
            }
        }
        servers = next;
        Map<Integer, RelayServer> byId = new HashMap<>();
        next.values().forEach(s -> byId.put(s.config().id(), s));
        serversById = byId;
        config = c;
        applied = gen;
        hosts = nextHosts;
        next.values().forEach(s -> generationOf.put(s, nextHosts));
        generationOf.keySet().retainAll(allServers());
        ready = null;
        dropStaleFds(gen);
        dropAwaiting();
        dropQueued();
        Map<Integer, Integer> fds = pendingFds.remove(gen);
        if (fds != null) {
            fds.forEach(this::serveWhenReady);
        }
        sendPeer(ProcId.PFE, MessageType.STATE_REQUEST, new Generation(gen));
        log.debug("configuration {} applied, {} relays, {} TLS contexts built since start", gen, servers.size(),
                tlsContexts.built());
    }

    /**
     * Whether relay {@code a} of {@code ca} and relay {@code b} of {@code cb} listen on one
     * socket: the parent keeps a socket across a reload for the same address, port and
     * transport, and both servers then accept from it until the new one serves.
     */
    private static boolean sameSocket(Config ca, RelayConfig a, Config cb, RelayConfig b) {
        return a.listen().address().equals(b.listen().address()) && a.listen().port() == b.listen().port()
                && ca.transport(a) == cb.transport(b);
    }

    private static SslContext tls(TlsContexts.Next contexts, RelayConfig r, ProtocolConfig p, ReceivedConfig rc) {
        if (!r.listen().ssl()) {
            return null;
        }
        TlsKeyPair pair = rc.keyPairs().get(r.id());
        if (pair == null) {
            throw new IllegalArgumentException("relay " + r.name() + ": no certificate and key received");
        }
        try {
            return contexts.context(r.name(), pair, p.ssl());
        } catch (SSLException | IllegalArgumentException e) {
            throw new IllegalArgumentException("relay " + r.name() + ": ssl: " + e.getMessage(), e);
        }
    }

    /**
     * The worker loops for configuration {@code c}: the running ones, or a new group when
     * there are none yet or {@code prefork} changed. Sessions in flight stay on the loops
     * they started on; an old group is shut down once its last session ended
     * ({@link #shutdownIdleGroups}).
     */
    private EventLoopGroup workersFor(Config c) {
        int prefork = Math.max(1, c.globals().prefork());
        if (c.relays().isEmpty() || (workers != null && prefork == workerCount)) {
            return workers;
        }
        // A group of this size that an earlier reload replaced and that still runs is taken
        // back: reloads switching prefork to and fro (each within the two minutes an old group
        // may wait for its shutdown) started a group each time, until the kernel refused
        // another io_uring ring and every further reload failed.
        for (EventLoopGroup g : oldGroups.keySet()) {
            if (loops(g) == prefork) {
                return g;
            }
        }
        EventLoopGroup group = startWorkers(prefork);
        LoopStallWatch.watch("worker loop", group);
        announce();
        return group;
    }

    /**
     * Starts {@code prefork} worker loops on this engine's transport. When they cannot start,
     * the first loops go to epoll instead of io_uring ({@link #epollInstead}); for a reload,
     * the replaced groups nothing uses are shut down and the start tried again for a while
     * ({@link #newWorkersWithin}): replaced groups that still run hold rings and threads until
     * their shutdown, and reloads down from prefork 32 one at a time were refused from the
     * third on ("failed to create a child event loop"), the kernel's io_uring memory taken by
     * groups waiting for theirs (probe AH).
     */
    private EventLoopGroup startWorkers(int prefork) {
        try {
            return transport.newWorkers(prefork, "relay-worker");
        } catch (RuntimeException e) {
            if (workers == null && oldGroups.isEmpty() && transport.name().equals("io_uring")) {
                return epollInstead(prefork, e);
            }
            if (shutdownUnusedGroupsNow() == 0) {
                throw cannotStartWorkers(prefork, e);
            }
            return newWorkersWithin(prefork, GROUP_END_WAIT_MS);
        }
    }

    /**
     * The first worker loops, on epoll where io_uring's could not start ({@code why}): nothing
     * was made on io_uring yet, and epoll serves the same relays without locked memory.
     * Refused, the first configuration left its listening sockets taking connections nobody
     * accepted, with the daemon ready and the relays "active" (probe AK: ulimit -l 64, or 1 MiB
     * with prefork 4).
     */
    private EventLoopGroup epollInstead(int prefork, RuntimeException why) {
        String reason = innermostReason(why);
        if (reason.contains("RLIMIT_MEMLOCK")) {
            // Netty's words give the advice below, and C's call, in parentheses within parentheses.
            reason = "their rings need more locked memory than the limit allows";
        }
        log.warn("io_uring worker loops cannot start ({}): using the epoll transport (for io_uring, {})", reason,
                outOfDescriptors(reason) ? OPEN_FILES_ADVICE : "raise the limit of locked memory, LimitMEMLOCK= or ulimit -l");
        transport = RelayTransport.epoll();
        try {
            return transport.newWorkers(prefork, "relay-worker");
        } catch (RuntimeException again) {
            throw cannotStartWorkers(prefork, again);
        }
    }

    /**
     * Tries to start {@code prefork} worker loops every {@link #GROUP_RETRY_MS} for up to
     * {@code ms}: the kernel gives back an ended io_uring ring's memory in the background, a
     * moment after its loop has ended (the first try after the old loops ended failed).
     */
    private EventLoopGroup newWorkersWithin(int prefork, long ms) {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(ms);
        while (true) {
            try {
                return transport.newWorkers(prefork, "relay-worker");
            } catch (RuntimeException e) {
                if (System.nanoTime() - deadline >= 0) {
                    throw cannotStartWorkers(prefork, e);
                }
            }
            try {
                Thread.sleep(GROUP_RETRY_MS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalArgumentException("prefork " + prefork + ": interrupted while starting the worker loops");
            }
        }
    }

    private static final long GROUP_RETRY_MS = 100;

    /** How long a reload waits for replaced worker loops to end before it starts new ones. */
    private static final long GROUP_END_WAIT_MS = 2000;

    /**
     * Shuts down the replaced worker groups that no server uses (no listener, no session), and
     * waits up to {@link #GROUP_END_WAIT_MS} for them to end, so that what they held is given
     * back. Returns how many there were.
     */
    private int shutdownUnusedGroupsNow() {
        List<RelayServer> all = allServers();
        List<EventLoopGroup> unused = new ArrayList<>();
        for (EventLoopGroup g : oldGroups.keySet()) {
            if (all.stream().noneMatch(s -> s.workers() == g)) {
                unused.add(g);
            }
        }
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(GROUP_END_WAIT_MS);
        for (EventLoopGroup g : unused) {
            oldGroups.remove(g);
            for (EventExecutor x : g) {
                workerNumbers.remove(x);
            }
            LoopStallWatch.shutdown(g, 0, 1, TimeUnit.SECONDS);
        }
        for (EventLoopGroup g : unused) {
            try {
                g.awaitTermination(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        if (!unused.isEmpty()) {
            log.info("old worker loops shut down at once: {} group{} of earlier prefork values held what new loops need",
                    unused.size(), unused.size() == 1 ? "" : "s");
        }
        return unused.size();
    }

    /** The innermost message of {@code e}'s causes: the system's reason under Netty's wrappers. */
    private static String innermostReason(Throwable e) {
        String why = String.valueOf(e);
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t.getMessage() != null && !t.getMessage().isEmpty()) {
                why = t.getMessage();
            }
        }
        return why;
    }

    /** The refusal of a configuration whose worker loops could not start, with the system's reason. */
    private IllegalArgumentException cannotStartWorkers(int prefork, RuntimeException e) {
        String why = innermostReason(e);
        String hint = oldGroups.isEmpty() ? "" : "; the worker loops of earlier prefork values end with their"
                + " last sessions";
        if (outOfDescriptors(why)) {
            hint += " (" + OPEN_FILES_ADVICE + ")";
        } else if (transport.name().equals("io_uring")) {
            hint += " (the kernel's limit of locked memory, LimitMEMLOCK=, may be too low for this many io_uring"
                    + " loops; HOSTSTATED_RELAY_TRANSPORT=epoll needs none)";
        }
        return new IllegalArgumentException("prefork " + prefork + ": cannot start the worker loops: " + why + hint, e);
    }

    private static final String OPEN_FILES_ADVICE = "raise the limit of open files, LimitNOFILE= or ulimit -n";

    /**
     * Whether the loops failed for want of descriptors (EMFILE), whose advice is not the
     * locked memory's: a low limit of open files was told to raise LimitMEMLOCK=.
     */
    private static boolean outOfDescriptors(String reason) {
        return reason.contains("Too many open files");
    }

    private static int loops(EventLoopGroup g) {
        int n = 0;
        for (EventExecutor ignored : g) {
            n++;
        }
        return n;
    }

    private void useWorkers(EventLoopGroup group, Config c) {
        if (group == workers) {
            return;
        }
        if (workers != null) {
            log.info("prefork {} (was {}): new sessions go to new worker loops, sessions in flight finish on theirs",
                    Math.max(1, c.globals().prefork()), workerCount);
            oldGroups.put(workers, false);
        }
        oldGroups.remove(group);
        workers = group;
        workerCount = Math.max(1, c.globals().prefork());
        Map<EventExecutor, Integer> numbers = new HashMap<>(workerNumbers);
        numbers.putAll(SessionListing.number(group));
        workerNumbers = numbers;
    }

    /**
     * Shuts down replaced worker groups that no server (listener or session) has used at two
     * checks in a row, one statistics refresh apart: by then no connection accepted by an old
     * listener can still be on its way to becoming a session, which the shutdown would cut.
     */
    private void shutdownIdleGroups(List<RelayServer> all) {
        for (Iterator<Map.Entry<EventLoopGroup, Boolean>> it = oldGroups.entrySet().iterator(); it.hasNext(); ) {
            Map.Entry<EventLoopGroup, Boolean> e = it.next();
            EventLoopGroup g = e.getKey();
            if (all.stream().anyMatch(s -> s.workers() == g)) {
                e.setValue(false);
            } else if (!e.getValue()) {
                e.setValue(true);
            } else {
                it.remove();
                for (EventExecutor x : g) {
                    workerNumbers.remove(x);
                }
                LoopStallWatch.shutdown(g, 0, 1, TimeUnit.SECONDS);
                log.debug("old worker loops shut down");
            }
        }
    }

    /** Host state of hosts that stay ({@link HostKey}) survives a reload while pfe resends the rest. */
    private Map<Integer, HostState> carryHostState(GenerationHosts next) {
        Map<Integer, HostState> out = new HashMap<>();
        hostStates.forEach((id, state) -> {
            int now = next.carriedIdOf(hosts, id);
            if (now != GenerationHosts.GONE) {
                out.put(now, state);
            }
        });
        return out;
    }

    @Override
    protected void listenerReceived(FdTag tag, int fd) {
        int gen = tag.generation();
        if (drainWatch != null) {
            log.debug("listening socket for relay {} while stopping: closed", tag.subject());
            Fds.close(fd);
            return;
        }
        if (gen < applied) {
            log.debug("listening socket of stale generation {} for relay {}", gen, tag.subject());
            Fds.close(fd);
            return;
        }
        if (gen > applied) {
            Integer old = pendingFds.computeIfAbsent(gen, g -> new HashMap<>()).put(tag.subject(), fd);
            if (old != null) {
                Fds.close(old);
            }
            return;
        }
        serveWhenReady(tag.subject(), fd);
    }

    /**
     * Whether the applied generation's listeners may serve: pfe's state (even unknown) is here
     * for every host, and every table that a relay picks hosts from by their health has a
     * verdict: a host up, or no enabled host that was never checked.
     */
    private boolean readyToServe() {
        if (ready == null) {
            ready = findReady();
        }
        return ready;
    }

    /**
     * {@link #readyToServe}, worked out: relays times hosts, so it is kept until a host state,
     * an enable or disable, or the configuration changes; each of 3,000 listeners passed in
     * one reload worked it out again.
     */
    private boolean findReady() {
        if (!hostStates.keySet().containsAll(tableOfHost.keySet())) {
            return false;
        }
        // Each table once: 1,000 relays on one table of 2,000 hosts looked at it 1,000 times
        // for each host state that came while their listeners waited.
        Set<String> looked = new HashSet<>();
        for (RelayServer s : servers.values()) {
            if (s.config().target() instanceof TableTarget t && !t.noCheck() && looked.add(t.table())
                    && !hasVerdict(config.table(t.table()).orElseThrow())) {
                return false;
            }
        }
        return true;
    }

    private boolean hasVerdict(TableConfig table) {
        if (disabledTables.contains(table.id())) {
            return true;
        }
        boolean unchecked = false;
        for (HostConfig h : table.hosts()) {
            HostState state = hostStates.get(h.id());
            if (state == HostState.UP && !disabledHosts.contains(h.id())) {
                return true;
            }
            unchecked |= state == HostState.UNKNOWN && !disabledHosts.contains(h.id());
        }
        return !unchecked;
    }

    private void serveWhenReady(int relayId, int fd) {
        if (readyToServe()) {
            queueListener(relayId, fd);
            return;
        }
        Integer old = awaitingStates.put(relayId, fd);
        if (old != null) {
            Fds.close(old);
        }
        if (statesTimer == null) {
            awaitingSince = System.nanoTime();
            armStatesTimer(STATES_WAIT_MS);
        }
    }

    /** Serves the listeners waiting for verdicts {@code ms} from now, if they still wait then. */
    private void armStatesTimer(long ms) {
        int gen = applied;
        statesTimer = loop().schedule(() -> {
            if (applied == gen && !awaitingStates.isEmpty()) {
                log.info("no verdict on the relays' hosts {} ms after configuration {}: serving anyway",
                        TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - awaitingSince), gen);
                serveAwaiting();
            }
        }, ms, TimeUnit.MILLISECONDS);
    }

    /**
     * The health check engine or pfe, which passes its verdicts on, was lost, its successor
     * has started, or it has not taken a new configuration in time ({@code CHECKS_RESTARTING}):
     * listeners waiting for their tables' first verdicts wait on, up to
     * {@link #CHECKS_RESTART_WAIT_MS} from now, instead of serving at the usual mark. A reload
     * that gave a relay a new table, with hce killed just after it, served that table unchecked
     * after 3 s, and 1,682 clients got 503 in 1.2 s while the old table, healthy, could have
     * served them (probe P): a successor's restart delay and start never fit in 3 s. The parent
     * waits as long for its confirmation of the reload.
     */
    private void checksRestarting() {
        if (statesTimer == null) {
            return;
        }
        cancelStatesTimer();
        log.info("the health check engine or the pf engine restarts or is late: the relays' listeners wait up to {} s more for the checks' verdicts",
                CHECKS_RESTART_WAIT_MS / 1000);
        armStatesTimer(CHECKS_RESTART_WAIT_MS);
    }

    private void serveAwaiting() {
        refreshHostsNow(); // the listeners serve the hosts as they are now
        cancelStatesTimer();
        Map<Integer, Integer> fds = new LinkedHashMap<>(awaitingStates);
        awaitingStates.clear();
        fds.forEach(this::queueListener);
    }

    /** Serves {@code fd} soon, after the listeners queued before it ({@link #serveQueued}). */
    private void queueListener(int relayId, int fd) {
        Integer old = toServe.put(relayId, fd);
        if (old != null) {
            Fds.close(old);
        }
        if (!serveQueued) {
            serveQueued = true;
            loop().execute(this::serveQueued);
        }
    }

    /**
     * Serves up to {@link #SERVE_BATCH} queued listeners, then lets the loop run what waits
     * (the parent's messages, the watchdog's question, pfe's states) before the next batch.
     * The old generation's listeners accept meanwhile, so no connection waits for this.
     */
    private void serveQueued() {
        serveQueued = false;
        Iterator<Map.Entry<Integer, Integer>> it = toServe.entrySet().iterator();
        for (int n = 0; n < SERVE_BATCH && it.hasNext(); n++) {
            Map.Entry<Integer, Integer> e = it.next();
            it.remove();
            serveListener(e.getKey(), e.getValue());
        }
        if (!toServe.isEmpty()) {
            serveQueued = true;
            loop().execute(this::serveQueued);
        }
    }

    /** Closes the queued listeners: another generation replaces them, or the engine stops. */
    private void dropQueued() {
        toServe.values().forEach(Fds::close);
        toServe.clear();
    }

    /**
     * Closes the listeners still waiting for host states: another generation replaces them, or
     * the engine stops.
     */
    private void dropAwaiting() {
        cancelStatesTimer();
        awaitingStates.values().forEach(Fds::close);
        awaitingStates.clear();
    }

    /** Closes the listening sockets not served yet: of a later configuration, or waiting for host states. */
    private void closeWaitingListeners() {
        pendingFds.values().forEach(m -> m.values().forEach(Fds::close));
        pendingFds.clear();
        dropAwaiting();
        dropQueued();
    }

    private void cancelStatesTimer() {
        if (statesTimer != null) {
            statesTimer.cancel(false);
            statesTimer = null;
        }
    }

    private void serveListener(int relayId, int fd) {
        RelayServer server = serversById.get(relayId);
        if (server == null) {
            log.warn("listening socket for unknown relay {} in generation {}", relayId, applied);
            Fds.close(fd);
            return;
        }
        try {
            SocketPair.setNonBlocking(fd);
        } catch (IOException e) {
            log.warn("relay {}: listening socket: {}", server.config().name(), e.getMessage());
            Fds.close(fd);
            return;
        }
        String name = server.config().name();
        RelayServer s = server;
        server.serve(fd).addListener(f -> loop().execute(() -> {
            if (f.isSuccess() && servers.get(name) == s) {
                RelayServer old = replaced.remove(name);
                if (old != null && old != s) {
                    retire(old);
                }
                // [fd75::1]:1080: "fd75:0:0:0:0:0:0:1:1080" hid where the port began (probe E).
                log.debug("relay {}: listening on {}", name, io.netty.util.NetUtil.toSocketAddressString(
                        new java.net.InetSocketAddress(s.config().listen().address(), s.config().listen().port())));
            }
        }));
    }

    /**
     * Stops a server of an older generation from accepting; its sessions in flight run on to
     * their end, listed by {@code show sessions} and closed at shutdown until then.
     */
    private void retire(RelayServer s) {
        retire(s, "relay reloaded");
    }

    /** {@link #retire(RelayServer)}; {@code why} ends the close lines of its HTTP sessions. */
    private void retire(RelayServer s, String why) {
        ChannelFuture closed = s.stop(why);
        if (closed != null) {
            String name = s.config().name();
            closed.addListener(f -> loop().execute(() -> acceptQueued(name)));
        }
        draining.add(s);
    }

    /**
     * A listener of relay {@code name} closed: the ones that serve its socket on, this
     * generation's or the one still accepting until it is up, take what the closed one's
     * cancelled accept may have left queued ({@link RelayServer#acceptQueued}).
     */
    private void acceptQueued(String name) {
        RelayServer current = servers.get(name);
        if (current != null) {
            current.acceptQueued();
        }
        RelayServer older = replaced.get(name);
        if (older != null && older != current) {
            older.acceptQueued();
        }
    }

    /**
     * Every server with a listener or with sessions, each once: this generation's, and older
     * ones draining. A stop retires this generation's too, and listed twice, their sessions
     * were counted twice ("1 open sessions finish", then "ending 2 open sessions"; probe U).
     */
    private List<RelayServer> allServers() {
        Set<RelayServer> all = new LinkedHashSet<>(servers.values());
        all.addAll(replaced.values());
        all.addAll(draining.all());
        return new ArrayList<>(all);
    }

    private static String openSessions(int n) {
        return n == 1 ? "1 open session" : n + " open sessions";
    }

    @Override
    protected ImsgHandler.Result dispatchParent(Imsg m) {
        switch (m.type()) {
            case CTL_SHOW_SESSIONS -> showSessions(m);
            case RELAY_DRAIN -> drainForStop();
            case CHECKS_RESTARTING -> checksRestarting();
            default -> {
                return ImsgHandler.Result.NOT_HANDLED;
            }
        }
        return ImsgHandler.Result.HANDLED;
    }

    /**
     * The daemon is stopping ({@code RELAY_DRAIN}): every relay stops accepting, as one that a
     * reload removes ({@link #retire}): an HTTP session ends after the exchange under way (its
     * response says {@code Connection: close}) or after an idle second; other sessions run on.
     * The parent hears {@code RELAY_DRAINED} once none is left, and ends this engine, with what
     * is still open, when its grace runs out first.
     */
    private void drainForStop() {
        if (drainWatch != null) {
            return;
        }
        closeWaitingListeners();
        List<RelayServer> all = allServers();
        int open = 0;
        for (RelayServer s : all) {
            open += s.sessionCount();
            retire(s, "daemon stopping");
        }
        if (open > 0) {
            log.info("stopping: no relay accepts any more; waiting for {} to finish", openSessions(open));
        }
        boolean waited = open > 0;
        drainWatch = loop().scheduleAtFixedRate(() -> {
            if (allServers().stream().noneMatch(RelayServer::hasSessions)) {
                drainWatch.cancel(false);
                if (waited) {
                    log.info("stopping: every session has ended");
                }
                parent().send(MessageType.RELAY_DRAINED, Empty.INSTANCE);
            }
        }, 0, DRAIN_POLL_MS, TimeUnit.MILLISECONDS);
    }

    private void showSessions(Imsg m) {
        long now = System.nanoTime();
        int pid = (int) ProcessHandle.current().pid();
        Map<String, Integer> currentIds = new HashMap<>();
        servers.forEach((name, s) -> currentIds.put(name, s.config().id()));
        for (CtlSession row : SessionListing.rows(allServers(), currentIds, workerNumbers, now)) {
            parent().send(new Imsg(MessageType.CTL_SESSION, m.peerId(), pid, row));
        }
        parent().send(new Imsg(MessageType.CTL_END, m.peerId(), pid, Empty.INSTANCE));
    }

    /** Answers the watchdog once each worker loop, current and replaced, has run a task. */
    @Override
    protected void whenServing(Runnable answer) {
        List<EventExecutor> loops = new ArrayList<>();
        if (workers != null) {
            workers.forEach(loops::add);
        }
        oldGroups.keySet().forEach(g -> g.forEach(loops::add));
        int[] left = {loops.size() + 1};
        Runnable passed = () -> {
            if (--left[0] == 0) {
                answer.run();
            }
        };
        for (EventExecutor x : loops) {
            try {
                x.execute(() -> loop().execute(passed));
            } catch (RejectedExecutionException e) {
                // A loop shutting down serves no one: nothing to wait for.
                passed.run();
            }
        }
        passed.run();
    }

    private void dropStaleFds(int gen) {
        for (Iterator<Map.Entry<Integer, Map<Integer, Integer>>> it = pendingFds.entrySet().iterator(); it.hasNext(); ) {
            Map.Entry<Integer, Map<Integer, Integer>> e = it.next();
            if (e.getKey() < gen) {
                e.getValue().values().forEach(Fds::close);
                it.remove();
            }
        }
    }

    @Override
    protected void peerConnected(ProcId peer) {
        if (peer == ProcId.PFE) {
            // A restarted pfe has no counts: the next refresh sends every relay's, not only
            // those that changed (an idle relay's vanished from show relays, probe H of session 57).
            statsSent.clear();
        }
        if (peer == ProcId.PFE && applied > 0) {
            sendPeer(ProcId.PFE, MessageType.STATE_REQUEST, new Generation(applied));
        }
    }

    @Override
    protected ImsgHandler.Result dispatchPeer(ProcId peer, Imsg m) {
        if (peer != ProcId.PFE) {
            return ImsgHandler.Result.NOT_HANDLED;
        }
        switch (m.type()) {
            case HOST_STATUS -> hostStatus(m.payload(HostStatus.class));
            case HOST_ENABLE -> objState(m, disabledHosts, false);
            case HOST_DISABLE -> objState(m, disabledHosts, true);
            case TABLE_ENABLE -> objState(m, disabledTables, false);
            case TABLE_DISABLE -> objState(m, disabledTables, true);
            // Services matter to relays only through `service` targets, which forward to the
            // service's virtual address whatever pfe does with it.
            case SERVICE_ENABLE, SERVICE_DISABLE -> log.debug("{} {}", m.type(),
                    m.payload(ObjId.class).id());
            default -> {
                return ImsgHandler.Result.NOT_HANDLED;
            }
        }
        return ImsgHandler.Result.HANDLED;
    }

    private void hostStatus(HostStatus st) {
        if (st.generation() != applied) {
            log.debug("a host's state for configuration {} ignored: configuration {} runs", st.generation(), applied);
            return;
        }
        if (!tableOfHost.containsKey(st.hostId())) {
            log.warn("host status for unknown host {}", st.hostId());
            return;
        }
        HostState known = hostStates.get(st.hostId());
        if (st.state() == HostState.UNKNOWN && st.checkCount() == 0
                && (known == HostState.UP || known == HostState.DOWN)) {
            // No verdict yet, not a verdict: pfe and hce restarted together know nothing of the
            // hosts until hce's first round, and every relay answered 503 meanwhile, its hosts
            // all up (probe P). The last verdict stands until a new one comes, as pfe keeps it
            // for a restarted hce; a host or table the operator disables is forgotten here.
            log.debug("{}: no verdict after an engine restart, keeping {}", hosts.describe(st.hostId()), known);
            return;
        }
        if (hostStates.put(st.hostId(), st.state()) != st.state()) {
            ready = null;
            refreshHosts();
        }
        serveIfReady();
    }

    private void serveIfReady() {
        if (!awaitingStates.isEmpty() && readyToServe()) {
            serveAwaiting();
        }
    }

    private void objState(Imsg m, Set<Integer> disabled, boolean disable) {
        ObjId o = m.payload(ObjId.class);
        if (o.generation() != applied) {
            log.debug("{} of generation {} ignored (at {})", m.type(), o.generation(), applied);
            return;
        }
        if (disable ? disabled.add(o.id()) : disabled.remove(o.id())) {
            ready = null;
            if (disable && disabled == disabledHosts) {
                hostStates.put(o.id(), HostState.UNKNOWN);
            } else if (disable) {
                forgetStates(o.id());
            }
            refreshHosts();
            serveIfReady();
        }
    }

    /**
     * A disabled table's hosts are unknown until checked again, as in pfe, which sends no state
     * for them meanwhile. The state they had before stayed here: a {@code host enable} made the
     * host take sessions at once, unchecked, and a reload carried it into the new generation,
     * whose disabled set starts empty, which served the disabled host until pfe's states came.
     */
    private void forgetStates(int tableId) {
        tableOfHost.forEach((host, table) -> {
            if (table == tableId) {
                hostStates.put(host, HostState.UNKNOWN);
            }
        });
    }

    /** Whether a table host may get new sessions now. */
    boolean usable(TargetHost h) {
        return usable(h.id());
    }

    private boolean usable(int hostId) {
        Integer table = tableOfHost.get(hostId);
        return hostStates.get(hostId) == HostState.UP && !disabledHosts.contains(hostId)
                && table != null && !disabledTables.contains(table);
    }

    /**
     * Whether the operator disabled a table host or its table (hoststatectl, or the table's
     * {@code disable}): it gets no new session, even from a relay with {@code no check}.
     */
    boolean disabled(TargetHost h) {
        return disabled(h.id());
    }

    private boolean disabled(int hostId) {
        Integer table = tableOfHost.get(hostId);
        return disabledHosts.contains(hostId) || table != null && disabledTables.contains(table);
    }

    /**
     * Rebuilds the relays' host lists once the messages at hand are read: each host state
     * rebuilt every relay's list, relays times hosts per message, and the first verdicts of a
     * table of 2,000 hosts under 1,000 relays held the loop until the watchdog killed the
     * engine, again and again (probe T).
     */
    private void refreshHosts() {
        if (!refreshQueued) {
            refreshQueued = true;
            loop().execute(this::refreshHostsNow);
        }
    }

    private void refreshHostsNow() {
        if (!refreshQueued) {
            return;
        }
        refreshQueued = false;
        // Relays that shared a snapshot (one table at one port) share the next one too.
        Map<RelayHosts, RelayHosts> next = new IdentityHashMap<>();
        for (RelayServer s : servers.values()) {
            if (s.config().target() instanceof TableTarget) {
                HostSelector sel = s.context().selector();
                sel.update(next.computeIfAbsent(sel.hosts(), h -> h.with(this::usable,
                        x -> hostStates.get(x.id()) == HostState.DOWN, this::disabled)));
                s.hostsChanged();
            }
        }
        refreshOlderGenerations();
    }

    /**
     * The servers of older generations follow the states of their hosts too: one still
     * accepting until its successor's listener is up sent new sessions to a host that went
     * down meanwhile, and a draining session's failover waited out its connect to it
     * (review R). A host the reload removed is picked as before.
     */
    private void refreshOlderGenerations() {
        for (RelayServer s : allServers()) {
            GenerationHosts g = generationOf.get(s);
            if (g == null || g == hosts || !(s.config().target() instanceof TableTarget)) {
                continue;
            }
            HostSelector sel = s.context().selector();
            sel.update(sel.hosts().with(x -> hosts.idOf(g, x.id()) != GenerationHosts.GONE,
                    x -> usable(hosts.idOf(g, x.id())),
                    x -> hostStates.get(hosts.idOf(g, x.id())) == HostState.DOWN,
                    x -> disabled(hosts.idOf(g, x.id()))));
            s.hostsChanged();
        }
    }

    /** Every {@link RelayStatsWindow#REFRESH_SEC}: each relay's statistics to pfe when they changed. */
    private void sendStatistics() {
        // Every refresh: an old group that no server used at two in a row ends 5-10 s after
        // its last session, not one to two minutes (a group's rings and threads wait for it).
        draining.refresh();
        shutdownIdleGroups(allServers());
        for (RelayServer s : servers.values()) {
            RelayConfig r = s.config();
            RelayCounters c = s.context().counters();
            RelayStatsWindow w = stats.computeIfAbsent(r.name(), k -> new RelayStatsWindow());
            RelayStatistics now = w.refresh(applied, r.id(), c.total(), c.active());
            if (!now.equals(statsSent.put(r.name(), now))) {
                sendPeer(ProcId.PFE, MessageType.STATISTICS, now);
            }
        }
    }

    @Override
    protected void shutdown() {
        if (tlsBuilder != null) {
            tlsBuilder.shutdownNow();
        }
        if (drainWatch != null) {
            drainWatch.cancel(false);
        }
        if (statsTimer != null) {
            statsTimer.cancel(false);
        }
        if (ticketKeyTimer != null) {
            ticketKeyTimer.cancel(false);
        }
        if (memoryTimer != null) {
            memoryTimer.cancel(false);
        }
        List<RelayServer> all = allServers();
        int open = 0;
        for (RelayServer s : all) {
            open += s.sessionCount();
            s.stop();
        }
        if (open > 0) {
            log.info("ending {}", openSessions(open));
        }
        // One second for all: a stuck loop (often why the engine stops) held each relay's wait
        // in turn, N seconds for N relays (review CN).
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(1);
        for (RelayServer s : all) {
            s.closeSessions().awaitUninterruptibly(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        }
        closeWaitingListeners();
        oldGroups.keySet().forEach(g -> LoopStallWatch.shutdown(g, 0, 1, TimeUnit.SECONDS));
        if (workers != null) {
            LoopStallWatch.shutdown(workers, 0, 1, TimeUnit.SECONDS).awaitUninterruptibly(2, TimeUnit.SECONDS);
        }
    }
}
