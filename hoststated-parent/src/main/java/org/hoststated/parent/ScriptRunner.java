package org.hoststated.parent;

import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.hoststated.core.log.ThrottledCount;
import org.hoststated.core.msg.ScriptRequest;
import org.hoststated.core.msg.ScriptResult;
import org.hoststated.core.posix.ExitStatus;
import org.hoststated.core.posix.Fds;
import org.hoststated.core.posix.Privileges;
import org.hoststated.core.posix.SpawnedProcess;
import org.hoststated.core.posix.Spawner;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs {@code check script} programs for hce (relayd's check_script.c, run by its parent): as
 * the unprivileged user (through setpriv), with the host name as the only argument, stdin and
 * output on /dev/null, in a session of its own, killed with everything it started at the table
 * timeout. What a script leaves running when it exits is killed then too: run at every check,
 * such leftovers piled up as the unprivileged user without end. Its process group is killed,
 * and what it started in a session of its own ({@code setsid}, a daemon) dies with the PID
 * namespace {@link ScriptCommandLine} gives everything the script starts, where the system
 * allows one (probed once, with a warning when not). Each runs on a thread of a bounded pool,
 * never on the parent's event loop (the original blocked its parent here), so a slow script
 * delays no other check.
 *
 * <p>A script that waited in the queue longer than its timeout is not run: hce has stopped
 * waiting for it and takes that as the daemon's overload, no verdict on the host; one that
 * waited less is killed at the end of what its timeout has left, and gives no verdict then if
 * its wait took a tenth of the timeout or more. A host's
 * script runs once at a time: hce decides how often it asks, and one taken over (or stuck in a
 * loop) had root's parent start 300 runs in 8 s of a script checked every 5 s (probe G of
 * session 56); a request for a host whose script is queued or running is dropped: hce then
 * has the running script's answer if it comes in time, else no verdict for that check.
 *
 * <p>The result carries the exit status, or -1 when the script could not run or was killed by
 * a signal (hce calls both down, as a timeout). Exit statuses 126 and 127 are what setpriv and
 * shells return for "cannot execute" and "not found", so they are read as "could not run", not
 * as "up".
 *
 * <p>That a script cannot run is warned once per script and host, not at every check (every
 * interval, for ever, until the file is fixed); the warning comes again after it has run.
 */
final class ScriptRunner implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ScriptRunner.class);
    static final int MAX_RUNNING = 32;
    /** Where a script named without a '/' is looked up (by the shell that execs it). */
    static final String SEARCH_PATH = "/usr/bin:/bin:/usr/sbin:/sbin";
    private static final List<String> ENVIRONMENT = List.of("PATH=" + SEARCH_PATH);
    private static final int CANNOT_EXECUTE = 126;
    private static final int NOT_FOUND = 127;

    private final String user;
    /** Made at the first script, which probes for PID namespaces (a process: not in the constructor). */
    private ScriptCommandLine commandLine; // guarded by this
    /** "path host" of scripts that could not run: warned already, until one runs. */
    private final Set<String> unrunnable = ConcurrentHashMap.newKeySet();
    /** "path host" of scripts a signal killed: warned already, until one exits by itself. */
    private final Set<String> crashed = ConcurrentHashMap.newKeySet();
    /** Scripts refused with the queue full: a warning a minute, not one per host and round. */
    private final ThrottledCount refused = new ThrottledCount();
    /** "generation host-id" of the scripts queued or running. */
    private final Set<String> inFlight = ConcurrentHashMap.newKeySet();
    /** Requests dropped because that host's script was queued or running already. */
    private final ThrottledCount again = new ThrottledCount();
    private final ExecutorService pool = new ThreadPoolExecutor(MAX_RUNNING, MAX_RUNNING, 30, TimeUnit.SECONDS,
            new LinkedBlockingQueue<>(10_000), r -> {
                Thread t = new Thread(r, "hoststated-script");
                t.setDaemon(true);
                return t;
            });

    /** @param user the unprivileged user scripts run as; null runs them as the parent's user (tests) */
    ScriptRunner(String user) {
        this(user, null);
    }

    /** @param commandLine how scripts are started; null to probe at the first script */
    ScriptRunner(String user, ScriptCommandLine commandLine) {
        this.user = user;
        this.commandLine = commandLine;
        ((ThreadPoolExecutor) pool).allowCoreThreadTimeOut(true);
    }

    /**
     * Finds out now, off the event loop, how scripts will be started, rather than at the first
     * script: the probe is a process of its own, and on a busy machine it made the first round's
     * scripts answer after hce had given up on them (no verdict until the next interval).
     */
    void prepare() {
        pool.execute(this::commandLine);
    }

    /** Runs the script and hands the result to {@code done} (on a pool thread). */
    void run(ScriptRequest req, Consumer<ScriptResult> done) {
        long queued = System.nanoTime();
        String key = req.generation() + " " + req.hostId();
        if (!inFlight.add(key)) {
            long n = again.add();
            if (n > 0) {
                log.warn("hce asked again for the check script of host {} while it was queued or running: not run"
                        + " twice ({} since the last warning)", req.hostName(), n);
            }
            return;
        }
        try {
            pool.execute(() -> {
                ScriptResult r = null;
                try {
                    long deadline = queued + TimeUnit.MILLISECONDS.toNanos(req.timeoutMs());
                    if (deadline - System.nanoTime() <= 0) {
                        // hce has given up on it by now (no verdict: the pool was full); skip it.
                        log.debug("script {} for host {}: waited past its timeout for a free slot, not run",
                                req.path(), req.hostName());
                        return;
                    }
                    // The wait counts, and so does the start: a script run after a wait was
                    // given a whole timeout more (probe M of session 58), and one whose start
                    // took long on a busy machine the time of its start more (probe N).
                    // A script that waited for a place long enough to lose a tenth of its
                    // timeout is not judged if the timeout kills it: the wait is the daemon's,
                    // and the 33rd and later hosts of 40 with a 1 s script and a 1.5 s timeout
                    // were down every round for it (probe AF). hce then puts them first.
                    boolean waited = System.nanoTime() - queued > TimeUnit.MILLISECONDS.toNanos(req.timeoutMs()) / 10;
                    r = runNow(req, deadline, waited);
                } finally {
                    // Before the answer, which may bring the host's next request at once.
                    inFlight.remove(key);
                }
                if (r != null) {
                    done.accept(r);
                }
            });
        } catch (RejectedExecutionException e) {
            inFlight.remove(key);
            long n = refused.add();
            if (n > 0) {
                log.warn("too many check scripts queued; host {} not checked ({} since the last warning)",
                        req.hostName(), n);
            }
            done.accept(new ScriptResult(req.generation(), req.hostId(), -1, false));
        }
    }

    /**
     * Runs the script now and waits for it until {@code deadline} (System.nanoTime); null (no
     * verdict) when the deadline kills a script that {@code waited} for its place.
     */
    private ScriptResult runNow(ScriptRequest req, long deadline, boolean waited) {
        String untrusted = req.path().contains("/") ? CheckScripts.untrusted(java.nio.file.Path.of(req.path())) : null;
        if (untrusted != null) {
            cannotRun(req, untrusted);
            return result(req, ScriptResult.NOT_RUN, false);
        }
        Privileges.Passwd pw = null;
        if (user != null) {
            try {
                pw = Privileges.lookupUser(user);
            } catch (IOException e) {
                pw = null;
            }
            if (pw == null) {
                log.warn("script {} for host {}: no user {} to run it as", req.path(), req.hostName(), user);
                return result(req, ScriptResult.NOT_RUN, false);
            }
        }
        List<String> argv = commandLine().argv(pw, req.path(), req.hostName(), req.timeoutMs());
        SpawnedProcess p;
        int devNull = -1;
        try {
            devNull = Fds.openDevNull();
            p = new Spawner().spawn(argv.get(0), argv, ENVIRONMENT, Spawner.stdioTo(devNull, Map.of()), true);
        } catch (IOException e) {
            cannotRun(req, e.getMessage());
            return result(req, ScriptResult.NOT_RUN, false);
        } finally {
            if (devNull >= 0) {
                Fds.close(devNull);
            }
        }
        try {
            Optional<ExitStatus> st = p.waitFor(Duration.ofNanos(Math.max(0, deadline - System.nanoTime())));
            if (st.isEmpty()) {
                kill(p);
                log.debug("script {} for host {}: killed at the timeout of {} ms, its wait and start included{}",
                        req.path(), req.hostName(), req.timeoutMs(), waited ? "; it waited for a place: no verdict" : "");
                return waited ? null : result(req, -1, true);
            }
            // What it left in its group, and the init of its PID namespace with all that is inside.
            p.killGroup(SpawnedProcess.SIGKILL);
            return result(req, exitStatus(req, st.get()), false);
        } catch (InterruptedException e) {
            kill(p);
            Thread.currentThread().interrupt();
            return result(req, -1, false);
        }
    }

    private synchronized ScriptCommandLine commandLine() {
        if (commandLine == null) {
            Optional<String> unavailable = ScriptCommandLine.probe();
            unavailable.ifPresent(why -> log.warn("check scripts run without a PID namespace ({}): what a script "
                    + "starts in a session of its own (setsid, a daemon) may outlive it", why));
            commandLine = new ScriptCommandLine(unavailable.isEmpty());
        }
        return commandLine;
    }

    private int exitStatus(ScriptRequest req, ExitStatus st) {
        if (!st.exited()) {
            // A crash is a failed check, but not the verdict the script meant: said once (probe BA).
            if (crashed.add(req.path() + " " + req.hostName())) {
                log.warn("script {} for host {}: {}; its host is down; not logged again until it exits by itself",
                        req.path(), req.hostName(), st);
            } else {
                log.debug("script {} for host {}: {}", req.path(), req.hostName(), st);
            }
            return -1;
        }
        crashed.remove(req.path() + " " + req.hostName());
        if (st.exitCode() == CANNOT_EXECUTE || st.exitCode() == NOT_FOUND) {
            // The shell's words for an exec that failed, which it wrote to /dev/null.
            cannotRun(req, st.exitCode() == CANNOT_EXECUTE
                    ? "exit code 126: it could not be executed" + asUser()
                            + " (not executable, or a directory on its path that user may not search)"
                    : "exit code 127: it, or a program it runs, not found" + asUser()
                            + " (a directory on its path that user may not search, or a missing #! interpreter)");
            return ScriptResult.NOT_RUN;
        }
        unrunnable.remove(req.path() + " " + req.hostName());
        return st.exitCode();
    }

    private String asUser() {
        return user == null ? "" : " as user " + user;
    }

    private void cannotRun(ScriptRequest req, String why) {
        if (unrunnable.add(req.path() + " " + req.hostName())) {
            log.warn("script {} for host {}: cannot run ({}); not logged again until it runs", req.path(),
                    req.hostName(), why);
        } else {
            log.debug("script {} for host {}: cannot run ({})", req.path(), req.hostName(), why);
        }
    }

    /**
     * Kills the script and whatever it started (a shell's sleep), and reaps it; the process group
     * holds the init of the script's PID namespace, if it has one.
     */
    private static void kill(SpawnedProcess p) {
        ProcessHandle.of(p.pid()).ifPresent(h -> h.descendants().forEach(ProcessHandle::destroyForcibly));
        p.killGroup(SpawnedProcess.SIGKILL);
        try {
            p.kill(SpawnedProcess.SIGKILL);
            p.waitFor(Duration.ofSeconds(1));
        } catch (IOException e) {
            log.debug("killing script {}: {}", p, e.getMessage()); // it ended meanwhile
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static ScriptResult result(ScriptRequest req, int exitStatus, boolean timedOut) {
        return new ScriptResult(req.generation(), req.hostId(), exitStatus, timedOut);
    }

    /**
     * Kills the scripts that run (their threads are interrupted, and each kills its own) and
     * waits a moment for that: the pool's threads do not keep the JVM, and scripts outlived a
     * stopped daemon by up to their timeout (probe M of session 58).
     */
    @Override
    public void close() {
        pool.shutdownNow();
        try {
            pool.awaitTermination(2, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
