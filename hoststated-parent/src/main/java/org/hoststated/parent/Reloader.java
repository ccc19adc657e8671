package org.hoststated.parent;

import io.netty.channel.EventLoop;
import java.io.IOException;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.hoststated.core.config.Diagnostic;
import org.hoststated.core.config.Globals;
import org.hoststated.core.msg.ConfChunk;
import org.hoststated.core.msg.Empty;
import org.hoststated.core.msg.Imsg;
import org.hoststated.core.msg.MessageType;
import org.hoststated.core.msg.ProcId;
import org.hoststated.core.msg.Text;
import org.hoststated.core.msg.TlsKeyPair;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reloads the configuration (SIGHUP, {@code hoststatectl reload}): loads and checks the file,
 * reads the relays' key pairs, binds new listening sockets, sends the configuration to the
 * three engines as the next generation and answers whoever asked once all three run it.
 *
 * <p>The engines never stay on different configurations: when one refuses a generation that
 * the parent accepted (a certificate the relay engine cannot use, rules the kernel rejects), the
 * configuration that ran before is sent to all three again, as a further generation, and the
 * requester gets the engine's reason. It goes back with the key pairs that configuration ran
 * with, not the files as they are now: those may be what was just refused. A reload that comes
 * while another is pending replaces it; the older one's requesters learn how the newer one ends.
 * Runs on the parent's loop, but for the reading of the file and its DNS names, which runs on
 * a thread of its own ({@code loads}): on the loop, a table of 100,000 hosts or names behind a
 * DNS server that does not answer (about 6 s each) held the control socket, the check
 * scripts' timeouts and SIGTERM for as long as the reading took. One reading at a time; a
 * reload asked for meanwhile reads the file again once it is done.
 */
final class Reloader {
    private static final Logger log = LoggerFactory.getLogger(Reloader.class);
    /** The longest warning passed to a control client, in characters. */
    private static final int MAX_WARNING = 2000;
    private static final Set<ProcId> ENGINES = EnumSet.of(ProcId.PFE, ProcId.HCE, ProcId.RELAY);
    static final long TIMEOUT_MS = 15_000;

    /** Takes what a configuration needs of the machine before it is sent (the nftables lock). */
    interface Claim {
        void claim(org.hoststated.core.config.Config config) throws IOException;

        /** Lets go of what only a configuration other than {@code running} needed. */
        default void keep(org.hoststated.core.config.Config running) {
        }
    }

    /** The engines: sends them a configuration as generation {@code generation}. */
    interface Target {
        void reconfigure(ConfigSource.Loaded config, Map<Integer, TlsKeyPair> keys, int generation);

        /**
         * What the operator changed at run time in the running configuration, as pfe last
         * reported it ({@code DISABLED_SET}); null when it reported nothing.
         */
        default ConfChunk operatorChanges() {
            return null;
        }

        /** Has pfe take back {@code changes} in generation {@code generation}, after its configuration. */
        default void restore(ConfChunk changes, int generation) {
        }
    }

    private final ConfigSource source;
    private final ListenerSockets listeners;
    private final Claim claim;
    private final EventLoop loop;
    private final Target target;
    private final Consumer<ConfigSource.Loaded> applied;
    private ConfigSource.Loaded current;
    /** The relays' key pairs sent with {@code current}, by relay id. */
    private Map<Integer, TlsKeyPair> currentKeys = Map.of();
    /** The configuration the daemon started with: its socket, user and chroot stay. */
    private ConfigSource.Loaded startedWith;
    private int generation;
    private Pending pending;
    /**
     * A reload given up on at its limit, until another generation replaces it: an engine may
     * still refuse it, and then all go back as for a refusal in time.
     */
    private Pending givenUp;
    private final long timeoutMs;
    /** What waits for the engines to settle on one configuration ({@link #whenSettled}). */
    private final List<Runnable> settled = new ArrayList<>();
    /** Where the file is read, and where what was read comes back to (the loop). */
    private final Executor loads;
    private final Executor results;
    /** The file is being read; {@link #readAgain}: a reload came meanwhile. */
    private boolean reading;
    private boolean readAgain;
    private boolean stopped;
    /** Who asked for a reload whose reading has not begun. */
    private final List<ControlClient> toRead = new ArrayList<>();

    /**
     * A configuration that ran, the relays' key pairs it ran with, and what the operator had
     * changed in it (null if nothing was reported).
     */
    private record Fallback(ConfigSource.Loaded config, Map<Integer, TlsKeyPair> keys, ConfChunk operatorChanges) {
    }

    /** One generation sent to the engines and not yet confirmed by all of them. */
    private static final class Pending {
        final int generation;
        /** What to go back to if an engine refuses; null for a going back. */
        final Fallback previous;
        /** Why the reload this goes back from failed; null for a reload. */
        final String failure;
        final List<ControlClient> waiting = new ArrayList<>();
        final Set<ProcId> ready = EnumSet.noneOf(ProcId.class);
        /** Engines whose successor this reload waits for afresh ({@link #engineRestarted}). */
        final Set<ProcId> restarted = EnumSet.noneOf(ProcId.class);
        ScheduledFuture<?> timeout;

        Pending(int generation, Fallback previous, String failure) {
            this.generation = generation;
            this.previous = previous;
            this.failure = failure;
        }
    }

    /** @param applied told of each configuration all engines run after a reload (or a going back) */
    Reloader(ConfigSource source, ListenerSockets listeners, Claim claim, EventLoop loop, Target target,
            Consumer<ConfigSource.Loaded> applied) {
        this(source, listeners, claim, loop, target, applied, TIMEOUT_MS);
    }

    /**
     * The file read on the caller's thread, as tests do.
     *
     * @param timeoutMs how long the engines have to confirm a generation ({@link #TIMEOUT_MS})
     */
    Reloader(ConfigSource source, ListenerSockets listeners, Claim claim, EventLoop loop, Target target,
            Consumer<ConfigSource.Loaded> applied, long timeoutMs) {
        this(source, listeners, claim, loop, target, applied, timeoutMs, Runnable::run, Runnable::run);
    }

    /** @param loads where the file is read: not the loop; {@code results} hands what it read back to the loop */
    Reloader(ConfigSource source, ListenerSockets listeners, Claim claim, EventLoop loop, Target target,
            Consumer<ConfigSource.Loaded> applied, long timeoutMs, Executor loads, Executor results) {
        this.loads = loads;
        this.results = results;
        this.timeoutMs = timeoutMs;
        this.source = source;
        this.listeners = listeners;
        this.claim = claim;
        this.loop = loop;
        this.target = target;
        this.applied = applied;
    }

    /** The configuration the daemon started with, generation 1, and the key pairs it was sent. */
    void started(ConfigSource.Loaded first, Map<Integer, TlsKeyPair> keys) {
        current = first;
        currentKeys = keys;
        startedWith = first;
        generation = 1;
    }

    int generation() {
        return generation;
    }

    /**
     * Runs {@code r} now, or once no generation is pending any more: all three engines run the
     * one sent last (a reload, or the going back from one), or it was given up. Control
     * commands wait here, so that each applies to the configuration in force after the reload
     * in every engine. Sent to pfe while hce or the relay engine were still receiving the new
     * configuration, pfe's notice was of a generation they did not have yet, and they dropped
     * it: hce went on checking a disabled host, for good. They wait while the file is being
     * read too (its names resolved, which can take seconds): a {@code host disable 0} then
     * named the old configuration's host 0, not the new one's, which the manual promises
     * (probe E: the only host up went, and its service with it).
     */
    void whenSettled(Runnable r) {
        if (pending == null && !reading) {
            r.run();
        } else {
            settled.add(r);
        }
    }

    /** Runs what waited ({@link #whenSettled}) once nothing is being read or sent any more. */
    private void runSettled() {
        if (pending != null || reading) {
            return;
        }
        List<Runnable> run = List.copyOf(settled);
        settled.clear();
        run.forEach(Runnable::run);
    }

    /** Reads the configuration again and sends it to every engine; {@code requester} may be null (SIGHUP). */
    void reload(ControlClient requester) {
        if (requester != null) {
            toRead.add(requester);
        }
        if (reading) {
            readAgain = true;
            log.info("reload asked for while the configuration is being read: it is read again after that");
            return;
        }
        read();
    }

    private void read() {
        reading = true;
        List<ControlClient> requesters = List.copyOf(toRead);
        toRead.clear();
        log.info("reloading configuration {} (asked for by {})", source.file(), requesters.isEmpty() ? "SIGHUP"
                : requesters.stream().map(c -> "control client " + c.id).collect(java.util.stream.Collectors.joining(", ")));
        try {
            loads.execute(() -> {
                ConfigSource.Outcome o = readSafely();
                try {
                    results.execute(() -> loaded(o, requesters));
                } catch (RejectedExecutionException e) {
                    // The loop has stopped: the daemon is going down, the reload with it.
                }
            });
        } catch (RejectedExecutionException e) {
            reading = false;
            runSettled();
        }
    }

    /** The file's outcome; a failure the loader did not foresee is one too, never a reading that never ends. */
    private ConfigSource.Outcome readSafely() {
        try {
            return source.load();
        } catch (RuntimeException | StackOverflowError | OutOfMemoryError e) {
            log.error("reading {} failed", source.file(), e);
            return new ConfigSource.Outcome(null, List.of(new Diagnostic(source.file().toString(), 0,
                    "cannot read the configuration: " + e)), List.of());
        }
    }

    /** Stops reloading: the daemon is going down; a reading under way is dropped when done. */
    void stop() {
        stopped = true;
    }

    private void loaded(ConfigSource.Outcome o, List<ControlClient> requesters) {
        reading = false;
        if (stopped) {
            requesters.forEach(c -> answer(c, "the daemon is stopping"));
            return;
        }
        apply(o, requesters);
        if (readAgain) {
            readAgain = false;
            read();
        }
        // A file refused, or one sent that waits for the engines (then they run it first).
        runSettled();
    }

    private void apply(ConfigSource.Outcome o, List<ControlClient> requesters) {
        if (!o.ok()) {
            for (Diagnostic d : o.errors()) {
                log.error("{}", d);
            }
            String first = o.errors().isEmpty() ? "configuration error" : o.errors().get(0).toString();
            log.error("reload failed; keeping configuration {}", generation);
            requesters.forEach(c -> answer(c, first));
            return;
        }
        // As -n and the start print them: otherwise they read as the errors of a failed reload.
        // The operator who asked is told too: a renewal hook that installed an expired
        // certificate read only "command succeeded" (probe AA).
        Globals was = startedWith.config().globals();
        Globals next = o.loaded().config().globals();
        List<Object> warnings = new ArrayList<>(o.warnings());
        warnings.addAll(StartOnlySettings.ignored(was, next));
        warnings.addAll(SocketBufferLimit.problems(o.loaded().config()));
        for (Object w : warnings) {
            log.warn("{} (warning)", w);
            warn(requesters, w.toString());
        }
        if (!Objects.equals(was.user(), next.user()) || !Objects.equals(was.chroot(), next.chroot())) {
            // Not for now, but a restart of the daemon with this file would refuse to start.
            String problem = UnprivilegedSetting.problem(next);
            if (problem != null) {
                log.warn("{}: the next start with this configuration will fail", problem);
            }
        }
        String failure = PfePrivileges.reloadProblem(was, next);
        if (failure == null) {
            Fallback previous = pending != null && pending.previous != null ? pending.previous
                    : new Fallback(current, currentKeys, target.operatorChanges());
            failure = send(o.loaded(), null, previous, null, requesters);
        }
        if (failure != null) {
            log.error("reload failed: {}; keeping configuration {}", failure, generation);
            for (ControlClient c : requesters) {
                answer(c, failure);
            }
        }
    }

    /**
     * Sends {@code next} to the engines as a new generation, with {@code nextKeys} or, when null,
     * the key files as they are now. Returns why it could not (key files, listening sockets),
     * having changed nothing, or null.
     */
    private String send(ConfigSource.Loaded next, Map<Integer, TlsKeyPair> nextKeys, Fallback previous,
            String failure, List<ControlClient> requesters) {
        int gen = generation + 1;
        Map<Integer, TlsKeyPair> keys;
        try {
            List<String> keyWarnings = new ArrayList<>();
            keys = nextKeys == null ? KeyPairs.read(next.config(), gen, keyWarnings) : KeyPairs.restamped(nextKeys, gen);
            keyWarnings.forEach(w -> warn(requesters, w));
            claim.claim(next.config());
            listeners.bindAll(next.config());
        } catch (IOException | RuntimeException e) {
            // A listener that could not be bound after the claim: the running one keeps only its own.
            // Unchecked failures too: one that escaped left the reload unanswered (probe T).
            if (current != null) {
                claim.keep(current.config());
            }
            return e instanceof IOException ? e.getMessage() : org.hoststated.core.posix.SystemError.text(e);
        }
        generation = gen;
        current = next;
        currentKeys = keys;
        givenUp = null;
        Pending superseded = pending;
        pending = new Pending(gen, previous, failure);
        if (superseded != null) {
            superseded.timeout.cancel(false);
            pending.waiting.addAll(superseded.waiting);
            // Said, or nothing ever told what became of it (probe H of session 57): its
            // requesters are answered by how this one ends.
            log.info("configuration {} is replaced by configuration {} before every engine ran it",
                    superseded.generation, gen);
        }
        pending.waiting.addAll(requesters);
        pending.timeout = loop.schedule(this::unconfirmed, timeoutMs, TimeUnit.MILLISECONDS);
        target.reconfigure(next, keys, gen);
        return null;
    }

    /**
     * A successor of {@code engine} has started while this reload waits for it, and runs the
     * pending configuration once it is up: the reload waits for it afresh, once per engine.
     * An engine stopped during a reload is killed after 10 s; with the restart's back-off
     * and a JVM's start the successor often confirmed after the 15 s, and the reload was
     * answered as failed though its configuration ran (probe W).
     */
    void engineRestarted(ProcId engine) {
        if (pending == null || pending.ready.contains(engine) || !pending.restarted.add(engine)) {
            return;
        }
        pending.timeout.cancel(false);
        pending.timeout = loop.schedule(this::unconfirmed, timeoutMs, TimeUnit.MILLISECONDS);
        log.info("reload: {} restarted; waiting up to {} s for it to run configuration {}", engine.title(),
                timeoutMs / 1000, pending.generation);
    }

    /** {@code engine} runs generation {@code gen}. */
    void engineReady(ProcId engine, int gen) {
        if (pending != null && gen == pending.generation) {
            pending.ready.add(engine);
            if (pending.ready.containsAll(ENGINES)) {
                finish(null);
            }
        }
    }

    /**
     * {@code engine} refused generation {@code gen}. Refusals of a generation that was replaced
     * since (by a newer reload, or by going back) are only logged, by the caller.
     */
    void engineError(ProcId engine, int gen, String why) {
        if (pending == null && givenUp != null && gen == givenUp.generation) {
            // The others run it and this engine the one before: going back is the only way to
            // one configuration again. The reload was answered at its limit; the log says it.
            Fallback previous = givenUp.previous;
            givenUp = null;
            String failure = engine.title() + ": " + why + " (after the reload's " + timeoutMs / 1000 + " s limit)";
            String cannot = goBack(previous, failure);
            if (cannot != null) {
                log.error("reload: {}; the previous configuration cannot be restored: {}", failure, cannot);
            }
            return;
        }
        if (pending == null || gen != pending.generation) {
            return;
        }
        String failure = engine.title() + ": " + why;
        if (pending.previous == null) {
            finish(failure);
            return;
        }
        String cannot = goBack(pending.previous, failure);
        if (cannot != null) {
            finish(failure + "; the previous configuration cannot be restored: " + cannot);
        }
    }

    /** Sends {@code previous} to all engines again; returns why it could not, or null. */
    private String goBack(Fallback previous, String failure) {
        log.error("reload: {}; going back to the previous configuration", failure);
        String cannot = send(previous.config(), previous.keys(), null, failure, List.of());
        if (cannot == null && previous.operatorChanges() != null) {
            // Going back is a new generation, to which the configuration's disable keywords
            // apply afresh: without this, a failed reload undid the operator's enables.
            target.restore(previous.operatorChanges(), generation);
        }
        return cannot;
    }

    /**
     * Gives up waiting for the engines that have not confirmed the pending generation. The
     * reload fails, but its configuration stays in force: every engine was sent it, the others
     * run it, and without a refusal there is no going back (an engine that hangs is restarted
     * with it by the watchdog). So the sockets of the relays it removed are closed as after a
     * confirmation: kept, a removed relay's port went on accepting connections that no engine
     * served, until the next reload. A refusal that comes after the limit still makes all go
     * back ({@link #engineError}): only logged, it left the refusing engine on the previous
     * configuration and the others on this one, for good.
     */
    private void unconfirmed() {
        if (pending == null) {
            return;
        }
        StringBuilder late = new StringBuilder();
        for (ProcId e : ENGINES) {
            if (!pending.ready.contains(e)) {
                late.append(late.length() == 0 ? "" : " and ").append(e.title());
            }
        }
        givenUp = pending.previous != null ? pending : null;
        // "Unless ... refuses it": a refusal that comes later still makes all go back.
        finish(late + " did not confirm configuration " + pending.generation + " within "
                + timeoutMs / 1000 + " s; it stays in force unless " + (late.indexOf(" and ") < 0 ? "it refuses" : "they refuse")
                + " it", true);
    }

    private void finish(String failure) {
        finish(failure, failure == null);
    }

    /** @param inForce the pending configuration is the one the daemon runs from now on */
    private void finish(String failure, boolean inForce) {
        Pending p = pending;
        pending = null;
        if (p == null) {
            return;
        }
        p.timeout.cancel(false);
        if (inForce) {
            // Sockets of relays that are gone are closed once the relay engine moved on (or
            // was given up on: it was sent the configuration, and has its own of the sockets).
            listeners.retainOnly(current.config());
            applied.accept(current);
        }
        String outcome = failure;
        if (failure == null) {
            if (p.failure == null) {
                log.info("configuration {} running", p.generation);
            } else {
                log.info("previous configuration running again as configuration {}", p.generation);
                outcome = p.failure + "; the previous configuration was kept";
            }
        } else {
            log.error("reload: {}", p.failure == null ? failure : p.failure + "; " + failure);
            if (p.failure != null) {
                outcome = p.failure + "; going back failed too: " + failure;
            }
        }
        for (ControlClient c : p.waiting) {
            answer(c, outcome);
        }
        runSettled();
    }

    /** Tells each of {@code requesters} of a warning about its reload, before the answer. */
    private static void warn(List<ControlClient> requesters, String warning) {
        for (ControlClient c : requesters) {
            if (c != null) {
                // Within what a Text may carry; a warning is a line, never near it.
                String text = warning.length() > MAX_WARNING ? warning.substring(0, MAX_WARNING) + "..." : warning;
                c.send(Imsg.of(MessageType.CTL_WARNING, new Text(text)));
            }
        }
    }

    private static void answer(ControlClient c, String failure) {
        if (c == null) {
            return;
        }
        c.send(failure == null ? Imsg.of(MessageType.CTL_OK, Empty.INSTANCE)
                : Imsg.of(MessageType.CTL_FAIL, new Text(failure)));
    }
}
