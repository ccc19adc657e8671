package org.hoststated.core.proc;

import io.netty.channel.EventLoop;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import org.hoststated.core.imsg.ImsgChannel;
import org.hoststated.core.imsg.ImsgHandler;
import org.hoststated.core.msg.Empty;
import org.hoststated.core.msg.Flag;
import org.hoststated.core.msg.EngineError;
import org.hoststated.core.msg.Generation;
import org.hoststated.core.msg.Imsg;
import org.hoststated.core.msg.MalformedMessageException;
import org.hoststated.core.msg.MessageType;
import org.hoststated.core.msg.ObjId;
import org.hoststated.core.msg.ProcId;
import org.hoststated.core.log.LogConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What every child engine (pfe, hce, relay) shares: its channels to the parent and to peer
 * engines, the configuration stream, and the life cycle run by {@link EngineMain}. A subclass
 * supplies the engine's own work. All methods run on the engine's event loop, which owns the
 * engine's state; nothing here needs a lock.
 */
public abstract class Engine {
    private static final Logger log = LoggerFactory.getLogger(Engine.class);

    private final ProcId id;
    private final Map<ProcId, ImsgChannel> peers = new EnumMap<>(ProcId.class);
    private final ConfigReceiver receiver = new ConfigReceiver();
    private final LostListeners lostListeners = new LostListeners();
    private final HeldMessages held = new HeldMessages();
    private EventLoop loop;
    private ImsgChannel parent;
    private int generation;

    protected Engine(ProcId id) {
        this.id = id;
    }

    public final ProcId id() {
        return id;
    }

    /** The title shown by {@code ps}, e.g. {@code hoststated: relay engine}. */
    public abstract String title();

    /** Whether the engine chroots and drops to the unprivileged user after start-up. */
    protected abstract boolean dropsPrivileges();

    /** Takes what needs root (raw sockets, ...) before privileges are dropped. */
    protected void acquirePrivileged() throws Exception {
    }

    /** Runs once in the event loop, after the parent channel is up and before any message. */
    protected void started() {
    }

    /**
     * Work on a received configuration that need not hold the loop, done off it before
     * {@link #applyConfig} (the relay engine builds its TLS contexts there), or null when there
     * is none. Runs on the loop; the stage may complete on any thread, and its failure is not
     * reported: {@link #applyConfig} meets the same fault and reports it. Until then the
     * parent's messages wait ({@link HeldMessages}), while the peers' are handled.
     */
    protected CompletionStage<?> prepareConfig(ReceivedConfig config) {
        return null;
    }

    /** Applies a configuration generation. A thrown exception is reported to the parent. */
    protected abstract void applyConfig(ReceivedConfig config) throws Exception;

    /** Handles a message from the parent other than the configuration stream. */
    protected ImsgHandler.Result dispatchParent(Imsg m) {
        return ImsgHandler.Result.NOT_HANDLED;
    }

    /** Handles a message from a peer engine. */
    protected ImsgHandler.Result dispatchPeer(ProcId peer, Imsg m) {
        return ImsgHandler.Result.NOT_HANDLED;
    }

    /** A (new) channel to {@code peer} is up, e.g. after that engine was restarted. */
    protected void peerConnected(ProcId peer) {
    }

    /** A relay's listening socket arrived. Engines that do not listen close it. */
    protected void listenerReceived(FdTag tag, int fd) {
        log.warn("unexpected listening socket for relay {}", tag.subject());
        org.hoststated.core.posix.Fds.close(fd);
    }

    /**
     * Runs {@code answer} on the engine's loop once every loop the engine serves with has run
     * a task since this call: the parent's watchdog kills an engine that stays silent. This
     * loop is running the call; an engine with loops of its own (the relay's workers)
     * passes through each of them first.
     */
    protected void whenServing(Runnable answer) {
        answer.run();
    }

    /** Orderly stop before the process exits. */
    protected void shutdown() {
    }

    protected final EventLoop loop() {
        return loop;
    }

    protected final ImsgChannel parent() {
        return parent;
    }

    /** The current configuration generation (0 before the first). */
    protected final int generation() {
        return generation;
    }

    /** The channel to a peer engine, or null while it is down. */
    protected final ImsgChannel peer(ProcId p) {
        ImsgChannel c = peers.get(p);
        return c != null && c.isOpen() ? c : null;
    }

    /** Sends to a peer if it is up; a missing peer is resynchronised when it comes back. */
    protected final void sendPeer(ProcId p, MessageType type, Object payload) {
        ImsgChannel c = peer(p);
        if (c != null) {
            c.send(type, payload);
        }
    }

    final void attach(EventLoop loop, ImsgChannel parent) {
        this.loop = loop;
        this.parent = parent;
        LogConfig.onSyslogLost(this::askForSyslog);
    }

    /**
     * Asks the parent for a socket to the syslog daemon, which restarted: the chroot hides
     * /dev/log. Called by the logger under its lock, from any thread: it only hands the
     * request to the loop, and logs nothing.
     */
    private void askForSyslog() {
        try {
            loop.execute(() -> parent.send(MessageType.SYSLOG_REQUEST, Empty.INSTANCE));
        } catch (java.util.concurrent.RejectedExecutionException e) {
            // The engine is stopping: nothing more needs to reach the log.
        }
    }

    final ImsgHandler parentHandler() {
        return new ImsgHandler() {
            @Override
            public Result dispatch(ImsgChannel from, Imsg m) {
                return onParentMessage(m);
            }

            @Override
            public void closed(ImsgChannel from) {
                log.info("exiting: the parent closed its channel (the daemon stops, or the parent ended)");
                EngineMain.exit(Engine.this, 0);
            }
        };
    }

    private ImsgHandler.Result onParentMessage(Imsg m) {
        if (held.holding()) {
            held.add(m);
            return ImsgHandler.Result.HANDLED;
        }
        switch (m.type()) {
            case RECONF_BEGIN, RECONF_NAME, RECONF_CONF, RECONF_KEYPAIR, RECONF_END -> {
                receiveConfig(m);
                return ImsgHandler.Result.HANDLED;
            }
            case LOG_VERBOSE -> {
                LogConfig.setVerbose(m.payload(Flag.class).on());
                return ImsgHandler.Result.HANDLED;
            }
            case PING -> {
                whenServing(() -> parent.send(MessageType.PONG, Empty.INSTANCE));
                return ImsgHandler.Result.HANDLED;
            }
            default -> {
                return dispatchParent(m);
            }
        }
    }

    private void receiveConfig(Imsg m) {
        ReceivedConfig rc;
        try {
            rc = receiver.accept(m);
        } catch (MalformedMessageException e) {
            log.error("configuration stream: {}", e.getMessage());
            parent.close();
            return;
        } catch (ConfigReceiver.ConfigRejectedException e) {
            log.error("configuration refused: {}", e.getMessage());
            parent.send(MessageType.ENGINE_ERROR, new EngineError(e.generation(), e.getMessage()));
            return;
        }
        if (rc == null) {
            return;
        }
        CompletionStage<?> prepared;
        try {
            prepared = prepareConfig(rc);
        } catch (RuntimeException e) {
            log.debug("configuration {}: not prepared ahead: {}", rc.generation(), String.valueOf(e));
            prepared = null;
        }
        if (prepared == null) {
            apply(rc);
            return;
        }
        held.hold();
        parent.setReading(false);
        prepared.whenComplete((done, e) -> loop.execute(() -> {
            if (e != null) {
                log.debug("configuration {}: preparing failed: {}", rc.generation(), String.valueOf(e));
            }
            apply(rc);
            held.release(this::handleHeld);
            if (!held.holding() && parent.isOpen()) {
                parent.setReading(true);
            }
        }));
    }

    private void apply(ReceivedConfig rc) {
        try {
            applyConfig(rc);
            generation = rc.generation();
            parent.send(MessageType.ENGINE_READY, new Generation(rc.generation()));
        } catch (Exception e) {
            log.error("cannot apply configuration {}: {}", rc.generation(), e.getMessage());
            parent.send(MessageType.ENGINE_ERROR, new EngineError(rc.generation(), String.valueOf(e.getMessage())));
        }
    }

    /** A message held while a configuration was prepared, handled as the channel would have. */
    private void handleHeld(Imsg m) {
        if (parent.isOpen()) {
            parent.deliver(m);
        }
    }

    /**
     * A descriptor the parent passed was lost on the way: this process had none free when it
     * came ("Too many open files"), and the kernel dropped it. Without it the engine would serve
     * stale state for good: a relay that a reload added never listened, and relays that stayed
     * went on with the previous generation's hosts (a host disabled or down still got
     * sessions); a lost peer channel leaves no host state at all. A relay's listening socket
     * is asked for again, a few times with growing pauses ({@link LostListeners}): exiting
     * would cut every live session. A peer channel lost, or a listener lost every time it was
     * asked for, and the engine exits, to be started again by the parent with every
     * descriptor. One of an older generation is let go.
     */
    final void fdLost(FdTag tag) {
        if (tag.kind() == FdTag.Kind.SYSLOG) {
            // The logger asks again while messages come and the syslog daemon stays lost.
            log.debug("fd channel: the syslog socket was lost (no descriptor free)");
            return;
        }
        String what;
        try {
            what = tag.kind() == FdTag.Kind.LISTENER ? "listening socket of relay id " + tag.subject()
                    : "channel to the " + tag.peer().title();
        } catch (MalformedMessageException e) {
            what = "descriptor";
        }
        if (tag.generation() < generation) {
            log.warn("fd channel: the {} of configuration {} was lost (no descriptor free); "
                    + "configuration {} replaced it", what, tag.generation(), generation);
            return;
        }
        if (tag.kind() == FdTag.Kind.LISTENER) {
            long delay = lostListeners.lost(tag);
            if (delay >= 0) {
                int ask = lostListeners.asked(tag);
                log.warn("fd channel: the {} of configuration {} was lost (no descriptor free); asking the "
                        + "parent for it again in {} ms ({} of {})", what, tag.generation(), delay, ask,
                        LostListeners.MAX_ASKS);
                loop.schedule(() -> askAgain(tag, ask), delay, TimeUnit.MILLISECONDS);
                return;
            }
        }
        log.error("fd channel: the {} of configuration {} was lost: this process has no descriptor "
                + "free (Too many open files); exiting, to be started again", what, tag.generation());
        EngineMain.exit(this, 1);
    }

    /**
     * Asks the parent for {@code tag}'s listener again, unless it came meanwhile; an ask left
     * unanswered counts as another loss.
     */
    private void askAgain(FdTag tag, int ask) {
        if (lostListeners.asked(tag) != ask) {
            return;
        }
        parent.send(MessageType.LISTENER_REQUEST, new ObjId(tag.generation(), tag.subject()));
        loop.schedule(() -> {
            if (lostListeners.asked(tag) == ask) {
                log.warn("fd channel: the parent did not answer the request for the listening socket of relay id {} "
                        + "of configuration {}", tag.subject(), tag.generation());
                fdLost(tag);
            }
        }, LostListeners.ANSWER_MS, TimeUnit.MILLISECONDS);
    }

    final void fdReceived(FdTag tag, int fd) {
        if (tag.kind() == FdTag.Kind.SYSLOG) {
            LogConfig.adoptSyslog(fd);
            return;
        }
        if (tag.kind() == FdTag.Kind.LISTENER) {
            lostListeners.received(tag);
            listenerReceived(tag, fd);
            return;
        }
        ProcId p;
        try {
            p = tag.peer();
        } catch (MalformedMessageException e) {
            log.error("bad peer in fd tag: {}", e.getMessage());
            org.hoststated.core.posix.Fds.close(fd);
            return;
        }
        ImsgChannel old = peers.remove(p);
        if (old != null) {
            old.close();
        }
        try {
            ImsgChannel c = ImsgChannel.open(fd, id, p, loop, new ImsgHandler() {
                @Override
                public Result dispatch(ImsgChannel from, Imsg m) {
                    return dispatchPeer(p, m);
                }

                @Override
                public void closed(ImsgChannel from) {
                    if (peers.get(p) == from) {
                        peers.remove(p);
                        log.debug("channel to {} closed", p.title());
                    }
                }
            });
            peers.put(p, c);
            log.debug("channel to {} is up", p.title());
            peerConnected(p);
        } catch (java.io.IOException e) {
            log.error("cannot open channel to {}: {}", p.title(), e.getMessage());
        }
    }
}
