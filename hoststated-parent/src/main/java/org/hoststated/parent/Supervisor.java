package org.hoststated.parent;

import io.netty.channel.EventLoop;
import java.io.IOException;
import java.time.Duration;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.hoststated.core.config.RelayConfig;
import org.hoststated.core.imsg.ImsgChannel;
import org.hoststated.core.imsg.ImsgHandler;
import org.hoststated.core.log.LogConfig;
import org.hoststated.core.msg.ConfChunk;
import org.hoststated.core.msg.DisabledSetPieces;
import org.hoststated.core.msg.Empty;
import org.hoststated.core.msg.EngineError;
import org.hoststated.core.msg.Generation;
import org.hoststated.core.msg.MalformedMessageException;
import org.hoststated.core.msg.Imsg;
import org.hoststated.core.msg.MessageType;
import org.hoststated.core.msg.ObjId;
import org.hoststated.core.msg.ProcId;
import org.hoststated.core.msg.ResolvedName;
import org.hoststated.core.msg.TlsKeyPair;
import org.hoststated.core.posix.ExitStatus;
import org.hoststated.core.posix.SocketPair;
import org.hoststated.core.posix.SpawnedProcess;
import org.hoststated.core.posix.UnixDatagramSocket;
import org.hoststated.core.proc.EngineSettings;
import org.hoststated.core.proc.FdTag;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Starts the three engines, wires their channels (parent to each; pfe to hce and to relay),
 * sends each the current configuration, and restarts an engine that dies, with backoff,
 * resynchronising it with its peers. The original shut the whole daemon down instead.
 * Owned by the parent's event loop.
 */
final class Supervisor implements Reloader.Target {
    private static final Logger log = LoggerFactory.getLogger(Supervisor.class);
    private static final long MIN_BACKOFF_MS = 500;
    private static final long MAX_BACKOFF_MS = 30_000;
    /**
     * An engine that served its configuration this long before dying starts its backoff afresh.
     * From its start and 60 s, a relay engine dying every 12 s held new clients in the listen
     * queues 4, 8, then 16 s (probe AP); one that dies before it serves, or soon after, still
     * waits longer each time, so that a crash at start does not spin.
     */
    private static final long STABLE_NANOS = TimeUnit.SECONDS.toNanos(10);
    /** Looks for a dead engine's exit, 50 ms apart, before it is restarted anyway (2 s). */
    private static final int REAP_LOOKS = 40;
    /** How long a stop waits for the engines' last output to be logged, all together. */
    private static final Duration OUTPUT_WAIT = Duration.ofSeconds(1);
    /** How often the watchdog sends each engine a PING. */
    static final long PING_MS = 2000;
    /**
     * An engine that leaves a PING unanswered this long is killed and restarted: stopped,
     * deadlocked or stuck in a loop, it keeps its channel open and would never be noticed.
     */
    static final long HUNG_NANOS = TimeUnit.SECONDS.toNanos(10);
    /**
     * The same before its first answer, and while it applies a configuration: a JVM starting
     * on a loaded machine, or parsing 100,000 hosts, takes its time. One the kernel shows
     * stopped gets {@link #HUNG_NANOS} all the same ({@link ProcessState}).
     */
    private static final long BUSY_NANOS = TimeUnit.SECONDS.toNanos(60);
    /**
     * hce has taken a new configuration within this long, well inside the relay engine's 3 s
     * wait for a new table's first verdicts, unless it is stopped or hung ({@link #checksLate}).
     */
    static final long CHECKS_LATE_MS = 1500;

    /** Receives every engine message the supervisor does not handle itself. */
    interface Listener {
        ImsgHandler.Result engineMessage(ProcId from, Imsg m);

        void engineReady(ProcId engine, int generation);

        /** The engine refused configuration {@code generation}. */
        void engineError(ProcId engine, int generation, String why);

        /** The engine's channel closed: whatever it was asked is not going to be answered. */
        void engineLost(ProcId engine);

        /** A successor of a lost engine has started, and is being sent the current configuration. */
        void engineRestarted(ProcId engine);
    }

    private final EventLoop loop;
    /** pfe's: root, or the unprivileged user's with {@code l3 backend none} ({@link PfePrivileges}). */
    private final EngineSettings pfe;
    private final EngineSettings unprivileged;
    private final ListenerSockets listeners;
    private final Listener listener;
    private final Map<ProcId, EngineProcess> running = new EnumMap<>(ProcId.class);
    private final Map<ProcId, Integer> failures = new EnumMap<>(ProcId.class);
    /** When each engine was last passed a syslog socket: at most one a second each. */
    private final Map<ProcId, Long> syslogPassed = new EnumMap<>(ProcId.class);
    private ConfigSource.Loaded config;
    /** The check scripts of the generations hce may run: the only ones the parent runs for it. */
    private final ScriptChecks scripts = new ScriptChecks();
    private Map<Integer, TlsKeyPair> keyPairs = Map.of();
    private int generation;
    private boolean stopping;
    /** What runs once the relay engine's sessions have run out at a stop ({@link #drain}); else null. */
    private Runnable drained;
    private long lastWatchNanos = System.nanoTime();
    /** What pfe last said the operator disabled, by name; null until it said anything. */
    private ConfChunk pfeDisabled;
    /** The pieces of pfe's next {@code DISABLED_SET} received so far. */
    private DisabledSetPieces.Joiner pfeDisabledPieces = new DisabledSetPieces.Joiner();

    Supervisor(EventLoop loop, EngineSettings pfe, EngineSettings unprivileged, ListenerSockets listeners,
               Listener listener) {
        this.loop = loop;
        this.pfe = pfe;
        this.unprivileged = unprivileged;
        this.listeners = listeners;
        this.listener = listener;
    }

    /** Starts every engine with the first configuration. */
    void startAll(ConfigSource.Loaded first, Map<Integer, TlsKeyPair> keys, int gen) throws IOException {
        this.config = first;
        this.keyPairs = keys;
        this.generation = gen;
        scripts.configured(gen, first.config());
        for (ProcId p : List.of(ProcId.PFE, ProcId.HCE, ProcId.RELAY)) {
            start(p);
        }
        loop.scheduleAtFixedRate(this::watch, PING_MS, PING_MS, TimeUnit.MILLISECONDS);
    }

    /** The watchdog: pings every engine, and kills one that has left a ping unanswered too long. */
    private void watch() {
        if (stopping) {
            return;
        }
        long now = System.nanoTime();
        boolean parentStalled = now - lastWatchNanos > 3 * TimeUnit.MILLISECONDS.toNanos(PING_MS);
        lastWatchNanos = now;
        for (EngineProcess e : List.copyOf(running.values())) {
            if (parentStalled && e.pingSentNanos != 0) {
                // This loop was held (loading a huge configuration): the answer may be waiting
                // unread in the channel. The engine gets its time again from now.
                e.pingSentNanos = now;
            } else if (e.pingSentNanos == 0) {
                e.pingSentNanos = now;
                e.channel.send(MessageType.PING, Empty.INSTANCE);
            } else if (now - e.pingSentNanos > (e.answeredPing && e.configuring == 0 ? HUNG_NANOS : BUSY_NANOS)) {
                kill(e, "has not answered for " + TimeUnit.NANOSECONDS.toSeconds(now - e.pingSentNanos) + " s");
            } else if (now - e.pingSentNanos > HUNG_NANOS && ProcessState.stopped(e.pid())) {
                // Busy is what the longer wait is for; a stopped engine is not. The words begin
                // as the other kill's, so that one search of the log finds both.
                kill(e, "has not answered for " + TimeUnit.NANOSECONDS.toSeconds(now - e.pingSentNanos)
                        + " s and is stopped");
            }
        }
    }

    /** Kills an engine that stopped doing its part; it is started again as one that died. */
    private void kill(EngineProcess e, String why) {
        log.error("{} (pid {}) {}; killing it", e.spec.title, e.pid(), why);
        try {
            e.process.kill(SpawnedProcess.SIGKILL);
        } catch (IOException ex) {
            log.warn("cannot kill {}: {}", e.spec.title, ex.getMessage());
        }
        died(e);
    }

    /**
     * What pfe last said the operator disabled (or enabled against the configuration): a
     * restarted pfe gets it after its configuration.
     */
    void keepForPfe(Imsg piece) {
        try {
            ConfChunk disabled = pfeDisabledPieces.add(piece);
            if (disabled != null) {
                pfeDisabled = disabled;
            }
        } catch (MalformedMessageException e) {
            log.warn("pfe: {}; a restart of pfe keeps the one before", e.getMessage());
        }
    }

    @Override
    public ConfChunk operatorChanges() {
        return pfeDisabled;
    }

    /**
     * Gives pfe {@code changes} (what the operator had changed before a reload that was
     * refused) as of generation {@code gen}, the going back, which pfe runs once it had the
     * configuration sent just before; a pfe restarted later gets the same.
     */
    @Override
    public void restore(ConfChunk changes, int gen) {
        pfeDisabled = new ConfChunk(gen, changes.text());
        EngineProcess pfe = running.get(ProcId.PFE);
        if (pfe != null) {
            DisabledSetPieces.of(pfeDisabled).forEach(pfe.channel::send);
        }
    }

    /** Sends a new configuration generation to every running engine. */
    @Override
    public void reconfigure(ConfigSource.Loaded next, Map<Integer, TlsKeyPair> keys, int gen) {
        this.config = next;
        this.keyPairs = keys;
        this.generation = gen;
        scripts.configured(gen, next.config());
        for (EngineProcess e : running.values()) {
            sendConfig(e);
        }
        for (ProcId p : List.of(ProcId.HCE, ProcId.PFE)) {
            EngineProcess e = running.get(p);
            if (e != null) {
                loop.schedule(() -> checksLate(e, gen), CHECKS_LATE_MS, TimeUnit.MILLISECONDS);
            }
        }
    }

    /**
     * hce or pfe, which the checks' verdicts pass through, has not taken configuration
     * {@code gen} {@link #CHECKS_LATE_MS} after it was sent: a stopped engine (SIGSTOP, a
     * debugger) is killed only after {@link #HUNG_NANOS}, and the relay engine served a
     * reload's new table unchecked at its 3 s mark meanwhile (26,148 answers of 503 in 6 s
     * while the old table was healthy, probe W). The relay engine is told as of a restart, and
     * waits as long for the verdicts.
     */
    private void checksLate(EngineProcess e, int gen) {
        if (!stopping && running.get(e.spec.proc) == e && e.configuring == gen) {
            log.info("{} has not taken configuration {} after {} ms", e.spec.title, gen, CHECKS_LATE_MS);
            checksRestarting(e.spec.proc);
        }
    }

    /** The check scripts hce may have the parent run ({@link ScriptChecks#trusted}). */
    ScriptChecks scripts() {
        return scripts;
    }

    /** The engine's channel, or null while it is down. */
    ImsgChannel channel(ProcId p) {
        EngineProcess e = running.get(p);
        return e == null ? null : e.channel;
    }

    Map<ProcId, Integer> pids() {
        Map<ProcId, Integer> m = new EnumMap<>(ProcId.class);
        running.forEach((p, e) -> m.put(p, e.pid()));
        return m;
    }

    void broadcast(MessageType type, Object payload) {
        for (EngineProcess e : running.values()) {
            e.channel.send(type, payload);
        }
    }

    private void start(ProcId p) throws IOException {
        EngineSpec spec = EngineSpec.of(p);
        EngineSettings settings = p == ProcId.PFE ? pfe : unprivileged;
        EngineProcess[] self = new EngineProcess[1];
        EngineProcess e = EngineProcess.start(spec, settings, loop, new ImsgHandler() {
            @Override
            public Result dispatch(ImsgChannel from, Imsg m) {
                return onMessage(p, m);
            }

            @Override
            public void closed(ImsgChannel from) {
                if (self[0] != null) {
                    died(self[0]);
                }
            }
        });
        self[0] = e;
        running.put(p, e);
        log.info("started {} (pid {})", spec.title, e.pid());
        sendConfig(e);
        if (p == ProcId.PFE) {
            // A pfe that died in the middle of a set left pieces of it: its successor's start afresh.
            pfeDisabledPieces = new DisabledSetPieces.Joiner();
            if (pfeDisabled != null) {
                DisabledSetPieces.of(pfeDisabled).forEach(e.channel::send);
            }
        }
        wirePeers(p);
        if (!e.channel.isOpen()) {
            died(e);
        }
    }

    private ImsgHandler.Result onMessage(ProcId from, Imsg m) {
        switch (m.type()) {
            case PONG -> {
                EngineProcess e = running.get(from);
                if (e != null) {
                    e.pingSentNanos = 0;
                    e.answeredPing = true;
                }
            }
            case ENGINE_READY -> {
                int gen = m.payload(Generation.class).generation();
                configured(from, gen);
                EngineProcess e = running.get(from);
                if (e != null && e.servingSinceNanos == 0) {
                    e.servingSinceNanos = System.nanoTime();
                }
                listener.engineReady(from, gen);
            }
            case ENGINE_ERROR -> {
                EngineError e = m.payload(EngineError.class);
                configured(from, e.generation());
                listener.engineError(from, e.generation(), e.reason());
            }
            case LISTENER_REQUEST -> passListenerAgain(m.payload(ObjId.class));
            case SYSLOG_REQUEST -> passSyslog(from);
            case RELAY_DRAINED -> drained();
            default -> {
                return listener.engineMessage(from, m);
            }
        }
        return ImsgHandler.Result.HANDLED;
    }

    private void configured(ProcId engine, int gen) {
        EngineProcess e = running.get(engine);
        if (e != null && gen >= e.configuring) {
            e.configuring = 0;
        }
    }

    /** Sends the configuration stream, then (to the relay) its listening sockets. */
    private void sendConfig(EngineProcess e) {
        e.configuring = generation;
        ImsgChannel ch = e.channel;
        ch.send(MessageType.RECONF_BEGIN, new Generation(generation));
        config.names().forEach((name, addrs) -> ch.send(MessageType.RECONF_NAME,
                new ResolvedName(generation, name, addrs.size() > ResolvedName.MAX_ADDRESSES
                        ? addrs.subList(0, ResolvedName.MAX_ADDRESSES) : addrs)));
        for (String piece : ConfChunk.pieces(config.text())) {
            ch.send(MessageType.RECONF_CONF, new ConfChunk(generation, piece));
        }
        if (e.spec.proc == ProcId.RELAY) {
            keyPairs.values().forEach(k -> ch.send(MessageType.RECONF_KEYPAIR, k));
        }
        ch.send(MessageType.RECONF_END, new Generation(generation));
        if (e.spec.proc == ProcId.RELAY) {
            for (RelayConfig r : config.config().relays()) {
                try {
                    e.passFd(FdTag.listener(r.id(), generation), listeners.fd(config.config(), r));
                } catch (FdSender.NotReading ex) {
                    kill(e, "does not read its descriptors: " + ex.getMessage());
                    return;
                } catch (IOException ex) {
                    log.error("cannot pass the listening socket of relay {}: {}", r.name(), ex.getMessage());
                }
            }
        }
    }

    /**
     * The relay engine lost a listening socket the parent passed (it had no descriptor free
     * when it came) and asks for it again: passed again while its generation is the current
     * one; a reload since has passed the new generation's.
     */
    private void passListenerAgain(ObjId want) {
        EngineProcess e = running.get(ProcId.RELAY);
        if (e == null) {
            return;
        }
        if (want.generation() != generation) {
            log.debug("relay engine asked for the listening socket of relay id {} of configuration {}: "
                    + "configuration {} replaced it", want.id(), want.generation(), generation);
            return;
        }
        if (e.fdsWaiting()) {
            // It does not read what it has been passed: asking cannot be answered sooner, and
            // a relay engine that asks without reading would pile up descriptors here.
            log.debug("relay engine asked for the listening socket of relay id {} while descriptors passed wait unread",
                    want.id());
            return;
        }
        Optional<RelayConfig> r = config.config().relay(want.id());
        if (r.isEmpty()) {
            log.warn("relay engine asked for the listening socket of relay id {}, which configuration {} does not have",
                    want.id(), generation);
            return;
        }
        log.info("passing the listening socket of relay {} again: the relay engine lost it", r.get().name());
        try {
            e.passFd(FdTag.listener(want.id(), generation), listeners.fd(config.config(), r.get()));
        } catch (IOException ex) {
            log.error("cannot pass the listening socket of relay {}: {}", r.get().name(), ex.getMessage());
        }
    }

    /**
     * Passes {@code to} a socket connected to the syslog daemon, which it lost (the daemon
     * restarted) and cannot reach from its chroot. Nothing when none listens: the engine asks
     * again while it has something to log.
     */
    private void passSyslog(ProcId to) {
        EngineProcess e = running.get(to);
        long now = System.nanoTime();
        Long last = syslogPassed.get(to);
        if (e == null || last != null && now - last < TimeUnit.SECONDS.toNanos(1)) {
            return;
        }
        syslogPassed.put(to, now);
        if (e.fdsWaiting()) {
            return;
        }
        try (UnixDatagramSocket s = UnixDatagramSocket.connect(LogConfig.DEV_LOG)) {
            e.passFd(FdTag.syslog(), s.fd());
            log.debug("passed the {} a new syslog socket", to.title());
        } catch (IOException | RuntimeException ex) {
            log.debug("cannot pass the {} a syslog socket: {}", to.title(), ex.getMessage());
        }
    }

    /** Gives a (re)started engine fresh channels to its peers: pfe talks to hce and relay. */
    private void wirePeers(ProcId p) {
        if (p == ProcId.PFE) {
            connect(ProcId.HCE);
            connect(ProcId.RELAY);
        } else {
            connect(p);
        }
    }

    private void connect(ProcId other) {
        EngineProcess pfe = running.get(ProcId.PFE);
        EngineProcess e = running.get(other);
        if (pfe == null || e == null) {
            return;
        }
        int[] pair;
        try {
            pair = SocketPair.open();
        } catch (IOException ex) {
            log.error("cannot create channel pfe-{}: {}", other.title(), ex.getMessage());
            return;
        }
        try {
            pfe.passFd(FdTag.peer(other, generation), pair[0]);
            e.passFd(FdTag.peer(ProcId.PFE, generation), pair[1]);
        } catch (IOException ex) {
            log.error("cannot pass channel pfe-{}: {}", other.title(), ex.getMessage());
        } finally {
            closeQuietly(pair[0]);
            closeQuietly(pair[1]);
        }
    }

    private void died(EngineProcess e) {
        if (running.get(e.spec.proc) != e) {
            return;
        }
        running.remove(e.spec.proc);
        e.closeChannels();
        if (stopping) {
            if (e.spec.proc == ProcId.RELAY) {
                if (drained != null) {
                    // Gone before it said its sessions were over: killed or crashed during the
                    // drain, which went unlogged (probe F of session 56).
                    log.warn("lost child: {} during the stop's drain; the sessions still open were reset",
                            e.spec.title);
                }
                drained();
            }
            return;
        }
        listener.engineLost(e.spec.proc);
        // The channel closes a moment before the kernel reports the exit; give it that moment.
        loop.schedule(() -> reapAndRestart(e), 50, TimeUnit.MILLISECONDS);
    }

    private void reapAndRestart(EngineProcess e) {
        reapAndRestart(e, 0);
    }

    /**
     * Reaps {@code e}, killed if it has not exited, looking again every 50 ms for up to 2 s:
     * not waiting on the loop, which held the control socket and the watchdog meanwhile (a
     * process in uninterruptible sleep takes its time to die; review S).
     */
    private void reapAndRestart(EngineProcess e, int looks) {
        Optional<ExitStatus> st = e.tryReap();
        if (st.isEmpty() && looks == 0) {
            try {
                e.process.kill(SpawnedProcess.SIGKILL);
            } catch (IOException ex) {
                log.warn("cannot stop {}: {}", e.spec.title, ex.getMessage());
            }
        }
        if (st.isEmpty() && looks < REAP_LOOKS) {
            loop.schedule(() -> reapAndRestart(e, looks + 1), 50, TimeUnit.MILLISECONDS);
            return;
        }
        log.warn("lost child: {} {}", e.spec.title, st.map(ExitStatus::toString).orElse("did not exit"));
        boolean served = e.servingSinceNanos != 0 && System.nanoTime() - e.servingSinceNanos > STABLE_NANOS;
        int n = served ? 0 : failures.getOrDefault(e.spec.proc, 0);
        failures.put(e.spec.proc, n + 1);
        long delay = Math.min(MAX_BACKOFF_MS, MIN_BACKOFF_MS << Math.min(n, 10));
        log.info("restarting {} in {} ms", e.spec.title, delay);
        loop.schedule(() -> restart(e.spec.proc), delay, TimeUnit.MILLISECONDS);
        checksRestarting(e.spec.proc);
    }

    /**
     * Tells the relay engine that hce or pfe (the verdicts come through pfe) is lost, late or
     * its successor started (CHECKS_RESTARTING), so that listeners waiting for a new table's
     * first verdicts wait for them rather than serve the table unchecked.
     */
    private void checksRestarting(ProcId p) {
        EngineProcess relay = running.get(ProcId.RELAY);
        if ((p == ProcId.HCE || p == ProcId.PFE) && relay != null) {
            relay.channel.send(MessageType.CHECKS_RESTARTING, Empty.INSTANCE);
        }
    }

    private void restart(ProcId p) {
        if (stopping || running.containsKey(p)) {
            return;
        }
        try {
            start(p);
            listener.engineRestarted(p);
            checksRestarting(p);
        } catch (IOException ex) {
            log.error("{}", ex.getMessage());
            int n = failures.getOrDefault(p, 0);
            failures.put(p, n + 1);
            loop.schedule(() -> restart(p), Math.min(MAX_BACKOFF_MS, MIN_BACKOFF_MS << Math.min(n, 10)),
                    TimeUnit.MILLISECONDS);
        }
    }

    /**
     * The first step of an orderly stop: the relay engine stops accepting and its sessions run
     * out (RELAY_DRAIN). {@code then} runs once, on this loop, when it says none is left, when
     * it is gone, or after {@code grace}, whichever comes first; meanwhile no engine is
     * restarted and the watchdog rests (the grace bounds a hung engine).
     */
    void drain(Duration grace, Runnable then) {
        stopping = true;
        drained = then;
        EngineProcess relay = running.get(ProcId.RELAY);
        if (relay == null || !relay.channel.isOpen()) {
            drained();
            return;
        }
        relay.channel.send(MessageType.RELAY_DRAIN, Empty.INSTANCE);
        loop.schedule(() -> {
            if (drained != null) {
                log.info("relay sessions still open after {} s are ended", grace.toSeconds());
                drained();
            }
        }, grace.toMillis(), TimeUnit.MILLISECONDS);
    }

    private void drained() {
        Runnable then = drained;
        drained = null;
        if (then != null) {
            then.run();
        }
    }

    /** Closes every channel, waits briefly for the engines to exit, then kills the rest. */
    void stopAll(Duration grace) {
        stopping = true;
        // Copy first: closing a channel calls back into died(), which edits the map.
        List<EngineProcess> all = new java.util.ArrayList<>(running.values());
        running.clear();
        for (EngineProcess e : all) {
            e.closeChannels();
        }
        long deadline = System.nanoTime() + grace.toNanos();
        for (EngineProcess e : all) {
            try {
                long left = Math.max(0, deadline - System.nanoTime());
                if (e.process.waitFor(Duration.ofNanos(left)).isEmpty()) {
                    log.warn("{} did not exit; killing it", e.spec.title);
                    e.process.kill(SpawnedProcess.SIGKILL);
                    e.process.waitFor(Duration.ofSeconds(2));
                }
            } catch (IOException | InterruptedException ex) {
                log.warn("stopping {}: {}", e.spec.title, ex.getMessage());
            }
        }
        // Their last lines before the parent's own: the output of an engine that has exited
        // ends at once, so this waits only for the copy of what it wrote.
        long outputDeadline = System.nanoTime() + OUTPUT_WAIT.toNanos();
        try {
            for (EngineProcess e : all) {
                e.output.awaitEnd(Duration.ofNanos(Math.max(0, outputDeadline - System.nanoTime())));
            }
        } catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
        }
    }

    private static void closeQuietly(int fd) {
        try {
            SocketPair.close(fd);
        } catch (IOException e) {
            // The descriptor is gone either way.
        }
    }
}
