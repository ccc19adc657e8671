package org.hoststated.parent;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import org.hoststated.core.imsg.ImsgChannel;
import org.hoststated.core.imsg.ImsgHandler.Result;
import org.hoststated.core.log.LogConfig;
import org.hoststated.core.msg.CtlRelay;
import org.hoststated.core.msg.Demote;
import org.hoststated.core.msg.Empty;
import org.hoststated.core.msg.Flag;
import org.hoststated.core.msg.HostStatus;
import org.hoststated.core.msg.Imsg;
import org.hoststated.core.msg.MessageType;
import org.hoststated.core.msg.ObjId;
import org.hoststated.core.msg.Messages;
import org.hoststated.core.msg.ProcId;
import org.hoststated.core.msg.ScriptRequest;
import org.hoststated.core.msg.ScriptResult;
import org.hoststated.core.msg.Text;
import org.hoststated.core.msg.TlsKeyPair;
import org.hoststated.core.posix.SignalHandlers;
import org.hoststated.core.posix.SystemError;
import org.hoststated.core.proc.EngineSettings;
import org.hoststated.core.proc.EpollLoops;
import org.hoststated.core.proc.LoopStallWatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The privileged parent process: holds the configuration, supervises the engines, serves the
 * control socket, keeps the relays' listening sockets, runs check scripts, and reloads.
 * Everything runs on one event loop; signal handlers post to it.
 */
final class Parent implements Supervisor.Listener, ControlServer.Requests {
    private static final Logger log = LoggerFactory.getLogger(Parent.class);
    private static final Set<MessageType> REPLIES = EnumSet.of(MessageType.CTL_OK, MessageType.CTL_FAIL,
            MessageType.CTL_WARNING, MessageType.CTL_END, MessageType.CTL_SERVICE, MessageType.CTL_TABLE, MessageType.CTL_HOST,
            MessageType.CTL_RELAY, MessageType.CTL_STATISTICS);
    private static final Set<MessageType> FORWARDED = EnumSet.of(MessageType.CTL_SHOW_SUM,
            MessageType.CTL_SERVICE_ENABLE, MessageType.CTL_SERVICE_DISABLE, MessageType.CTL_TABLE_ENABLE,
            MessageType.CTL_TABLE_DISABLE, MessageType.CTL_HOST_ENABLE, MessageType.CTL_HOST_DISABLE,
            MessageType.CTL_POLL);
    /** The requests that change state: they wait for a pending reload ({@link Reloader#whenSettled}). */
    private static final Set<MessageType> CHANGES = EnumSet.of(MessageType.CTL_SERVICE_ENABLE,
            MessageType.CTL_SERVICE_DISABLE, MessageType.CTL_TABLE_ENABLE, MessageType.CTL_TABLE_DISABLE,
            MessageType.CTL_HOST_ENABLE, MessageType.CTL_HOST_DISABLE);
    /** The parent's own requests that change what the daemon does, whose client is named in the log. */
    private static final Set<MessageType> ASKS_FOR_CHANGE = EnumSet.of(MessageType.CTL_RELOAD,
            MessageType.CTL_SHUTDOWN, MessageType.CTL_LOG_VERBOSE);
    /** pfe's notices of what the operator enabled or disabled (for the monitors). */
    private static final Set<MessageType> OPERATOR_NOTICES = EnumSet.of(MessageType.SERVICE_ENABLE,
            MessageType.SERVICE_DISABLE, MessageType.TABLE_ENABLE, MessageType.TABLE_DISABLE,
            MessageType.HOST_ENABLE, MessageType.HOST_DISABLE);
    /** The relay engine's replies to {@code show sessions} (sessions live there). */
    private static final Set<MessageType> RELAY_REPLIES = EnumSet.of(MessageType.CTL_SESSION, MessageType.CTL_END);
    /** The replies after which an engine has finished answering a request. */
    private static final Set<MessageType> ANSWER_ENDS = EnumSet.of(MessageType.CTL_OK, MessageType.CTL_FAIL,
            MessageType.CTL_END);

    /** How long the relay sessions under way at a stop may take to finish ({@link #stop}). */
    static final Duration DRAIN_GRACE = Duration.ofSeconds(10);

    private final ConfigSource source;
    private final MonitorHostStates monitorHostStates = new MonitorHostStates();
    private final boolean foreground;
    private final EventLoopGroup group;
    private final EventLoop loop;
    private final ListenerSockets listeners = new ListenerSockets();
    private final CountDownLatch stopped = new CountDownLatch(1);
    private final long startNanos = System.nanoTime();
    private Supervisor supervisor;
    private ControlServer control;
    private ScriptRunner scripts;
    private final Demoter demoter = new Demoter();
    private final L3Lock l3Lock = new L3Lock();
    private final ServiceNotifier service = ServiceNotifier.fromEnvironment(System.getenv());
    private Reloader reloader;
    /** Reads the file for a reload, off the loop (DNS may take minutes); a daemon thread, not waited for. */
    private final ExecutorService configReader = Executors.newSingleThreadExecutor(
            new DefaultThreadFactory("config-reader", true));
    private boolean ready;
    private boolean stopping;
    /** An orderly stop has begun: the relay sessions are finishing ({@link #stop}). */
    private boolean draining;
    /**
     * Why the relays are down, for their rows: the relay engine died and its successor has not
     * answered its configuration yet (the new process already has a channel, a JVM starting
     * that serves nothing for a second or so), or it refused the configuration and runs none.
     */
    private CtlRelay.Down relayDown = CtlRelay.Down.NO;
    /** The relay engine's process has confirmed a configuration since it started. */
    private boolean relayRuns;
    /** Control clients waiting for pfe's answer, by client number. */
    private final Map<Integer, ProcId> awaiting = new HashMap<>();
    private final SessionListings sessions = new SessionListings();
    /** pfe's summary answers, each paced by its own client's reading. */
    private AnswerPacing pacing;

    Parent(ConfigSource source, boolean foreground) {
        this.source = source;
        this.foreground = foreground;
        this.group = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("parent-loop"),
                EpollLoops.newFactory());
        this.loop = group.next();
    }

    /** Starts everything with a configuration the caller loaded and checked. */
    void start(ConfigSource.Loaded first) throws IOException {
        LoopStallWatch.watch("event loop", loop);
        // Before the engines start, which takes seconds: a HUP meanwhile waits for the start.
        SignalHandlers.on("HUP", loop, this::hup);
        SignalHandlers.ignore("PIPE");
        // As relayd: its default action ended the daemon without a word (log rotation scripts
        // send it to daemons to reopen their logs).
        SignalHandlers.on("USR1", loop, () -> log.info("SIGUSR1 ignored"));
        try {
            io.netty.channel.ChannelFuture bound = loop.submit(() -> startOnLoop(first)).get();
            bound.await();
            if (!bound.isSuccess()) {
                throw new IOException("cannot open control socket " + first.config().globals().socket() + ": "
                        + SystemError.text(bound.cause()));
            }
            control.restrict();
        } catch (java.util.concurrent.ExecutionException e) {
            Throwable c = e.getCause();
            throw c instanceof IOException io ? io : new IOException(String.valueOf(c.getMessage()), c);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted");
        }
        SignalHandlers.on("TERM", loop, this::stop);
        SignalHandlers.on("INT", loop, this::stop);
        if (StartSignals.stopCame()) {
            loop.execute(() -> {
                log.info("stop requested while starting");
                stop();
            });
        }
    }

    /** SIGHUP: a reload, or one once every engine has its first configuration. */
    private void hup() {
        if (ready) {
            reload(null);
        } else if (StartSignals.noteHup()) {
            log.info("SIGHUP while starting: the configuration is read again once the engines run it");
        }
    }

    private io.netty.channel.ChannelFuture startOnLoop(ConfigSource.Loaded first) throws IOException {
        l3Lock.claim(first.config());
        StaleL3Table.lookFor(first.config());
        // Before the relays' ports: a daemon already running holds those too, and "cannot
        // listen on ...: Address already in use" sent the operator after another program.
        ControlSocketPath.clear(Path.of(first.config().globals().socket()));
        Map<Integer, TlsKeyPair> keys = KeyPairs.read(first.config(), 1);
        listeners.bindAll(first.config());
        var g = first.config().globals();
        demoter.configure(g.demote());
        boolean verbose = LogConfig.isVerbose();
        scripts = new ScriptRunner(g.user());
        if (CheckScripts.used(first.config())) {
            scripts.prepare();
        }
        EngineSettings root = new EngineSettings(null, null, foreground, verbose, false);
        EngineSettings unprivileged = new EngineSettings(g.user(), g.chroot(), foreground, verbose, false);
        pacing = new AnswerPacing(loop, this::toPfe);
        control = new ControlServer(loop, Path.of(g.socket()), this);
        io.netty.channel.ChannelFuture bound = control.open();
        supervisor = new Supervisor(loop, PfePrivileges.settings(g, root, unprivileged), unprivileged,
                listeners, this);
        supervisor.startAll(first, keys, 1);
        monitorHostStates.configured(first.config());
        reloader = new Reloader(source, listeners, l3Lock, loop, supervisor, c -> {
            monitorHostStates.configured(c.config());
            demoter.configure(c.config().globals().demote());
            l3Lock.keep(c.config());
        }, Reloader.TIMEOUT_MS, configReader, loop);
        reloader.started(first, keys);
        service.startWatchdog(loop, System.getenv());
        log.info("started hoststated {}; configuration 1 from {}", org.hoststated.core.BuildVersion.of(), source.file());
        return bound;
    }

    /** Blocks until the daemon has stopped. */
    void awaitStop() throws InterruptedException {
        stopped.await();
    }

    // ---- control socket ----

    @Override
    public void request(ControlClient c, Imsg m) {
        if (CHANGES.contains(m.type()) || ASKS_FOR_CHANGE.contains(m.type())) {
            c.introduce();
        }
        if (CHANGES.contains(m.type())) {
            reloader.whenSettled(() -> {
                if (control.client(c.id) == c) {
                    forward(c, m, ProcId.PFE);
                }
            });
            return;
        }
        if (FORWARDED.contains(m.type())) {
            forward(c, m, ProcId.PFE);
            return;
        }
        switch (m.type()) {
            case CTL_SHOW_SESSIONS -> showSessions(c);
            case CTL_NOTIFY -> c.monitor = true;
            case CTL_RELOAD -> reload(c);
            case CTL_LOG_VERBOSE -> {
                boolean on = m.payload(Flag.class).on();
                LogConfig.setVerbose(on);
                supervisor.broadcast(MessageType.LOG_VERBOSE, new Flag(on));
                log.info("log level {}, asked for by control client {}", on ? "verbose" : "brief", c.id);
                c.send(reply(MessageType.CTL_OK, Empty.INSTANCE));
            }
            case CTL_SHUTDOWN -> {
                // The stop begins before the answer (the relays are told to stop accepting), so
                // that no connection made after "command succeeded" is served; it was a session
                // of the old daemon up to 50 ms later (probe S). The control socket, which the
                // stop closes, stays until the answer has left.
                log.info("stop requested by control client {}", c.id);
                stop(false);
                c.send(reply(MessageType.CTL_OK, Empty.INSTANCE));
                loop.schedule(this::closeControl, 50, TimeUnit.MILLISECONDS);
            }
            default -> {
                log.warn("control client {}: unexpected {}", c.id, m.type().logName());
                c.close();
            }
        }
    }

    /**
     * Passes a request to the engine that answers it, with the client's number as the peer
     * id. A client has one request at a time under way ({@link ControlClient}), so an answer
     * always belongs to the request it follows.
     */
    private void forward(ControlClient c, Imsg m, ProcId engine) {
        ImsgChannel ch = supervisor.channel(engine);
        if (ch == null) {
            c.send(reply(MessageType.CTL_FAIL, new Text(engineName(engine) + " is restarting; try again")));
            return;
        }
        awaiting.put(c.id, engine);
        ch.send(new Imsg(m.type(), c.id, m.pid(), m.payload()));
        if (m.type() == MessageType.CTL_SHOW_SUM) {
            pacing.begin(c);
        }
    }

    private void toPfe(Imsg m) {
        ImsgChannel pfe = supervisor.channel(ProcId.PFE);
        if (pfe != null) {
            pfe.send(m);
        }
    }

    private void showSessions(ControlClient c) {
        ImsgChannel relay = supervisor.channel(ProcId.RELAY);
        if (relay == null) {
            c.send(reply(MessageType.CTL_FAIL, new Text(engineName(ProcId.RELAY) + " is restarting; try again")));
            return;
        }
        sessions.ask(c, relay);
    }

    /** Routes an engine's answer to the client that asked; the last one frees the client. */
    private void answer(ProcId from, Imsg m) {
        if (awaiting.get(m.peerId()) != from) {
            // Logged once, at the last answer: a listing of thousands of sessions is one answer each.
            if (ANSWER_ENDS.contains(m.type())) {
                log.debug("{} from {} for control client {}, which is gone", m.type().logName(), from.title(),
                        m.peerId());
            }
            return;
        }
        if (ANSWER_ENDS.contains(m.type())) {
            awaiting.remove(m.peerId());
        }
        ControlClient c = control.client(m.peerId());
        if (c != null) {
            pacing.forward(c, new Imsg(m.type(), 0, m.pid(), m.payload()));
        }
    }

    /** "relay engine", as an operator reads it in {@code ps}. */
    private static String engineName(ProcId engine) {
        return EngineSpec.of(engine).title.substring("hoststated: ".length());
    }

    @Override
    public void clientClosed(ControlClient c) {
        awaiting.remove(c.id);
        pacing.forget(c);
        sessions.forget(c);
    }

    @Override
    public void engineRestarted(ProcId engine) {
        reloader.engineRestarted(engine);
    }

    @Override
    public void engineLost(ProcId engine) {
        if (engine == ProcId.RELAY) {
            relayDown = CtlRelay.Down.RESTARTING;
            relayRuns = false;
            sessions.engineLost(engineName(engine) + " stopped before it answered; try again");
        }
        if (engine == ProcId.PFE) {
            pacing.engineLost();
        }
        for (var it = awaiting.entrySet().iterator(); it.hasNext(); ) {
            var e = it.next();
            if (e.getValue() == engine) {
                it.remove();
                ControlClient c = control.client(e.getKey());
                if (c != null) {
                    c.send(reply(MessageType.CTL_FAIL,
                            new Text(engineName(engine) + " stopped before it answered; try again")));
                }
            }
        }
    }

    private static Imsg reply(MessageType type, Object payload) {
        return Imsg.of(type, payload);
    }

    // ---- engines ----

    @Override
    public Result engineMessage(ProcId from, Imsg m) {
        if (from == ProcId.RELAY && RELAY_REPLIES.contains(m.type())) {
            sessions.answer(m, supervisor.channel(ProcId.RELAY));
            return Result.HANDLED;
        }
        if (from == ProcId.PFE) {
            if (REPLIES.contains(m.type())) {
                answer(from, relayEngineDown(m));
                return Result.HANDLED;
            }
            if (m.type() == MessageType.DEMOTE) {
                demoter.demote(m.payload(Demote.class));
                return Result.HANDLED;
            }
            if (m.type() == MessageType.DISABLED_SET || m.type() == MessageType.DISABLED_SET_PART) {
                supervisor.keepForPfe(m);
                return Result.HANDLED;
            }
            if (m.type().allowed(ProcId.PARENT, ProcId.CONTROL)) {
                if (OPERATOR_NOTICES.contains(m.type())) {
                    monitorHostStates.operatorChanged(m.type(), m.payload(ObjId.class));
                }
                if (m.type() != MessageType.HOST_STATUS || monitorHostStates.isNews(m.payload(HostStatus.class))) {
                    toMonitors(m);
                }
                return Result.HANDLED;
            }
        }
        if (from == ProcId.HCE && m.type() == MessageType.SCRIPT) {
            ScriptRequest asked = m.payload(ScriptRequest.class);
            // What runs is the configuration's, never the message's path and argument.
            ScriptRequest req = supervisor.scripts().trusted(asked);
            if (req == null) {
                toHce(new ScriptResult(asked.generation(), asked.hostId(), -1, false));
            } else {
                // The result comes on a script pool thread; the supervisor's state is the loop's.
                scripts.run(req, r -> {
                    try {
                        loop.execute(() -> toHce(r));
                    } catch (RejectedExecutionException e) {
                        // The daemon stops: hce is gone too (probe M of session 58: a stack trace).
                    }
                });
            }
            return Result.HANDLED;
        }
        return Result.NOT_HANDLED;
    }

    private void toHce(ScriptResult r) {
        ImsgChannel hce = supervisor.channel(ProcId.HCE);
        if (hce != null) {
            hce.send(MessageType.SCRIPT_RESULT, r);
        }
    }

    /**
     * Passes an event to every monitor, encoded once into a direct buffer they share: a copy
     * for each of 250 monitors that did not read filled the parent's direct memory.
     */
    private void toMonitors(Imsg m) {
        ByteBuf frame = null;
        for (ControlClient c : control.clients()) {
            if (c.monitor) {
                if (frame == null) {
                    frame = Unpooled.directBuffer(Messages.HEADER + 64);
                    Messages.encode(m, frame);
                }
                c.sendEvent(frame.retainedDuplicate());
            }
        }
        if (frame != null) {
            frame.release();
        }
    }

    /**
     * A relay row says so while the relay engine is down: pfe cannot know it. Down lasts from
     * the engine's death until its successor runs the configuration; only a channel to a new
     * process said "active" half a second after the kill, while that JVM was still starting.
     */
    private Imsg relayEngineDown(Imsg m) {
        if (m.type() != MessageType.CTL_RELAY) {
            return m;
        }
        CtlRelay.Down why = supervisor.channel(ProcId.RELAY) == null ? CtlRelay.Down.RESTARTING : relayDown;
        return why == CtlRelay.Down.NO ? m : new Imsg(m.type(), m.peerId(), m.pid(), m.payload(CtlRelay.class).withDown(why));
    }

    @Override
    public void engineReady(ProcId engine, int gen) {
        log.debug("{} runs configuration {}", engine.title(), gen);
        if (engine == ProcId.RELAY) {
            relayDown = CtlRelay.Down.NO;
            relayRuns = true;
        }
        if (engine == ProcId.PFE) {
            demoter.pfeReady(supervisor.pids().getOrDefault(ProcId.PFE, 0));
        }
        reloader.engineReady(engine, gen);
        answeredFirst(engine, gen);
    }

    private final Set<ProcId> readyCount = EnumSet.noneOf(ProcId.class);

    /**
     * Once every engine has answered configuration 1 the daemon is ready (an engine that
     * refused it has logged why, and the others serve): the service manager is told so.
     */
    private void answeredFirst(ProcId engine, int gen) {
        // Not once stopping: the service manager heard STOPPING=1, and READY=1 after it told a
        // unit ordered after hoststated that a stopping daemon was ready (probe F of session 56).
        if (!ready && !draining && !stopping && gen == 1 && supervisor.pids().size() == 3) {
            readyCount.add(engine);
            if (readyCount.size() == 3) {
                ready = true;
                long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos);
                log.info("ready in {} ms", ms);
                service.ready("ready in " + ms + " ms; configuration 1 from " + source.file());
                if (StartSignals.hupCame()) {
                    reload(null);
                }
            }
        }
    }

    @Override
    public void engineError(ProcId engine, int gen, String why) {
        log.error("{} refused configuration {}: {}", engine.title(), gen, why);
        if (engine == ProcId.RELAY) {
            relayRefused();
        }
        reloader.engineError(engine, gen, why);
        answeredFirst(engine, gen);
    }

    /**
     * The relay engine refused a configuration. When it runs an earlier one, that serves on;
     * when it runs none, no relay is served, and a listening socket left listening would take
     * connections into its queue for nobody: clients waited out their own timeouts. Paused,
     * the sockets refuse them at once (and reset those queued), keeping their addresses for the
     * next configuration, passed to the engine at its restart or a reload.
     */
    private void relayRefused() {
        if (relayRuns) {
            relayDown = CtlRelay.Down.NO;
            return;
        }
        relayDown = CtlRelay.Down.REFUSED;
        if (listeners.pause() > 0) {
            log.warn("the relay engine runs no configuration: the relays' listening sockets refuse connections until"
                    + " it takes one (hoststatectl reload once the cause is mended)");
        }
    }

    // ---- reload ----

    void reload(ControlClient requester) {
        if (!stopping && !draining) {
            reloader.reload(requester);
        }
    }

    // ---- shutdown ----

    /**
     * An orderly stop (SIGTERM, SIGINT, {@code hoststatectl stop}): nothing new is taken (the
     * control socket and the relays' listening sockets close), the relay sessions under way
     * finish for up to {@link #DRAIN_GRACE} while the checks and layer-3 rules stay, then
     * {@link #shutdown}. The same request again while the sessions finish ends them at once.
     */
    void stop() {
        stop(true);
    }

    /** {@link #stop}; {@code closeControl} false leaves the control socket to the caller. */
    private void stop(boolean closeControl) {
        if (stopping) {
            return;
        }
        if (draining) {
            log.info("stop requested again: ending the open relay sessions now");
            shutdown();
            return;
        }
        draining = true;
        log.info("terminating; open relay sessions finish for up to {} s", DRAIN_GRACE.toSeconds());
        service.stopping();
        stopTakingWork(closeControl);
        listeners.closeAll();
        supervisor.drain(DRAIN_GRACE, this::shutdown);
    }

    /** Stops at once: the engines are told to exit, and the relay sessions still open end. */
    void shutdown() {
        if (stopping) {
            return;
        }
        stopping = true;
        if (!draining) {
            log.info("terminating");
            service.stopping();
        }
        stopTakingWork(true);
        // The loop waits below for the engines to exit (5 s for one that does not): no stall.
        LoopStallWatch.ending(group);
        if (supervisor != null) {
            supervisor.stopAll(Duration.ofSeconds(5));
        }
        listeners.closeAll();
        demoter.resetAll();
        if (scripts != null) {
            scripts.close();
        }
        // The last line of a stop, after the engines' own (probe BA: the log ended with theirs,
        // which read as a lost parent).
        log.info("stopped");
        LoopStallWatch.shutdown(group, 0, 1, TimeUnit.SECONDS);
        stopped.countDown();
    }

    private void stopTakingWork(boolean closeControl) {
        if (reloader != null) {
            reloader.stop();
        }
        configReader.shutdownNow();
        if (closeControl) {
            closeControl();
        }
    }

    private void closeControl() {
        if (control != null) {
            control.close();
        }
    }
}
