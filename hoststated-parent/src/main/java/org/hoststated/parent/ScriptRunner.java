package org.hoststated.parent;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.hoststated.core.msg.ScriptRequest;
import org.hoststated.core.msg.ScriptResult;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs {@code check script} programs for hce: as the unprivileged user (through setpriv), with
 * the host name as the only argument, killed at the table timeout. Each runs on a thread of a
 * bounded pool, never on the parent's event loop (the original blocked its parent here).
 */
final class ScriptRunner implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ScriptRunner.class);
    static final int MAX_RUNNING = 32;

    private final String user;
    private final ExecutorService pool = new ThreadPoolExecutor(0, MAX_RUNNING, 30, TimeUnit.SECONDS,
            new LinkedBlockingQueue<>(10_000), r -> {
                Thread t = new Thread(r, "hoststated-script");
                t.setDaemon(true);
                return t;
            });

    ScriptRunner(String user) {
        this.user = user;
    }

    /** Runs the script and hands the result to {@code done} (on a pool thread). */
    void run(ScriptRequest req, Consumer<ScriptResult> done) {
        try {
            pool.execute(() -> done.accept(runNow(req)));
        } catch (java.util.concurrent.RejectedExecutionException e) {
            log.warn("too many check scripts queued; host {} not checked", req.hostName());
            done.accept(new ScriptResult(req.generation(), req.hostId(), -1, false));
        }
    }

    private ScriptResult runNow(ScriptRequest req) {
        List<String> cmd = new ArrayList<>();
        if (user != null) {
            cmd.addAll(List.of("setpriv", "--reuid=" + user, "--regid=" + user, "--init-groups", "--"));
        }
        cmd.add(req.path());
        cmd.add(req.hostName());
        Process p;
        try {
            p = new ProcessBuilder(cmd).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                    .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
        } catch (IOException e) {
            log.warn("cannot run script {}: {}", req.path(), e.getMessage());
            return new ScriptResult(req.generation(), req.hostId(), -1, false);
        }
        try {
            if (!p.waitFor(req.timeoutMs(), TimeUnit.MILLISECONDS)) {
                p.descendants().forEach(ProcessHandle::destroyForcibly);
                p.destroyForcibly();
                p.waitFor(1, TimeUnit.SECONDS);
                return new ScriptResult(req.generation(), req.hostId(), -1, true);
            }
            return new ScriptResult(req.generation(), req.hostId(), p.exitValue(), false);
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            return new ScriptResult(req.generation(), req.hostId(), -1, false);
        }
    }

    @Override
    public void close() {
        pool.shutdownNow();
    }
}
