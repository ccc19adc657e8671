package org.hoststated.parent.it;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * The real daemon started inside the balancer's namespace ({@code ip netns exec l3-lb}), so its
 * nftables table and its health checks live there. Control requests go through {@link Daemon}
 * (a Unix socket is reached by its path from any network namespace). Runs with {@code -v}: the
 * tests read pfe's "rules applied N ms after the change" lines.
 */
final class L3Daemon implements AutoCloseable {
    final Daemon daemon;
    final Path demoteDir;
    /** Read by a test's watcher thread too (L3KeepIT). */
    private volatile Process process;

    L3Daemon(Path dir) throws IOException {
        this(new Daemon(dir));
    }

    L3Daemon(Daemon daemon) {
        this.daemon = daemon;
        this.demoteDir = daemon.dir.resolve("demote");
    }

    /** The global lines of the tests' configurations, with the nftables backend. */
    String globals() {
        return daemon.globals().replace("l3 backend none", "l3 backend nftables");
    }

    void start(String config) throws IOException {
        launch(config);
        Daemon.await("control socket", Duration.ofSeconds(30), () -> Files.exists(daemon.socket) || !process.isAlive());
        if (!process.isAlive()) {
            fail("daemon exited at start:\n" + daemon.logText());
        }
    }

    /** Starts a daemon that must refuse to start, and returns its exit status. */
    int startRefused(String config) throws Exception {
        launch(config);
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            fail("daemon did not refuse to start:\n" + daemon.logText());
        }
        return process.exitValue();
    }

    private void launch(String config) throws IOException {
        daemon.writeConfig(globals() + config);
        process = new ProcessBuilder("ip", "netns", "exec", L3Netns.LB, Daemon.java(), "-XX:TieredStopAtLevel=1",
                "-XX:+UseSerialGC", "-Dhoststated.demote.dir=" + demoteDir, "-cp", Daemon.classpath(),
                "org.hoststated.parent.Hoststated", "-d", "-v", "-f", daemon.config.toString())
                .redirectErrorStream(true).redirectOutput(daemon.log.toFile()).start();
    }

    /** The counter in a demote group's track file, 0 when absent. */
    int demoteLevel(String group) throws IOException {
        Path f = demoteDir.resolve(group);
        return Files.exists(f) ? Integer.parseInt(Files.readString(f).strip()) : 0;
    }

    /** The pid of the running pf engine, if any. */
    java.util.Optional<Long> pfe() {
        return engine("hoststated: pf engine").map(ProcessHandle::pid);
    }

    /** The running engine with that title, if any (none before the daemon is launched). */
    java.util.Optional<ProcessHandle> engine(String title) {
        Process p = process;
        return p == null ? java.util.Optional.empty()
                : p.children().filter(h -> Daemon.cmdline(h.pid()).startsWith(title)).findFirst();
    }

    /** Stops the daemon with SIGTERM and waits for it. */
    void stop() throws Exception {
        if (process != null && process.isAlive()) {
            new ProcessBuilder("sh", "-c", "kill -TERM " + process.pid()).start().waitFor();
            if (!process.waitFor(20, TimeUnit.SECONDS)) {
                process.descendants().forEach(ProcessHandle::destroyForcibly);
                process.destroyForcibly();
                fail("daemon did not stop:\n" + daemon.logText());
            }
        }
    }

    @Override
    public void close() throws Exception {
        if (process != null && process.isAlive()) {
            process.descendants().forEach(ProcessHandle::destroyForcibly);
            process.destroyForcibly();
        }
    }
}
