package org.hoststated.hce;

import io.netty.handler.ssl.OpenSsl;
import java.io.IOException;
import java.util.concurrent.TimeUnit;
import org.hoststated.core.config.Config;
import org.hoststated.core.config.LogMode;
import org.hoststated.core.imsg.ImsgHandler.Result;
import org.hoststated.core.msg.Generation;
import org.hoststated.core.msg.HostStatus;
import org.hoststated.core.msg.Imsg;
import org.hoststated.core.msg.MessageType;
import org.hoststated.core.msg.ObjId;
import org.hoststated.core.msg.ProcId;
import org.hoststated.core.msg.ScriptResult;
import org.hoststated.core.proc.Engine;
import org.hoststated.core.proc.EngineSettings;
import org.hoststated.core.proc.ReceivedConfig;
import org.hoststated.hce.check.IcmpPinger;
import org.hoststated.hce.check.IcmpSockets;
import org.hoststated.hce.check.ScriptBroker;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The health check engine (relayd's hce.c): wires the parent's and pfe's messages to the
 * {@link CheckScheduler} of the current configuration. Runs in the hce process; every method
 * runs on the engine's one event loop, which owns all state.
 */
public final class Hce extends Engine {
    private static final Logger log = LoggerFactory.getLogger(Hce.class);
    /**
     * How long a new hce holds its verdicts for pfe's kept states; past it (pfe down or not
     * answering) it reports them from unknown, as an hce without a pfe to ask would.
     */
    private static final long KEPT_STATE_WAIT_MS = 10_000;
    /** How long a configuration's first round waits for pfe to say what is disabled. */
    private static final long FIRST_ROUND_WAIT_MS = 2_000;

    private final boolean debugRun;
    private CheckScheduler scheduler;
    private ScriptBroker scripts;
    private IcmpSockets icmpSockets;
    private IcmpPinger pinger;

    public Hce() {
        super(ProcId.HCE);
        this.debugRun = EngineSettings.fromEnvironment(System.getenv()).stderr();
    }

    @Override
    public String title() {
        return "hoststated: health check engine";
    }

    @Override
    protected boolean dropsPrivileges() {
        return true;
    }

    /** Raw ICMP sockets need root: open them before the privilege drop. */
    @Override
    protected void acquirePrivileged() {
        try {
            icmpSockets = IcmpSockets.open();
        } catch (IOException | RuntimeException | LinkageError e) {
            log.warn("cannot open icmp sockets, check icmp unavailable: {}", e.getMessage());
        }
        // BoringSSL's library is unpacked into /tmp when first used, which the chroot hides:
        // loaded here, TLS checks use it (a handshake costs a fraction of the JDK's CPU).
        if (!OpenSsl.isAvailable()) {
            log.info("TLS checks by the JDK: BoringSSL cannot be used here ({})", OpenSsl.unavailabilityCause());
        }
    }

    @Override
    protected void started() {
        if (icmpSockets != null) {
            pinger = new IcmpPinger(loop(), icmpSockets);
        }
    }

    @Override
    protected void applyConfig(ReceivedConfig rc) {
        Config config = rc.config();
        int gen = rc.generation();
        ScriptBroker broker = new ScriptBroker(loop(), gen, req -> parent().send(MessageType.SCRIPT, req));
        CheckScheduler next = new CheckScheduler(loop(), config, gen,
                st -> sendPeer(ProcId.PFE, MessageType.HOST_STATUS, st),
                () -> sendPeer(ProcId.PFE, MessageType.SYNC, new Generation(gen)),
                new Checks(loop(), broker, pinger), CheckScheduler.Options.defaults(logMode(config)));
        if (scheduler != null) {
            next.adopt(scheduler);
            scheduler.close();
        } else {
            // This process's first configuration: a restart after hce died, or the daemon's
            // start. pfe kept the hosts' states (all unknown at start); the answer to the
            // STATE_REQUEST below gives them, and until then verdicts are held.
            next.awaitKeptStates();
            loop().schedule(this::keptStatesLate, KEPT_STATE_WAIT_MS, TimeUnit.MILLISECONDS);
        }
        scheduler = next;
        scripts = broker;
        // What pfe disabled: adopt kept it by name, pfe says how it applies to this generation;
        // and at start, a table that went with its service's disable keyword, which the
        // configuration alone does not say (pfe's rule: unless a relay or enabled service uses it).
        // The first round waits for that answer (keptStatesEnd), for a moment at most: started
        // at once, it checked each disabled host once (probe H of session 57).
        sendPeer(ProcId.PFE, MessageType.STATE_REQUEST, new Generation(gen));
        loop().schedule(next::start, FIRST_ROUND_WAIT_MS, TimeUnit.MILLISECONDS);
    }

    /** {@code log updates|all}; a daemon run with {@code -d} logs at least the updates. */
    private LogMode logMode(Config config) {
        LogMode m = config.globals().log();
        return debugRun && m == LogMode.NONE ? LogMode.UPDATES : m;
    }

    @Override
    protected Result dispatchParent(Imsg m) {
        if (m.type() != MessageType.SCRIPT_RESULT) {
            return Result.NOT_HANDLED;
        }
        if (scripts != null) {
            scripts.accept(m.payload(ScriptResult.class));
        }
        return Result.HANDLED;
    }

    @Override
    protected Result dispatchPeer(ProcId peer, Imsg m) {
        if (peer != ProcId.PFE) {
            return Result.NOT_HANDLED;
        }
        switch (m.type()) {
            case TABLE_ENABLE -> onOff(m, "table", true);
            case TABLE_DISABLE -> onOff(m, "table", false);
            case HOST_ENABLE -> onOff(m, "host", true);
            case HOST_DISABLE -> onOff(m, "host", false);
            case CTL_POLL -> {
                if (scheduler != null) {
                    scheduler.pollNow();
                }
            }
            case STATE_REQUEST -> {
                if (scheduler != null) {
                    scheduler.resendAll();
                }
            }
            case KEPT_STATE -> keptState(m.payload(HostStatus.class));
            case KEPT_STATE_END -> keptStatesEnd(m.payload(Generation.class).generation());
            default -> {
                return Result.NOT_HANDLED;
            }
        }
        return Result.HANDLED;
    }

    private void onOff(Imsg m, String what, boolean on) {
        ObjId id = m.payload(ObjId.class);
        if (scheduler == null || id.generation() != scheduler.generation()) {
            log.debug("{} {} {} of generation {} dropped", what, on ? "enable" : "disable", id.id(), id.generation());
            return;
        }
        boolean known = what.equals("table") ? scheduler.setTableEnabled(id.id(), on)
                : scheduler.setHostEnabled(id.id(), on);
        if (!known) {
            // pfe sent an id that its own configuration generation does not have.
            log.error("{} {}: invalid {} id {} from pfe", what, on ? "enable" : "disable", what, id.id());
        }
    }

    /** One host's state as pfe kept it; adopted only for the generation this hce runs. */
    private void keptState(HostStatus s) {
        if (scheduler == null) {
            return;
        }
        if (!scheduler.adoptKept(s)) {
            // pfe sent an id that its own configuration generation does not have.
            log.error("kept state: invalid host id {} from pfe", s.hostId());
        }
    }

    /** pfe has sent every state it kept for {@code generation}: the held verdicts go out. */
    private void keptStatesEnd(int generation) {
        if (scheduler != null) {
            scheduler.keptStatesEnd(generation);
            if (generation == scheduler.generation()) {
                scheduler.start(); // pfe has said what is disabled: the first round may run
            }
        }
    }

    private void keptStatesLate() {
        if (scheduler != null && scheduler.awaitsKeptStates()) {
            log.warn("pfe sent no host states in {} s: check results are reported from unknown",
                    KEPT_STATE_WAIT_MS / 1000);
            scheduler.keptStatesDone();
        }
    }

    @Override
    protected void peerConnected(ProcId peer) {
        if (peer == ProcId.PFE && scheduler != null) {
            scheduler.resendAll();
            // The request of applyConfig is lost when pfe was not connected yet.
            sendPeer(ProcId.PFE, MessageType.STATE_REQUEST, new Generation(scheduler.generation()));
        }
    }

    @Override
    protected void shutdown() {
        if (scheduler != null) {
            scheduler.close();
        }
        if (pinger != null) {
            pinger.close();
        }
    }
}
