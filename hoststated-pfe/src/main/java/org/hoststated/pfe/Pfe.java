package org.hoststated.pfe;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.hoststated.core.config.Config;
import org.hoststated.core.config.Globals;
import org.hoststated.core.imsg.ImsgHandler.Result;
import org.hoststated.core.msg.AnswerCredit;
import org.hoststated.core.msg.ConfChunk;
import org.hoststated.core.msg.CtlId;
import org.hoststated.core.msg.Demote;
import org.hoststated.core.msg.DisabledSetPieces;
import org.hoststated.core.msg.Empty;
import org.hoststated.core.msg.Generation;
import org.hoststated.core.msg.HostState;
import org.hoststated.core.msg.MalformedMessageException;
import org.hoststated.core.msg.HostStatus;
import org.hoststated.core.msg.Imsg;
import org.hoststated.core.msg.MessageType;
import org.hoststated.core.msg.ObjId;
import org.hoststated.core.msg.ProcId;
import org.hoststated.core.msg.RelayStatistics;
import org.hoststated.core.msg.SummaryRequest;
import org.hoststated.core.msg.Text;
import org.hoststated.core.proc.Engine;
import org.hoststated.core.proc.ReceivedConfig;
import org.hoststated.pfe.backend.L3Backend;
import org.hoststated.pfe.backend.L3Backends;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The pf engine: owns the truth about services, tables and hosts, answers the control
 * socket's show, enable and disable requests (forwarded by the parent), passes state changes
 * to the relay engine and to monitor clients, and keeps the kernel's layer-3 rules equal to
 * the state. Runs as root (it changes kernel NAT rules), on one event loop.
 */
public final class Pfe extends Engine {
    private static final Logger log = LoggerFactory.getLogger(Pfe.class);
    /** Bursts of changes within this window become one kernel transaction. */
    private static final long L3_COALESCE_MS = 20;
    /**
     * After this, pfe writes rules without every host's verdict when hce cannot check, unless
     * the kernel has rules of a previous run ({@link L3Hold}).
     */
    private static final long L3_HOLD_MAX_MS = 30_000;
    /** How long {@code show} requests wait for hce's host states after pfe started, at most. */
    private static final long HCE_STATES_WAIT_MS = 3_000;

    private final DemoteTracker demotes = new DemoteTracker();
    /** What monitor clients are told of the services' rules. */
    private final RulesetEvents rulesetEvents = new RulesetEvents();
    /** Flows to cut at the next kernel sync ({@code kill states}). */
    private final List<L3Backend.StateKill> pendingKills = new ArrayList<>();
    private final EarlyStatistics earlyStatistics = new EarlyStatistics();
    private PfeState state;
    private L3Backend backend;
    private boolean l3Pending;
    /** When the first change of the pending burst happened (nanoTime). */
    private long l3ChangedAt;
    /**
     * Null until the first backend is open; until it is over, the kernel keeps what a previous
     * run left (fail-static across restarts of pfe or of the daemon).
     */
    private static final Path PROC_SYS = Path.of("/proc/sys");
    private L3Hold hold;
    /** Whether this pfe has written the rules yet: its first write cuts what a previous run's left. */
    private boolean written;
    private final ServingTables servingTables = new ServingTables();
    /** The relay engine asks for the host states of the generation it runs. */
    private final StateRequest relayRequest = new StateRequest(() -> sendStates(ProcId.RELAY));
    /** hce asks what is enabled in the generation it runs, and what pfe kept of each host. */
    private final StateRequest hceRequest = new StateRequest(() -> {
        sendEnabled(ProcId.HCE);
        sendKept();
    });
    /** What the parent gives back of what the operator changed, in pieces. */
    private final DisabledSetPieces.Joiner restoredSet = new DisabledSetPieces.Joiner();
    /** Sends show summary answers; made with the parent channel, at the first. */
    private SummaryStream summaries;
    /**
     * Whether hce has said what it knows of the hosts since this pfe started: until then a
     * restarted pfe holds every host as unknown and every table as empty, which {@code show}
     * would report as an outage (probe Y F1). hce's STATE_REQUEST follows the states it resends
     * to a pfe it connects to ({@code Hce.peerConnected}) on the same channel, so it marks their end.
     */
    private boolean hceStatesIn;

    public Pfe() {
        super(ProcId.PFE);
    }

    @Override
    public String title() {
        return "hoststated: pf engine";
    }

    /** When the parent starts it unprivileged: with {@code l3 backend none} (its {@code PfePrivileges}). */
    @Override
    protected boolean dropsPrivileges() {
        return true;
    }

    @Override
    protected void applyConfig(ReceivedConfig rc) {
        PfeState previous = state;
        state = PfeState.build(rc.generation(), rc.config(), state);
        pendingKills.addAll(StateKills.removed(previous, state));
        earlyStatistics.applied(state);
        if (hold != null) {
            hold.newGeneration();
        }
        openBackend(rc.config());
        if (backend.name().equals("nftables")) {
            Forwarding.off(rc.config(), PROC_SYS).forEach(log::warn);
        }
        log.debug("configuration {} applied: {} tables, {} services, {} relays", rc.generation(),
                state.tables.size(), state.services.size(), state.relays.size());
        scheduleL3();
        if (previous != null) {
            sendDisabledSet();
        } else {
            // An hce that is down or hung says nothing: show then answers with what pfe has.
            loop().schedule(() -> hceStatesIn = true, HCE_STATES_WAIT_MS, TimeUnit.MILLISECONDS);
        }
        // hce may have checked hosts of this generation before pfe had it: ask again.
        sendPeer(ProcId.HCE, MessageType.STATE_REQUEST, new Generation(rc.generation()));
        relayRequest.applied(rc.generation());
        hceRequest.applied(rc.generation());
    }

    /**
     * Opens the configured backend at start, or when a reload names another one (or adds the
     * first service or removes the last: without services, pfe leaves the kernel alone).
     */
    private void openBackend(Config config) {
        Globals g = config.globals();
        String name = L3Backends.nameFor(config);
        if (backend != null && backend.name().equals(name)) {
            backend.keepRules(g.l3KeepRules());
            return;
        }
        if (backend != null) {
            log.info("layer-3 backend changes from {} to {}", backend.name(), name);
            // The reload's kills are of flows the old backend's rules made; none are left for the new one.
            ReplacedBackend.close(backend, g.l3KeepRules(), pendingKills);
            pendingKills.clear();
            rulesetEvents.clear();
        }
        backend = L3Backends.open(config);
        // A new backend's first write cuts what rules it did not write left behind: those a
        // reload to relays only kept (l3 keep rules) while hosts failed (probe J of session 57).
        written = false;
        boolean previousRules = backend.start();
        log.debug("layer-3 backend {}", backend.name());
        if (hold == null || previousRules && hold.over()) {
            // A backend opened by a reload (back from relays only, or from l3 backend none) over
            // rules kept in the kernel holds them as a start does: written at once, a service
            // whose table the reload brought had no rule until its hosts' first verdicts, though
            // the log said the kept rules stayed until then (probe J of session 57).
            hold = new L3Hold(previousRules);
        }
        if (!hold.over()) {
            // Normally the first verdicts or hce's second round end the hold (see sync); this
            // ends it when hce cannot check at all, unless there are rules to keep.
            long limit = Math.max(L3_HOLD_MAX_MS, 3L * g.intervalSec() * 1000 + g.timeoutMs());
            loop().schedule(() -> {
                if (hold.limitPassed(state, limit)) {
                    scheduleL3();
                }
            }, limit, TimeUnit.MILLISECONDS);
        }
    }

    /** The answers to {@code show summary}, each paced by the credit the parent grants it. */
    private SummaryStream summaries() {
        if (summaries == null) {
            summaries = new SummaryStream(parent());
        }
        return summaries;
    }

    @Override
    protected Result dispatchParent(Imsg m) {
        // Before the check below: these are no requests, and a FAIL for them would go to no one.
        if (m.type() == MessageType.CTL_ANSWER_CREDIT) {
            summaries().credit(m.peerId(), m.payload(AnswerCredit.class).rows());
            return Result.HANDLED;
        }
        if (m.type() == MessageType.CTL_ANSWER_DROP) {
            summaries().drop(m.peerId());
            return Result.HANDLED;
        }
        if (state == null) {
            parent().send(new Imsg(MessageType.CTL_FAIL, m.peerId(), m.pid(), new Text("not configured yet")));
            return Result.HANDLED;
        }
        if (m.type() == MessageType.CTL_SHOW_SUM && !hceStatesIn) {
            parent().send(new Imsg(MessageType.CTL_FAIL, m.peerId(), m.pid(), new Text("pf engine is starting; try again")));
            return Result.HANDLED;
        }
        switch (m.type()) {
            case CTL_SHOW_SUM -> summaries().add(m.peerId(), state.summary(m.peerId(),
                    m.payload(SummaryRequest.class).view(), hold.keepsPreviousRules(),
                    backend.failure() != null));
            case CTL_SERVICE_ENABLE, CTL_SERVICE_DISABLE, CTL_TABLE_ENABLE, CTL_TABLE_DISABLE,
                    CTL_HOST_ENABLE, CTL_HOST_DISABLE -> control(m);
            case CTL_POLL -> {
                sendPeer(ProcId.HCE, MessageType.CTL_POLL, Empty.INSTANCE);
                reply(m, MessageType.CTL_OK, Empty.INSTANCE);
            }
            case CTL_NOTIFY -> reply(m, MessageType.CTL_OK, Empty.INSTANCE);
            case DISABLED_SET, DISABLED_SET_PART -> {
                try {
                    ConfChunk set = restoredSet.add(m);
                    if (set != null) {
                        restore(set);
                    }
                } catch (MalformedMessageException e) {
                    log.warn("parent: {}", e.getMessage());
                }
            }
            default -> {
                return Result.NOT_HANDLED;
            }
        }
        return Result.HANDLED;
    }

    private void control(Imsg m) {
        ControlCommands.Outcome o = ControlCommands.run(state, m.type(), m.payload(CtlId.class));
        if (o.failure() != null) {
            reply(m, MessageType.CTL_FAIL, new Text(o.failure()));
            return;
        }
        // Logged first: the check engine's line about the host's next check can follow at once.
        if (o.warning() != null) {
            log.warn("{} by control client {}{}; {}", o.done(), m.peerId(), o.also(), o.warning());
            reply(m, MessageType.CTL_WARNING, new Text(o.warning()));
        } else {
            log.info("{} by control client {}{}", o.done(), m.peerId(), o.also());
        }
        notifyPeers(o.notices(), true);
        scheduleL3();
        sendDisabledSet();
        reply(m, MessageType.CTL_OK, Empty.INSTANCE);
    }

    /**
     * Tells the engines, and with {@code news} the monitors (through the parent), what the
     * operator changed.
     */
    private void notifyPeers(List<ControlCommands.Notice> notices, boolean news) {
        for (ControlCommands.Notice n : notices) {
            if (n.type().allowed(ProcId.PFE, ProcId.HCE)) {
                sendPeer(ProcId.HCE, n.type(), n.id());
            }
            sendPeer(ProcId.RELAY, n.type(), n.id());
            if (news) {
                parent().send(n.type(), n.id());
            }
        }
    }

    /**
     * Gives the parent what the operator disabled, which outlives this process there: a pfe
     * restarted after a crash started from the configuration, so a host disabled at run time
     * showed as unknown, was neither checked (hce kept it disabled) nor could be enabled
     * ("already enabled"), and a disabled service was pushed again.
     */
    private void sendDisabledSet() {
        DisabledSetPieces.of(new ConfChunk(state.generation, state.disabledSet())).forEach(parent()::send);
    }

    /** A restarted pfe takes back what the operator had disabled or enabled before it stopped. */
    private void restore(ConfChunk set) {
        List<ControlCommands.Notice> notices = new ArrayList<>();
        state.restore(set.text(), set.generation(), notices);
        if (!notices.isEmpty()) {
            log.info("what hoststatectl changed before pfe restarted is changed again ({} notice{} to the engines)",
                    notices.size(), notices.size() == 1 ? "" : "s");
            // Not news to the monitors, which saw each change when the operator made it.
            notifyPeers(notices, false);
            scheduleL3();
        }
        sendDisabledSet();
    }

    private void reply(Imsg request, MessageType type, Object payload) {
        parent().send(new Imsg(type, request.peerId(), (int) ProcessHandle.current().pid(), payload));
    }

    @Override
    protected Result dispatchPeer(ProcId peer, Imsg m) {
        if (peer == ProcId.HCE) {
            switch (m.type()) {
                case HOST_STATUS -> hostStatus(m.payload(HostStatus.class));
                case SYNC -> sync(m.payload(Generation.class));
                case STATE_REQUEST -> {
                    hceStatesIn = true;
                    hceRequest.ask(m.payload(Generation.class).generation());
                }
                default -> {
                    return Result.NOT_HANDLED;
                }
            }
            return Result.HANDLED;
        }
        if (peer == ProcId.RELAY) {
            switch (m.type()) {
                case STATISTICS -> earlyStatistics.offer(state, m.payload(RelayStatistics.class));
                case STATE_REQUEST -> relayRequest.ask(m.payload(Generation.class).generation());
                default -> {
                    return Result.NOT_HANDLED;
                }
            }
            return Result.HANDLED;
        }
        return Result.NOT_HANDLED;
    }

    private void hostStatus(HostStatus st) {
        if (state == null || st.generation() != state.generation) {
            log.debug("dropping host status of generation {}", st.generation());
            return;
        }
        HostEntry h = state.hosts.get(st.hostId());
        if (h == null) {
            log.error("host status for unknown host id {}", st.hostId());
            return;
        }
        if (h.disabled || h.table.disabled) {
            return;
        }
        if (st.state() == HostState.UNKNOWN && st.checkCount() == 0 && h.checkCount > 0) {
            // A restarted hce reports hosts it has not checked yet: keep the last verdict
            // until it has one, so that relays and rules do not lose hosts meanwhile.
            return;
        }
        HostState was = h.state;
        if (state.applyStatus(st, h)) {
            if (was == HostState.UP && h.state == HostState.DOWN) {
                pendingKills.addAll(StateKills.down(state, h));
            }
            HostStatus changed = h.status(state.generation);
            sendPeer(ProcId.RELAY, MessageType.HOST_STATUS, changed);
            parent().send(MessageType.HOST_STATUS, changed);
            scheduleL3();
        }
    }

    /**
     * hce starts a check round. Every host of the first round has its verdict by the start of
     * the second, so the hold on kernel writes ends there at the latest.
     */
    private void sync(Generation g) {
        parent().send(MessageType.SYNC, g);
        if (state != null && g.generation() == state.generation && hold.roundStarted()) {
            scheduleL3();
        }
    }


    /**
     * An engine's request about the generation it runs: answered at once for the generation pfe
     * runs, once pfe has applied it for a later one, never for an older one (a reload's newer
     * configuration will be asked about again).
     */
    private final class StateRequest {
        private final Runnable answer;
        private int pending = -1;

        StateRequest(Runnable answer) {
            this.answer = answer;
        }

        void ask(int generation) {
            if (state == null || generation > state.generation) {
                pending = generation;
            } else if (generation == state.generation) {
                answer.run();
            }
        }

        /** pfe now runs {@code generation}: a request that waited for it is answered. */
        void applied(int generation) {
            if (pending == generation) {
                pending = -1;
                answer.run();
            }
        }
    }

    /**
     * Sends hce whether each table is enabled, and every disabled host: after a reload (hce
     * keeps what it can by name, {@code CheckScheduler.adopt}, but a table that went with its
     * service's disable follows the new configuration's users of it, {@link PfeState#build},
     * which hce cannot know) and to a restarted hce. hce ignores a notice that changes nothing.
     */
    private void sendEnabled(ProcId peer) {
        int gen = state.generation;
        for (TableEntry t : state.tables.values()) {
            sendPeer(peer, t.disabled ? MessageType.TABLE_DISABLE : MessageType.TABLE_ENABLE,
                    new ObjId(gen, t.config.id()));
            for (HostEntry h : t.hosts) {
                if (h.disabled) {
                    sendPeer(peer, MessageType.HOST_DISABLE, new ObjId(gen, h.config.id()));
                }
            }
        }
    }

    /**
     * Sends hce the state and counters pfe holds of every enabled host that has a verdict,
     * then KEPT_STATE_END. A restarted hce adopts them without a transition: it logged "state
     * unknown -> up" for every host, and {@code show hosts} counted from zero, though nothing
     * had changed. After the disables of {@link #sendEnabled}, so hce knows which to skip.
     */
    private void sendKept() {
        for (HostStatus k : state.kept()) {
            sendPeer(ProcId.HCE, MessageType.KEPT_STATE, k);
        }
        sendPeer(ProcId.HCE, MessageType.KEPT_STATE_END, new Generation(state.generation));
    }

    /**
     * Sends every host's state, every disabled object and every enabled table to a (re)started
     * peer: a table the configuration starts disabled may have been enabled since, and the
     * relay engine, which starts from the configuration, took no session to it after a restart.
     */
    private void sendStates(ProcId peer) {
        int gen = state.generation;
        for (TableEntry t : state.tables.values()) {
            sendPeer(peer, t.disabled ? MessageType.TABLE_DISABLE : MessageType.TABLE_ENABLE,
                    new ObjId(gen, t.config.id()));
            for (HostEntry h : t.hosts) {
                if (h.disabled) {
                    sendPeer(peer, MessageType.HOST_DISABLE, new ObjId(gen, h.config.id()));
                }
                sendPeer(peer, MessageType.HOST_STATUS, h.status(gen));
            }
        }
        for (ServiceEntry s : state.services) {
            if (s.disabled && peer == ProcId.RELAY) {
                sendPeer(peer, MessageType.SERVICE_DISABLE, new ObjId(gen, s.config.id()));
            }
        }
    }

    @Override
    protected void peerConnected(ProcId peer) {
        if (peer == ProcId.HCE && hold != null) {
            hold.hceConnected();
        }
        if (peer == ProcId.HCE && state != null) {
            // A restarted hce starts from the configuration: tell it what is disabled, so it
            // skips those, and what is enabled, so it checks a table the configuration starts
            // disabled that the operator enabled (it was left unchecked, its hosts at the
            // verdict they had, however they went on).
            sendEnabled(peer);
        }
    }

    /** Applies the layer-3 state and demotions soon, once per burst of changes. */
    private void scheduleL3() {
        if (l3Pending) {
            return;
        }
        l3Pending = true;
        l3ChangedAt = System.nanoTime();
        loop().schedule(this::syncKernel, L3_COALESCE_MS, TimeUnit.MILLISECONDS);
    }

    private void syncKernel() {
        l3Pending = false;
        if (!hold.allows(state)) {
            // The rules of a previous run serve: cutting flows would not move them.
            pendingKills.clear();
            return;
        }
        if (!written) {
            written = true;
            pendingKills.addAll(StateKills.leftBehind(state));
        }
        pendingKills.addAll(servingTables.handBacks(state));
        List<L3Backend.Redirect> redirects = state.redirects();
        backend.apply(redirects, StateKills.stillGone(pendingKills, redirects), l3ChangedAt);
        pendingKills.clear();
        for (RulesetEvents.Event e : rulesetEvents.since(state.services, redirects)) {
            parent().send(e.type(), new ObjId(state.generation, e.id()));
        }
        for (Demote d : demotes.sync(state)) {
            log.debug("demote {} group {}", d.delta(), d.group());
            parent().send(MessageType.DEMOTE, d);
        }
    }

    /**
     * The parent closed the channel: the rules go (or stay, {@code l3 keep rules}) and nothing
     * more; the flows they redirected go on ({@link L3Backend#closeAtStop}). Closing cuts no
     * flow, not even of a host that went down just before, as hosts do when their backends stop
     * with the daemon ({@code KernelBackend.stopWriter}).
     */
    @Override
    protected void shutdown() {
        if (backend != null) {
            backend.closeAtStop();
        }
    }
}
